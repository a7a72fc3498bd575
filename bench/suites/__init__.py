"""The benchmark suites `bench.run` knows, by name. Add a suite here (e.g. events, search)."""

from bench.results import Suite
from bench.suites import read

SUITES: dict[str, Suite] = {suite.name: suite for suite in (read.SUITE,)}
