"""Readiness of the service: probing its dependencies."""
