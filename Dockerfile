# syntax=docker/dockerfile:1.7
# The API image: `swiftpaste serve` (uvicorn with uvloop and httptools; API_WORKERS processes).
#   docker build -t swiftpaste-api .
# The relay, the consumers and the scheduler use Dockerfile.consumer; docker/ runs both.

ARG PYTHON_IMAGE=python:3.13-slim-bookworm
ARG UV_VERSION=0.13.9

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# -- build: resolve the locked runtime dependencies into /app/.venv ----------------------
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first, in their own layer: it survives changes to the source.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    uv sync --locked --no-dev --no-install-project
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

# -- runtime: the interpreter, the virtualenv and the migrations; no compiler, no uv ------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 swiftpaste \
    && useradd --system --uid 10001 --gid swiftpaste --home-dir /app --no-create-home swiftpaste
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY alembic.ini ./
COPY alembic ./alembic
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ALEMBIC_CONFIG=/app/alembic.ini \
    API_HOST=0.0.0.0 \
    API_PORT=8000
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "swiftpaste.main.container", "healthcheck", "api"]
ENTRYPOINT ["swiftpaste"]
CMD ["serve"]
