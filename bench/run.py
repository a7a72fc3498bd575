"""Benchmark runner: `uv run python -m bench.run <suite> [options]` (or `python bench/run.py`).

Without BENCH_BASE_URL it starts everything it measures: the embedded PostgreSQL, Valkey and
Tansu (data in .data/bench), the migrations, the API (`swiftpaste serve`, one worker, default
settings) and, for the baseline, bench/bare_app.py; and it stops all of it on exit, Ctrl-C
included. With BENCH_BASE_URL (a loopback URL) it benchmarks that running API instead.

It prints a table per suite and PASS/FAIL per target, writes the JSON report to
bench/reports/<suite>-<UTC timestamp>.json, and exits 0 unless `--strict` is given and a
target or a check (the expected statuses) failed. It exits 1 when the benchmark itself cannot
run, wrk missing included.
"""

import argparse
import sys
from pathlib import Path

import httpx

if __package__ in {None, ""}:  # run as a script: make `bench` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    BenchError,
    CpuPlan,
    Session,
    interruptible,
    parse_api_override,
    say,
    write_report,
)
from bench.suites import SUITES

EXIT_ERROR = 1
EXIT_TARGETS_FAILED = 3
EXIT_INTERRUPTED = 130


def _api_override(text: str) -> tuple[str, str]:
    try:
        return parse_api_override(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    suites = parser.add_subparsers(dest="suite", required=True, metavar="SUITE")
    for suite in SUITES.values():
        sub = suites.add_parser(suite.name, help=suite.help, description=suite.help)
        sub.add_argument(
            "--strict",
            action="store_true",
            help="exit 3 when a target or a check fails (default: exit 0 anyway)",
        )
        sub.add_argument(
            "--pin",
            action="store_true",
            help=(
                "pin the server under test (API, bare app) to the first CPU and the load "
                "generator to the others, so that it does not take the server's CPU"
            ),
        )
        sub.add_argument(
            "--api-env",
            type=_api_override,
            action="append",
            default=[],
            metavar="SETTING=VALUE",
            help=(
                "change one of the API's settings from its default (repeatable); recorded in "
                "the report as a deviation. Only when the runner starts the API"
            ),
        )
        suite.add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    suite = SUITES[args.suite]
    api_overrides: dict[str, str] = {}
    for key, value in suite.api_overrides.items():
        try:
            api_overrides[key] = parse_api_override(f"{key}={value}")[1]
        except ValueError as error:  # a setting renamed or removed since the suite was written
            say(f"warning: the {suite.name} suite's override is not applied: {error}")
    api_overrides |= dict(args.api_env)  # --api-env wins
    try:
        with (
            interruptible(),
            Session(
                suite.name,
                api_overrides=api_overrides,
                cpus=CpuPlan.split() if args.pin else None,
            ) as session,
        ):
            outcome = suite.run(args, session)
            path = write_report(suite.name, session.stamp, outcome.report)
    except KeyboardInterrupt:
        say("interrupted; everything the runner started is stopped")
        return EXIT_INTERRUPTED
    except (BenchError, httpx.HTTPError) as error:
        say(f"error: {error}")
        return EXIT_ERROR
    say(f"report: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    if args.strict and not outcome.passed:
        say("some targets or checks failed (--strict)")
        return EXIT_TARGETS_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
