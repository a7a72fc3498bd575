"""Pure domain model: aggregates, value objects and domain errors (standard library only)."""
