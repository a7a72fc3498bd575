"""Probes that check PostgreSQL, Redis and Kafka for the readiness report."""
