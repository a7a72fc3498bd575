"""Search use cases: keep the search documents in step with the snippets."""
