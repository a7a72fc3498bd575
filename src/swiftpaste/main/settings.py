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
    """Every setting, read from the environment variable of the same name in upper case."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1, le=64)
    # Read by prometheus-client itself as well: where uvicorn's workers share their metrics.
    # Empty: `swiftpaste serve` makes a fresh temporary directory when it starts several workers.
    prometheus_multiproc_dir: str = ""
    cors_allow_origins: Annotated[list[str], NoDecode] = []

    database_url: str
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    db_statement_timeout_ms: int = Field(default=5000, ge=1)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_slow_query_seconds: float = Field(default=0.5, gt=0)
    # The API's read pool (snippet reads, listings, search), opened on demand.
    db_read_connections: int = Field(default=10, ge=1)

    redis_url: str
    redis_socket_timeout_seconds: float = Field(default=0.1, gt=0)
    redis_retries: int = Field(default=2, ge=0, le=10)
    redis_retry_backoff_seconds: float = Field(default=0.05, ge=0)
    redis_max_connections: int = Field(default=100, ge=1)

    kafka_bootstrap_servers: str
    kafka_client_id: str = "swiftpaste"
    kafka_enable_idempotence: bool = False
    kafka_request_timeout_ms: int = Field(default=10_000, ge=100)
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_snippet_events_topic: str = "swiftpaste.snippet-events"
    kafka_snippet_events_partitions: int = Field(default=6, ge=1)
    kafka_snippet_views_topic: str = "swiftpaste.snippet-views"
    kafka_snippet_views_partitions: int = Field(default=6, ge=1)
    kafka_dead_letter_topic: str = "swiftpaste.dead-letters"
    kafka_dead_letter_partitions: int = Field(default=1, ge=1)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1000)
    kafka_heartbeat_interval_ms: int = Field(default=3000, ge=100)
    kafka_consumer_group_prefix: str = "swiftpaste"

    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_poll_interval_seconds: float = Field(default=1.0, gt=0)
    outbox_retention_seconds: int = Field(default=7 * 86_400, ge=0)
    outbox_max_backoff_seconds: float = Field(default=30.0, gt=0)

    views_buffer_size: int = Field(default=10_000, ge=1)
    # The API gathers views this long, then sends them as one batch per partition: every
    # round costs a produce request whatever its size (about 1 ms of CPU), so longer
    # rounds make each view cheaper; a view count may lag this much more.
    views_linger_ms: int = Field(default=100, ge=0)
    views_batch_max_records: int = Field(default=1000, ge=1)
    views_batch_timeout_ms: int = Field(default=200, ge=1)
    indexer_batch_max_records: int = Field(default=500, ge=1, le=10_000)
    indexer_batch_timeout_ms: int = Field(default=50, ge=1)

    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    consumer_retry_backoff_seconds: float = Field(default=0.2, ge=0)
    consumer_lag_interval_seconds: float = Field(default=15.0, gt=0)

    scheduler_interval_seconds: float = Field(default=5.0, gt=0)
    scheduler_batch_size: int = Field(default=500, ge=1)

    worker_http_host: str = "127.0.0.1"
    relay_http_port: int = Field(default=9101, ge=0, le=65535)
    indexer_http_port: int = Field(default=9102, ge=0, le=65535)
    views_http_port: int = Field(default=9103, ge=0, le=65535)
    cache_http_port: int = Field(default=9104, ge=0, le=65535)
    scheduler_http_port: int = Field(default=9105, ge=0, le=65535)

    jwt_secret: SecretStr | None = None
    jwt_lifetime_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_lifetime_seconds: int = Field(default=30 * 86_400, ge=60)

    argon2_time_cost: int = Field(default=3, ge=2)
    argon2_memory_cost_kib: int = Field(default=65_536, ge=19 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1)

    health_probe_timeout_seconds: float = Field(default=1.0, gt=0)

    public_base_url: str = "http://127.0.0.1:8000"
    snippet_max_content_bytes: int = Field(default=512 * 1024, ge=1)
    max_request_body_bytes: int | None = Field(default=None, ge=1024)
    cache_ttl_seconds: int = Field(default=300, ge=1)
    share_default_ttl_seconds: int = Field(default=3600, ge=1)
    share_min_ttl_seconds: int = Field(default=60, ge=1)
    share_max_ttl_seconds: int = Field(default=86_400, ge=1)

    rate_limit_read_capacity: int = Field(default=120, ge=1)
    rate_limit_read_refill_per_second: float = Field(default=2.0, gt=0)
    rate_limit_write_capacity: int = Field(default=30, ge=1)
    rate_limit_write_refill_per_second: float = Field(default=0.5, gt=0)
    # Proxies whose X-Forwarded-For is believed; empty means the header is ignored.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = []

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
