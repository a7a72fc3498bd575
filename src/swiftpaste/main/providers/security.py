"""Passwords, access tokens and share tokens."""

from dishka import Provider, Scope, provide

from swiftpaste.application.auth.tokens import TokenLifetimes
from swiftpaste.application.ports.security import AccessTokenCodec, PasswordHasher
from swiftpaste.application.ports.snippets import ShareTokens, ShortIdGenerator
from swiftpaste.application.ports.system import Clock
from swiftpaste.infrastructure.clock import SystemClock
from swiftpaste.infrastructure.security.passwords import Argon2Parameters, Argon2PasswordHasher
from swiftpaste.infrastructure.security.share_tokens import HmacShareTokens
from swiftpaste.infrastructure.security.tokens import JwtAccessTokenCodec
from swiftpaste.infrastructure.short_ids import RandomShortIdGenerator
from swiftpaste.main.settings import Settings


def argon2_parameters(settings: Settings) -> Argon2Parameters:
    return Argon2Parameters(
        time_cost=settings.argon2_time_cost,
        memory_cost_kib=settings.argon2_memory_cost_kib,
        parallelism=settings.argon2_parallelism,
    )


class SecurityProvider(Provider):
    scope = Scope.APP

    clock = provide(SystemClock, provides=Clock)
    short_ids = provide(RandomShortIdGenerator, provides=ShortIdGenerator)

    @provide
    def password_hasher(self, settings: Settings) -> PasswordHasher:
        return Argon2PasswordHasher(argon2_parameters(settings))

    @provide
    def token_codec(self, settings: Settings) -> AccessTokenCodec:
        return JwtAccessTokenCodec(settings.jwt_secret_value)

    @provide
    def token_lifetimes(self, settings: Settings) -> TokenLifetimes:
        return TokenLifetimes(
            access_seconds=settings.jwt_lifetime_seconds,
            refresh_seconds=settings.refresh_token_lifetime_seconds,
        )

    @provide
    def share_tokens(self, settings: Settings) -> ShareTokens:
        return HmacShareTokens(settings.jwt_secret_value)
