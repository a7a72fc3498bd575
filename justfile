# SwiftPaste — run `just` to list every recipe.
# On a fresh machine: `pip install uv`, then `uv run just dev` or `uv run just test`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# `uv run` makes the project's virtualenv (tools and the swiftpaste command) available.
uv := "uv run --frozen"

# The Docker Compose project `swiftpaste` (docker/): three files that run alone or together.
compose := "docker compose"
infra := "-f docker/compose.infra.yaml"
app := "-f docker/compose.app.yaml"
monitoring := "-f docker/compose.monitoring.yaml"
# SWIFTPASTE_PGBOUNCER=1: the API, consumers and scheduler reach PostgreSQL through PgBouncer.
pgbouncer := if env("SWIFTPASTE_PGBOUNCER", "") == "1" { "-f docker/compose.pgbouncer.yaml --profile pgbouncer" } else { "" }
stack := compose + " " + infra + " " + app + " " + monitoring + " " + pgbouncer

# List the recipes
default:
    @just --list --unsorted

# The whole system on embedded PostgreSQL, Valkey and Tansu: migrations, API on 127.0.0.1:8000
[group('develop')]
dev:
    {{uv}} swiftpaste dev

# Start the embedded servers in the background (prints the URLs to export)
[group('develop')]
embedded-up:
    {{uv}} swiftpaste infra up

# Stop the embedded servers started by embedded-up
[group('develop')]
embedded-down:
    {{uv}} swiftpaste infra down

# Show whether the embedded servers are running
[group('develop')]
embedded-status:
    {{uv}} swiftpaste infra status

# Run the API alone against the servers in the environment
[group('develop')]
serve:
    {{uv}} swiftpaste serve

# Run the outbox relay (publishes committed events to Kafka; replicas are safe)
[group('develop')]
relay:
    {{uv}} swiftpaste relay

# Run one consumer: just consume indexer | views | cache
[group('develop')]
consume NAME:
    {{uv}} swiftpaste consume {{NAME}}

# Run the scheduler that announces ended share windows (snippet.expired)
[group('develop')]
scheduler:
    {{uv}} swiftpaste scheduler

# Create a migration from the table definitions (needs DATABASE_URL at head): just revision "add x"
[group('develop')]
revision MSG:
    {{uv}} alembic revision --autogenerate -m "{{MSG}}"

# Everything CI checks: lint, format check, types, import contracts, then the whole test suite
[group('check')]
test: check
    {{uv}} pytest

# Only the test suite (pass pytest arguments, e.g. `just pytest tests/unit -k login`)
[group('check')]
pytest *ARGS:
    {{uv}} pytest {{ARGS}}

# Lint with ruff and check formatting
[group('check')]
lint:
    {{uv}} ruff check src tests alembic bench docker
    {{uv}} ruff format --check src tests alembic bench docker

# Format the code with ruff (and apply safe lint fixes)
[group('check')]
fmt:
    {{uv}} ruff check --fix src tests alembic bench docker
    {{uv}} ruff format src tests alembic bench docker

# Type-check with mypy (strict)
[group('check')]
typecheck:
    {{uv}} mypy

# Check the layer rules (import-linter)
[group('check')]
imports:
    {{uv}} lint-imports

# All static checks: lint, typecheck, import contracts
[group('check')]
check: lint typecheck imports

# Start everything with Docker Compose: infrastructure, the app behind nginx on :80, monitoring
[group('docker')]
up *ARGS: _jwt-secret
    {{stack}} up -d --build --remove-orphans {{ARGS}}
    {{stack}} ps

# Stop the whole stack, keeping its data (`just down -v` deletes the volumes too)
[group('docker')]
down *ARGS:
    {{compose}} {{infra}} {{app}} {{monitoring}} -f docker/compose.pgbouncer.yaml --profile pgbouncer down {{ARGS}}

# Follow the logs of every service, or of one: just logs api
[group('docker')]
logs SERVICE="":
    {{stack}} logs --follow --tail=200 {{SERVICE}}

