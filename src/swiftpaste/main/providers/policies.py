"""Settings, and the policies the use cases take from them."""

from dishka import Provider, Scope, from_context, provide

from swiftpaste.application.ports.rate_limit import RateLimitPolicy, RateLimits
from swiftpaste.application.snippets.create_snippet import AnonymousPastes, SnippetLimits
from swiftpaste.application.snippets.read_snippet import CachePolicy
from swiftpaste.application.snippets.share_snippet import SharePolicy
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.http.rate_limit import TrustedProxies
from swiftpaste.presentation.http.snippets import PublicLinks


class PolicyProvider(Provider):
    scope = Scope.APP
    settings = from_context(provides=Settings)

    @provide
    def snippet_limits(self, settings: Settings) -> SnippetLimits:
        return SnippetLimits(max_content_bytes=settings.snippet_max_content_bytes)

    @provide
    def anonymous_pastes(self, settings: Settings) -> AnonymousPastes:
        return AnonymousPastes(
            enabled=settings.anonymous_pastes,
            max_expiry_seconds=settings.anonymous_max_expiry_seconds,
        )

    @provide
    def cache_policy(self, settings: Settings) -> CachePolicy:
        return CachePolicy(ttl_seconds=settings.cache_ttl_seconds)

    @provide
    def share_policy(self, settings: Settings) -> SharePolicy:
        return SharePolicy(
            default_ttl_seconds=settings.share_default_ttl_seconds,
            min_ttl_seconds=settings.share_min_ttl_seconds,
            max_ttl_seconds=settings.share_max_ttl_seconds,
        )

    @provide
    def rate_limits(self, settings: Settings) -> RateLimits:
        return RateLimits(
            read=RateLimitPolicy(
                "read",
                settings.rate_limit_read_capacity,
                settings.rate_limit_read_refill_per_second,
            ),
            write=RateLimitPolicy(
                "write",
                settings.rate_limit_write_capacity,
                settings.rate_limit_write_refill_per_second,
            ),
            anonymous=RateLimitPolicy(
                "anonymous",
                settings.rate_limit_anonymous_capacity,
                settings.rate_limit_anonymous_refill_per_second,
            ),
            password=RateLimitPolicy(
                "password",
                settings.rate_limit_password_capacity,
                settings.rate_limit_password_refill_per_second,
            ),
        )

    @provide
    def trusted_proxies(self, settings: Settings) -> TrustedProxies:
        return TrustedProxies(tuple(settings.trusted_proxies))

    @provide
    def public_links(self, settings: Settings) -> PublicLinks:
        return PublicLinks(base_url=settings.public_base_url)
