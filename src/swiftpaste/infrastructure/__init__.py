"""Adapters: PostgreSQL, Redis, Kafka, password hashing and JWT behind the application ports."""
