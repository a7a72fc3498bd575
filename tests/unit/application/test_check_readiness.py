"""CheckReadiness: every dependency probed at once, each under a timeout."""

import asyncio
import time

from swiftpaste.application.health.check_readiness import (
    CheckReadiness,
    DependencyState,
    DependencyStatus,
    ReadinessReport,
)
from tests.unit.fakes import FakeProbe

TIMEOUT = 1.0


def status_of(report: ReadinessReport, name: str) -> DependencyStatus:
    (status,) = [status for status in report.dependencies if status.name == name]
    return status


async def test_all_dependencies_up_is_ready_and_not_degraded() -> None:
    probes = [FakeProbe("postgres"), FakeProbe("redis", critical=False)]
    report = await CheckReadiness(probes, TIMEOUT)()
    assert (report.ready, report.degraded) == (True, False)


async def test_every_probe_is_reported_in_order_with_its_criticality() -> None:
    probes = [FakeProbe("postgres"), FakeProbe("redis", critical=False), FakeProbe("kafka")]
    report = await CheckReadiness(probes, TIMEOUT)()
    assert [(s.name, s.critical, s.state) for s in report.dependencies] == [
        ("postgres", True, DependencyState.UP),
        ("redis", False, DependencyState.UP),
        ("kafka", True, DependencyState.UP),
    ]


async def test_a_critical_dependency_down_makes_the_service_not_ready() -> None:
    probes = [
        FakeProbe("postgres", error=ConnectionRefusedError("connection refused")),
        FakeProbe("redis", critical=False),
    ]
    report = await CheckReadiness(probes, TIMEOUT)()
    assert not report.ready


async def test_a_non_critical_dependency_down_leaves_the_service_ready_but_degraded() -> None:
    probes = [
        FakeProbe("postgres"),
        FakeProbe("redis", critical=False, error=ConnectionRefusedError("connection refused")),
    ]
    report = await CheckReadiness(probes, TIMEOUT)()
    assert (report.ready, report.degraded) == (True, True)


async def test_a_failing_probe_is_reported_down_with_the_error_type_and_message() -> None:
    probes = [FakeProbe("redis", critical=False, error=ConnectionRefusedError("refused"))]
    report = await CheckReadiness(probes, TIMEOUT)()
    status = status_of(report, "redis")
    assert (status.state, status.error) == (DependencyState.DOWN, "ConnectionRefusedError: refused")


async def test_a_probe_failing_without_a_message_is_reported_by_its_error_type() -> None:
    probes = [FakeProbe("kafka", critical=False, error=RuntimeError())]
    report = await CheckReadiness(probes, TIMEOUT)()
    assert status_of(report, "kafka").error == "RuntimeError"


async def test_a_probe_that_answers_is_reported_up_without_error() -> None:
    report = await CheckReadiness([FakeProbe("postgres")], TIMEOUT)()
    status = status_of(report, "postgres")
    assert (status.state, status.error) == (DependencyState.UP, None)


async def test_a_probe_slower_than_the_timeout_is_reported_down_as_timed_out() -> None:
    probes = [FakeProbe("postgres", delay_seconds=10.0)]
    report = await CheckReadiness(probes, timeout_seconds=0.05)()
    status = status_of(report, "postgres")
    assert (status.state, status.error) == (DependencyState.DOWN, "no answer within 0.05s")


async def test_a_slow_probe_does_not_hold_the_report_past_the_timeout() -> None:
    probes = [FakeProbe("postgres", delay_seconds=10.0)]
    started = time.perf_counter()
    await CheckReadiness(probes, timeout_seconds=0.05)()
    assert time.perf_counter() - started < 1.0


async def test_a_timed_out_critical_probe_makes_the_service_not_ready() -> None:
    probes = [FakeProbe("postgres", delay_seconds=10.0), FakeProbe("redis", critical=False)]
    report = await CheckReadiness(probes, timeout_seconds=0.05)()
    assert not report.ready


async def test_the_probes_run_concurrently() -> None:
    # Each probe waits until all three have started: run one after the other, the
    # first would wait forever and time out.
    barrier = asyncio.Barrier(3)
    probes = [FakeProbe(name, barrier=barrier) for name in ("postgres", "redis", "kafka")]
    report = await CheckReadiness(probes, timeout_seconds=0.5)()
    assert [status.state for status in report.dependencies] == [DependencyState.UP] * 3


async def test_the_check_takes_about_as_long_as_the_slowest_probe_not_the_sum() -> None:
    probes = [
        FakeProbe("postgres", delay_seconds=0.2),
        FakeProbe("redis", critical=False, delay_seconds=0.2),
        FakeProbe("kafka", critical=False, delay_seconds=0.2),
    ]
    started = time.perf_counter()
    await CheckReadiness(probes, TIMEOUT)()
    elapsed = time.perf_counter() - started
    assert 0.2 <= elapsed < 0.4


async def test_the_latency_of_each_probe_is_reported_in_milliseconds() -> None:
    probes = [FakeProbe("postgres", delay_seconds=0.05)]
    report = await CheckReadiness(probes, TIMEOUT)()
    assert 50 <= status_of(report, "postgres").latency_ms < 500


async def test_no_probes_means_ready() -> None:
    report = await CheckReadiness([], TIMEOUT)()
    assert (report.ready, report.degraded, report.dependencies) == (True, False, ())
