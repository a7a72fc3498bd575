"""Settings from the environment (12-factor). Invalid configuration stops the process at start."""

from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

JWT_SECRET_MIN_LENGTH = 32
# Usable only with ENVIRONMENT=development, where tokens protect nothing of value.
_DEVELOPMENT_JWT_SECRET = "development-only-jwt-secret-do-not-use-elsewhere"  # noqa: S105


def async_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and point them at the asyncpg driver."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql+asyncpg://"):
        msg = "must be a postgresql:// or postgresql+asyncpg:// URL"
        raise ValueError(msg)
    return url


class ConfigurationError(Exception):
    """The environment does not describe a runnable configuration."""


class Settings(BaseSettings):
    """Every setting, read from the environment variable of the same name in upper case.

    Each field's `description` is what docs/configuration.md says about it
    (`just config-doc` writes that file from here).
    """

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description="Where the process runs; outside `development` a `JWT_SECRET` is required.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level of the JSON log lines written to stdout."
    )

    api_host: str = Field(default="127.0.0.1", description="Bind address of `swiftpaste serve`.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port of `swiftpaste serve`.")
    api_workers: int = Field(
        default=1, ge=1, le=64, description="Uvicorn worker processes of `swiftpaste serve`."
    )
    # Read by prometheus-client itself as well.
    prometheus_multiproc_dir: str = Field(
        default="",
        description=(
            "Where the API's workers share their metrics (prometheus-client multiprocess mode);"
            " emptied when `serve` starts. Empty: a fresh temporary directory when"
            " `API_WORKERS` > 1."
        ),
    )
    cors_allow_origins: Annotated[list[str], NoDecode] = Field(
        default=[], description="Origins allowed by CORS, comma-separated; empty turns CORS off."
    )

    database_url: str = Field(
        description="PostgreSQL, as a `postgresql://` or `postgresql+asyncpg://` URL."
    )
    db_connect_timeout_seconds: float = Field(
        default=3.0, gt=0, description="Timeout to connect to PostgreSQL and to check a pool out."
    )
    db_statement_timeout_ms: int = Field(
        default=5000, ge=1, description="PostgreSQL `statement_timeout` of every connection."
    )
    db_pool_size: int = Field(
        default=10, ge=1, description="Connections the SQLAlchemy engine keeps per process."
    )
    db_max_overflow: int = Field(
        default=10, ge=0, description="Extra SQLAlchemy engine connections allowed under load."
    )
    db_slow_query_seconds: float = Field(
        default=0.5,
        gt=0,
        description="Statements slower than this count in `db_slow_queries_total`.",
    )
    db_read_connections: int = Field(
        default=10,
        ge=1,
        description=(
            "Per API process, connections of the read pool (opened on demand, autocommit):"
            " snippet reads the cache cannot answer, listings and searches."
        ),
    )

    redis_url: str = Field(
        description="Redis (or Valkey): a `redis://`, `rediss://` or `unix://` URL."
    )
    redis_socket_timeout_seconds: float = Field(
        default=0.1, gt=0, description="Redis connect and read timeout."
    )
    redis_retries: int = Field(
        default=2, ge=0, le=10, description="Retries of a failed Redis call."
    )
    redis_retry_backoff_seconds: float = Field(
        default=0.05, ge=0, description="Pause between those retries."
    )
    redis_max_connections: int = Field(
        default=100, ge=1, description="Redis connections per process."
    )
    redis_breaker_failures: int = Field(
        default=3,
        ge=1,
        description=(
            "Failed Redis calls in a row after which a process stops calling Redis (its"
            " circuit breaker opens): rate limits are then kept per process."
        ),
    )
    redis_breaker_probe_seconds: float = Field(
        default=1.0,
        gt=0,
        description="While the breaker is open, how often a PING asks whether Redis is back.",
    )

    kafka_bootstrap_servers: str = Field(description="Kafka brokers: `host:port[,host:port…]`.")
    kafka_client_id: str = Field(
        default="swiftpaste", description="Client id the broker shows for this service."
    )
    kafka_enable_idempotence: bool = Field(
        default=False,
        description=(
            "Idempotent producer. Tansu, the embedded broker, lacks it;"
            " a real Kafka should use `true`."
        ),
    )
    kafka_request_timeout_ms: int = Field(
        default=10_000, ge=100, description="Kafka producer request timeout."
    )
    kafka_replication_factor: int = Field(
        default=1, ge=1, description="Replication of the topics the service creates."
    )
    kafka_snippet_events_topic: str = Field(
        default="swiftpaste.snippet-events", description="Topic of the lifecycle events."
    )
    kafka_snippet_events_partitions: int = Field(
        default=6, ge=1, description="Its partitions, when the service creates it."
    )
    kafka_snippet_views_topic: str = Field(
        default="swiftpaste.snippet-views", description="Topic of the `snippet.viewed` events."
    )
    kafka_snippet_views_partitions: int = Field(
        default=6, ge=1, description="Its partitions, when the service creates it."
    )
    kafka_dead_letter_topic: str = Field(
        default="swiftpaste.dead-letters",
        description="Topic of the messages a consumer gave up on.",
    )
    kafka_dead_letter_partitions: int = Field(
        default=1, ge=1, description="Its partitions, when the service creates it."
    )
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        description="Consumer group session timeout: how soon a dead consumer's partitions move.",
    )
    kafka_heartbeat_interval_ms: int = Field(
        default=3000,
        ge=100,
        description="Consumer heartbeat interval (well below the session timeout).",
    )
    kafka_consumer_group_prefix: str = Field(
        default="swiftpaste",
        description="Consumer groups are `<prefix>-indexer`, `<prefix>-views`, `<prefix>-cache`.",
    )

    outbox_batch_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Outbox rows the relay publishes per transaction.",
    )
    outbox_poll_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often the relay polls when no `NOTIFY` wakes it."
    )
    outbox_retention_seconds: int = Field(
        default=7 * 86_400,
        ge=0,
        description="Published outbox rows are pruned after this long (7 days).",
    )
    outbox_max_backoff_seconds: float = Field(
        default=30.0, gt=0, description="Longest pause between relay retries while Kafka is away."
    )

    views_buffer_size: int = Field(
        default=10_000,
        ge=1,
        description=(
            "Views an API process buffers for Kafka; beyond it views are dropped and counted."
        ),
    )
    # Every round costs a produce request whatever its size (about 1 ms of CPU).
    views_linger_ms: int = Field(
        default=100,
        ge=0,
        description=(
            "How long the API gathers views before sending them, one batch per partition:"
            " longer rounds make views cheaper, and view counts lag as much more."
        ),
    )
    views_batch_max_records: int = Field(
        default=1000,
        ge=1,
        description="Largest batch the views consumer applies in one transaction.",
    )
    views_batch_timeout_ms: int = Field(
        default=200,
        ge=1,
        description=(
            "How long the views consumer waits for records when none are buffered"
            " (a batch is whatever has arrived, never held back to fill)."
        ),
    )
    indexer_batch_max_records: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Largest batch of lifecycle events the indexer applies in one transaction.",
    )
    indexer_batch_timeout_ms: int = Field(
        default=50,
        ge=1,
        description=(
            "How long the indexer waits for events when none are buffered; an empty wait is"
            " followed by a pause as long, so this bounds the lag it adds on a quiet topic."
        ),
    )

    consumer_max_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Attempts at a failing message before it goes to the dead-letter topic.",
    )
    consumer_retry_backoff_seconds: float = Field(
        default=0.2, ge=0, description="First pause between those attempts (doubles each time)."
    )
    consumer_lag_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often each consumer measures its group's lag (`consumer_lag`).",
    )

    scheduler_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often the scheduler looks for ended share windows."
    )
    scheduler_batch_size: int = Field(
        default=500, ge=1, description="Snippets the scheduler handles per transaction."
    )

    worker_http_host: str = Field(
        default="127.0.0.1",
        description="Bind address of the relay's, consumers' and scheduler's health and metrics.",
    )
    relay_http_port: int = Field(
        default=9101,
        ge=0,
        le=65535,
        description="The relay's `/health`, `/ready` and `/metrics` port; 0 turns it off.",
    )
    indexer_http_port: int = Field(
        default=9102, ge=0, le=65535, description="The indexer's health and metrics port."
    )
    views_http_port: int = Field(
        default=9103, ge=0, le=65535, description="The views consumer's health and metrics port."
    )
    cache_http_port: int = Field(
        default=9104, ge=0, le=65535, description="The cache consumer's health and metrics port."
    )
    scheduler_http_port: int = Field(
        default=9105, ge=0, le=65535, description="The scheduler's health and metrics port."
    )

    jwt_secret: SecretStr | None = Field(
        default=None,
        description=(
            "HS256 key of the access tokens, at least 32 characters; required unless"
            " `ENVIRONMENT=development`, where empty means a fixed development-only key."
        ),
    )
    jwt_lifetime_seconds: int = Field(
        default=900, ge=30, le=86_400, description="Lifetime of an access token."
    )
    refresh_token_lifetime_seconds: int = Field(
        default=30 * 86_400, ge=60, description="Lifetime of a refresh token (30 days)."
    )

    argon2_time_cost: int = Field(default=3, ge=2, description="argon2id iterations.")
    argon2_memory_cost_kib: int = Field(
        default=65_536, ge=19 * 1024, description="argon2id memory, in KiB."
    )
    argon2_parallelism: int = Field(default=4, ge=1, description="argon2id lanes.")

    health_probe_timeout_seconds: float = Field(
        default=1.0, gt=0, description="Timeout of each dependency probe of the readiness check."
    )

    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description=(
            "How people reach the service: share links open its pages, and with https://"
            " the browser session cookies are Secure."
        ),
    )
    snippet_max_content_bytes: int = Field(
        default=512 * 1024,
        ge=1,
        description="Largest content, in bytes of UTF-8; larger content is refused (413).",
    )
    max_request_body_bytes: int | None = Field(
        default=None,
        ge=1024,
        description=(
            "Bodies above this are refused (413) before being read in full. Empty:"
            " 6 x `SNIPPET_MAX_CONTENT_BYTES` + 64 KiB, room for JSON escaping."
        ),
    )
    max_request_headers: int = Field(
        default=100,
        ge=10,
        description="Most header fields a request may carry; more are refused (431).",
    )
    max_request_header_bytes: int = Field(
        default=32 * 1024,
        ge=1024,
        description=(
            "Largest total size of a request's header names and values, in bytes;"
            " larger headers are refused (431)."
        ),
    )
    cache_ttl_seconds: int = Field(
        default=300,
        ge=1,
        description="Lifetime of a cached response (never past the version's expiry).",
    )
    share_default_ttl_seconds: int = Field(
        default=3600, ge=1, description="Share window when a share request gives none."
    )
    share_min_ttl_seconds: int = Field(
        default=60, ge=1, description="Shortest share window a request may ask for."
    )
    share_max_ttl_seconds: int = Field(
        default=30 * 86_400, ge=1, description="Longest share window a request may ask for."
    )
    anonymous_pastes: bool = Field(
        default=True,
        description=(
            "Whether a create without credentials makes an anonymous snippet (never private);"
            " `false`: it answers 401."
        ),
    )
    anonymous_max_expiry_seconds: int = Field(
        default=7 * 86_400,
        ge=60,
        description=(
            "Longest life of an anonymous snippet (7 days), and its expiry when it asks for none."
        ),
    )

    rate_limit_read_capacity: int = Field(
        default=120,
        ge=1,
        description="Reads a client may make at once (the read token bucket's size).",
    )
    rate_limit_read_refill_per_second: float = Field(
        default=2.0, gt=0, description="Read tokens regained per second."
    )
    rate_limit_write_capacity: int = Field(
        default=30,
        ge=1,
        description="Writes (and logins, registrations, refreshes) a client may make at once.",
    )
    rate_limit_write_refill_per_second: float = Field(
        default=0.5, gt=0, description="Write tokens regained per second."
    )
    rate_limit_password_capacity: int = Field(
        default=5,
        ge=1,
        description="Wrong passwords for a protected snippet, per snippet and address, in a burst.",
    )
    rate_limit_password_refill_per_second: float = Field(
        default=1 / 60, gt=0, description="Wrong-password guesses regained per second."
    )
    rate_limit_anonymous_capacity: int = Field(
        default=10,
        ge=1,
        description="Anonymous pastes a client address may make at once (a budget of its own).",
    )
    rate_limit_anonymous_refill_per_second: float = Field(
        default=0.05, gt=0, description="Anonymous paste tokens regained per second (3 a minute)."
    )
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default=[],
        description=(
            "IPs or CIDRs, comma-separated, whose `X-Forwarded-For` is believed;"
            " empty: the header is ignored."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        return async_database_url(url)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: str) -> str:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            msg = "must be a redis://, rediss:// or unix:// URL"
            raise ValueError(msg)
        return url

    @field_validator("max_request_body_bytes", "jwt_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`NAME=` in an env file means "use the default", as it reads."""
        return None if value == "" else value

    @field_validator("cors_allow_origins", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _jwt_secret_outside_development(self) -> Self:
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        if self.environment == "development" and not secret:
            object.__setattr__(self, "jwt_secret", SecretStr(_DEVELOPMENT_JWT_SECRET))
        elif len(secret) < JWT_SECRET_MIN_LENGTH:
            msg = (
                f"JWT_SECRET must be set to at least {JWT_SECRET_MIN_LENGTH} characters "
                f"when ENVIRONMENT={self.environment}"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _share_window(self) -> Self:
        if not (
            self.share_min_ttl_seconds
            <= self.share_default_ttl_seconds
            <= self.share_max_ttl_seconds
        ):
            msg = (
                "SHARE_DEFAULT_TTL_SECONDS must lie between SHARE_MIN_TTL_SECONDS "
                "and SHARE_MAX_TTL_SECONDS"
            )
            raise ValueError(msg)
        return self

    @property
    def request_body_limit(self) -> int:
        """Bodies larger than this are refused before being read in full.

        JSON escaping can make a body several times its content (\\uXXXX per
        character), so by default it leaves room for that; the exact content limit
        is checked after parsing.
        """
        if self.max_request_body_bytes is not None:
            return self.max_request_body_bytes
        return 6 * self.snippet_max_content_bytes + 64 * 1024

    def consumer_group(self, consumer: str) -> str:
        """The Kafka consumer group of one consumer (`indexer`, `views`, `cache`)."""
        return f"{self.kafka_consumer_group_prefix}-{consumer}"

    @property
    def jwt_secret_value(self) -> str:
        assert self.jwt_secret is not None  # set or refused by the validator
        return self.jwt_secret.get_secret_value()


def load_settings() -> Settings:
    """Read the environment; raise ConfigurationError naming each bad variable."""
    try:
        # Required fields come from the environment, which mypy cannot see.
        return Settings()
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            variable = "_".join(str(part) for part in issue["loc"]).upper() or "configuration"
            message = "is required but not set" if issue["type"] == "missing" else issue["msg"]
            problems.append(f"  {variable}: {message}")
        raise ConfigurationError("invalid configuration:\n" + "\n".join(problems)) from None
