"""The benchmark suites `bench.run` knows, by name. Add a suite here (e.g. search)."""

from bench.results import Suite
from bench.suites import events, read, search

SUITES: dict[str, Suite] = {suite.name: suite for suite in (read.SUITE, events.SUITE, search.SUITE)}
