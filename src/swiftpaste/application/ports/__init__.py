"""Ports: the small role-named Protocols that use cases depend on, grouped by side."""
