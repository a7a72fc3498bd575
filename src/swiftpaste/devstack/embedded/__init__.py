"""Embedded PostgreSQL, Valkey and Kafka (Tansu) servers for development and tests, no Docker."""

from swiftpaste.devstack.embedded.stack import (
    EmbeddedServerError,
    EmbeddedStack,
    ServerStatus,
    StackEndpoints,
)

__all__ = ["EmbeddedServerError", "EmbeddedStack", "ServerStatus", "StackEndpoints"]
