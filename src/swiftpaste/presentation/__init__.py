"""Edges of the service: the HTTP API (and, later, Kafka consumers)."""