# Show the stack's containers and their health
[group('docker')]
ps:
    {{stack}} ps

# Run N replicas of a service behind its balancer: just scale 4 (API), just scale 3 consumer-views
[group('docker')]
scale N SERVICE="api": _jwt-secret
    {{stack}} up -d --no-deps --no-recreate --scale {{SERVICE}}={{N}} {{SERVICE}}

# Start PostgreSQL, Redis and Kafka (with its topics) alone, on 127.0.0.1:15432, :16379, :19092
[group('docker')]
infra-up:
    {{compose}} {{infra}} up -d

# Start Prometheus (:9090), Grafana (:3000), Loki and Promtail alone
[group('docker')]
monitoring-up:
    {{compose}} {{monitoring}} up -d

# Validate the compose files (needs Docker Compose v2; CI checks them in tests/ops without Docker)
[group('docker')]
compose-config:
    JWT_SECRET="${JWT_SECRET:-unset-only-for-validation}" {{stack}} config --quiet

# Apply database migrations: to DATABASE_URL when it is set, else in the compose stack
[group('operate')]
migrate:
    if [[ -n "${DATABASE_URL:-}" ]]; then {{uv}} swiftpaste migrate; else {{stack}} run --rm migrate; fi

# Rebuild every search document: against DATABASE_URL when it is set, else in the compose stack
[group('operate')]
reindex:
    if [[ -n "${DATABASE_URL:-}" ]]; then {{uv}} swiftpaste reindex; else {{stack}} run --rm --no-deps consumer-indexer reindex; fi

# Show the outbox backlog (pending events, oldest pending age)
[group('operate')]
outbox-status:
    {{uv}} swiftpaste outbox status

# Benchmarks (see bench/README.md), e.g. `just bench read --duration 5s`; reports in bench/reports/
[group('operate')]
bench SUITE="read" *ARGS:
    {{uv}} python -m bench.run {{SUITE}} {{ARGS}}

# Load test with k6 and its thresholds against any running API: just loadtest http://localhost
[group('operate')]
loadtest BASE_URL="http://localhost" *ARGS:
    {{uv}} k6 run --env BASE_URL={{BASE_URL}} {{ARGS}} tests/load/snippets.js

# Write the AsyncAPI document of the topics to DIR/asyncapi.json and DIR/asyncapi.yaml
[group('operate')]
asyncapi DIR="docs":
    mkdir -p {{DIR}}
    {{uv}} faststream docs gen --factory swiftpaste.main.consumers:asyncapi_app --out {{DIR}}/asyncapi.json
    {{uv}} faststream docs gen --factory --yaml swiftpaste.main.consumers:asyncapi_app --out {{DIR}}/asyncapi.yaml

# Write the configuration reference (docs/configuration.md) from the settings' fields
[group('operate')]
config-doc FILE="docs/configuration.md":
    {{uv}} python -m swiftpaste.main.configuration_doc {{FILE}}

# Regenerate the Grafana dashboards (docker/grafana/dashboards/*.json) from docker/grafana/dashboards.py
[group('operate')]
dashboards DIR="docker/grafana/dashboards":
    {{uv}} python docker/grafana/dashboards.py {{DIR}}

# The compose stack refuses to start without the one secret env/docker.env leaves out.
[private]
_jwt-secret:
    #!/usr/bin/env bash
    set -euo pipefail
    secret="${JWT_SECRET:-}"
    if [[ -z "$secret" && -f docker/.env ]]; then
        secret="$(sed -n 's/^JWT_SECRET=//p' docker/.env | tail -n 1)"
    fi
    if (( ${#secret} < 32 )); then
        echo "JWT_SECRET is not set (32+ characters, the same for every replica):" >&2
        echo "  echo \"JWT_SECRET=\$(openssl rand -hex 32)\" >> docker/.env" >&2
        exit 1
    fi
