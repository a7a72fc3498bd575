"""Use cases and the ports (Protocols) they need; depends only on the domain."""
