"""Benchmarks of SwiftPaste: `uv run python -m bench.run <suite>` (see bench/README.md)."""
