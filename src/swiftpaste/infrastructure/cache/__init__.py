"""Redis adapters: client factory and the access-token denylist."""
