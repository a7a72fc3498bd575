"""Health routes under /v1/api/health: liveness, readiness, a combined report, metrics."""

from typing import Any

from dishka.integrations.fastapi import FromDishka
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from swiftpaste.application.health.check_readiness import (
    CheckReadiness,
    DependencyState,
    DependencyStatus,
    ReadinessReport,
)
from swiftpaste.presentation.http.metrics import HTTP_METRICS
from swiftpaste.presentation.http.routing import RequestScopedRoute

router = APIRouter(prefix="/v1/api/health", tags=["health"], route_class=RequestScopedRoute)


def _dependency_status(status: DependencyStatus) -> str:
    if status.state is DependencyState.UP:
        return "up"
    return "down" if status.critical else "degraded"


def _report_body(report: ReadinessReport) -> dict[str, Any]:
    if not report.ready:
        overall = "unavailable"
    elif report.degraded:
        overall = "degraded"
    else:
        overall = "ok"
    return {
        "status": overall,
        "dependencies": {
            d.name: {
                "status": _dependency_status(d),
                "critical": d.critical,
                "latency_ms": d.latency_ms,
                "error": d.error,
            }
            for d in report.dependencies
        },
    }


@router.get("/health")
async def liveness() -> dict[str, str]:
    """The process is up and serving; touches no dependency."""
    return {"status": "ok"}


@router.get("/ready")
async def readiness(check: FromDishka[CheckReadiness]) -> JSONResponse:
    """503 while PostgreSQL is unreachable; Redis or Kafka down only degrades (still 200)."""
    report = await check()
    return JSONResponse(_report_body(report), status_code=200 if report.ready else 503)


@router.get("/")
async def report(check: FromDishka[CheckReadiness]) -> dict[str, Any]:
    """Every dependency's status and latency, for people and dashboards (always 200)."""
    return _report_body(await check())


@router.get("/metrics", include_in_schema=False)
async def metrics(registry: FromDishka[CollectorRegistry]) -> Response:
    """Prometheus text exposition (with this process's latest requests, `HttpMetrics`)."""
    HTTP_METRICS.flush()
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
