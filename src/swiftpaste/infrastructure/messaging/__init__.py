"""Kafka adapters: broker factory, topic provisioning and connection upkeep."""
