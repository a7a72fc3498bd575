"""The floor the read path is measured against: FastAPI under uvicorn and nothing else.

One route, `GET /v1/api/snippet/{short_id}` (the real read's path, so routing costs the same),
answering a fixed JSON body built once at import: no middleware of ours, no dependency
injection, no I/O. The body has the size of a real cache-hit response, which the runner
measures first and passes in `BARE_BODY_BYTES`.

Run it as the runner does::

    BARE_BODY_BYTES=1800 uv run uvicorn bench.bare_app:app --workers 1 --loop uvloop \
        --http httptools --no-access-log --no-proxy-headers --no-server-header
"""

import json
import os

from fastapi import FastAPI, Response

DEFAULT_BODY_BYTES = 2048
MAX_BODY_BYTES = 1024 * 1024


def snippet_shaped_body(size: int) -> bytes:
    """A snippet-like JSON document of exactly `size` bytes (or its skeleton, if larger)."""
    document: dict[str, object] = {
        "id": "00000000-0000-0000-0000-000000000000",
        "short_id": "bare0001",
        "title": "bare",
        "author": {"id": "00000000-0000-0000-0000-000000000000", "username": "bench"},
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
        "latest_version": 1,
        "views": 0,
        "current_version": {
            "version": 1,
            "content": "",
            "visibility": "public",
            "language": "python",
            "expires_at": None,
            "created_at": "2025-01-01T00:00:00Z",
        },
    }
    skeleton = json.dumps(document, separators=(",", ":")).encode()
    padding = max(size - len(skeleton), 0)
    current = document["current_version"]
    assert isinstance(current, dict)
    current["content"] = "x" * padding  # ASCII: one byte per character, nothing to escape
    return json.dumps(document, separators=(",", ":")).encode()


def body_size_from_environment() -> int:
    size = int(os.environ.get("BARE_BODY_BYTES", str(DEFAULT_BODY_BYTES)))
    if not 0 < size <= MAX_BODY_BYTES:
        msg = f"BARE_BODY_BYTES must be between 1 and {MAX_BODY_BYTES}, not {size}"
        raise ValueError(msg)
    return size


BODY = snippet_shaped_body(body_size_from_environment())

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/v1/api/snippet/{short_id}")
async def read_snippet(short_id: str) -> Response:
    return Response(content=BODY, media_type="application/json")
