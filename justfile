# SwiftPaste — run `just` to list every recipe.
# On a fresh machine: `pip install uv`, then `uv run just dev` or `uv run just test`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# `uv run` makes the project's virtualenv (tools and the swiftpaste command) available.
uv := "uv run --frozen"

# List the recipes
default:
    @just --list --unsorted

# The whole system on embedded PostgreSQL, Valkey and Tansu: migrations, API on 127.0.0.1:8000
dev:
    {{uv}} swiftpaste dev

# Everything CI checks: lint, format check, types, import contracts, then the whole test suite
test: check
    {{uv}} pytest

# Only the test suite (pass pytest arguments, e.g. `just pytest tests/unit -k login`)
pytest *ARGS:
    {{uv}} pytest {{ARGS}}

# Lint with ruff and check formatting
lint:
    {{uv}} ruff check src tests alembic bench
    {{uv}} ruff format --check src tests alembic bench

# Format the code with ruff (and apply safe lint fixes)
fmt:
    {{uv}} ruff check --fix src tests alembic bench
    {{uv}} ruff format src tests alembic bench

# Type-check with mypy (strict)
typecheck:
    {{uv}} mypy

# Check the layer rules (import-linter)
imports:
    {{uv}} lint-imports

# All static checks: lint, typecheck, import contracts
check: lint typecheck imports

# Apply database migrations to DATABASE_URL
migrate:
    {{uv}} swiftpaste migrate

# Create a migration from the table definitions (needs DATABASE_URL at head): just revision "add x"
revision MSG:
    {{uv}} alembic revision --autogenerate -m "{{MSG}}"

# Start the embedded servers in the background (prints the URLs to export)
infra-up:
    {{uv}} swiftpaste infra up

# Stop the embedded servers started by infra-up
infra-down:
    {{uv}} swiftpaste infra down

# Show whether the embedded servers are running
infra-status:
    {{uv}} swiftpaste infra status

# Benchmarks (see bench/README.md), e.g. `just bench read --duration 5s`; reports in bench/reports/
bench SUITE="read" *ARGS:
    {{uv}} python -m bench.run {{SUITE}} {{ARGS}}

# Run the API alone against the servers in the environment
serve:
    {{uv}} swiftpaste serve

# Run the outbox relay (publishes committed events to Kafka; replicas are safe)
relay:
    {{uv}} swiftpaste relay

# Show the outbox backlog (pending events, oldest pending age)
outbox-status:
    {{uv}} swiftpaste outbox status

# Run one consumer: just consume indexer | views | cache
consume NAME:
    {{uv}} swiftpaste consume {{NAME}}

# Run the scheduler that announces ended share windows (snippet.expired)
scheduler:
    {{uv}} swiftpaste scheduler

# Rebuild every search document from the database
reindex:
    {{uv}} swiftpaste reindex

# Write the AsyncAPI document of the topics to docs/asyncapi.json and docs/asyncapi.yaml
asyncapi:
    mkdir -p docs
    {{uv}} faststream docs gen --factory swiftpaste.main.consumers:asyncapi_app --out docs/asyncapi.json
    {{uv}} faststream docs gen --factory --yaml swiftpaste.main.consumers:asyncapi_app --out docs/asyncapi.yaml
