"""Snippet use cases: create, read, list, revise, share, delete."""
