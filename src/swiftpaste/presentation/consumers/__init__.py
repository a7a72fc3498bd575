"""Kafka edge: the FastStream subscribers of the consumers and their failure handling."""
