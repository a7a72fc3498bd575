"""Use cases: the read side built once per process, commands once per request."""

from dishka import Provider, Scope, provide
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from swiftpaste.application.auth.authenticate import Authenticate
from swiftpaste.application.auth.credentials import BearerCredentials
from swiftpaste.application.auth.issue_access_token import IssueAccessToken
from swiftpaste.application.auth.list_access_tokens import ListAccessTokens
from swiftpaste.application.auth.log_in import LogIn
from swiftpaste.application.auth.log_out import LogOut
from swiftpaste.application.auth.refresh_session import RefreshSession
from swiftpaste.application.auth.register_user import RegisterUser
from swiftpaste.application.auth.revocation import SessionRevoker
from swiftpaste.application.auth.revoke_access_token import RevokeAccessToken
from swiftpaste.application.auth.tokens import TokenPairIssuer
from swiftpaste.application.auth.update_profile import UpdateProfile
from swiftpaste.application.health.check_readiness import CheckReadiness
from swiftpaste.application.ports.snippets import LanguageDetector, SnippetRenderer
from swiftpaste.application.search.search_snippets import SearchSnippets
from swiftpaste.application.snippets.create_snippet import CreateSnippet
from swiftpaste.application.snippets.delete_snippet import DeleteSnippet
from swiftpaste.application.snippets.diff_versions import DiffSnippetVersions
from swiftpaste.application.snippets.expire_shares import ExpireDueShares
from swiftpaste.application.snippets.list_my_snippets import ListMySnippets
from swiftpaste.application.snippets.list_versions import ListSnippetVersions
from swiftpaste.application.snippets.read_snippet import ReadSnippet
from swiftpaste.application.snippets.revise_snippet import ReviseSnippet
from swiftpaste.application.snippets.share_snippet import ShareSnippet
from swiftpaste.infrastructure.health.probes import KafkaProbe, PostgresProbe, RedisProbe
from swiftpaste.infrastructure.languages import PygmentsLanguageDetector
from swiftpaste.infrastructure.messaging.views import KafkaViewPublisher
from swiftpaste.main.multiprocess_metrics import scrape_registry
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.http.snippet_schemas import HttpSnippetRenderer
from swiftpaste.presentation.rendering import SnippetRenderers


class UseCaseProvider(Provider):
    # Reads need no request-scoped collaborator: built once, a read resolves nothing.
    api_renderer = provide(HttpSnippetRenderer, scope=Scope.APP)
    renderer = provide(SnippetRenderers, scope=Scope.APP, provides=SnippetRenderer)
    bearer_credentials = provide(BearerCredentials, scope=Scope.APP)
    read_snippet = provide(ReadSnippet, scope=Scope.APP)
    diff_snippet_versions = provide(DiffSnippetVersions, scope=Scope.APP)
    list_snippet_versions = provide(ListSnippetVersions, scope=Scope.APP)
    list_my_snippets = provide(ListMySnippets, scope=Scope.APP)
    search_snippets = provide(SearchSnippets, scope=Scope.APP)

    languages = provide(PygmentsLanguageDetector, scope=Scope.APP, provides=LanguageDetector)

    issuer = provide(TokenPairIssuer, scope=Scope.REQUEST)
    revoker = provide(SessionRevoker, scope=Scope.REQUEST)
    register_user = provide(RegisterUser, scope=Scope.REQUEST)
    log_in = provide(LogIn, scope=Scope.REQUEST)
    refresh_session = provide(RefreshSession, scope=Scope.REQUEST)
    log_out = provide(LogOut, scope=Scope.REQUEST)
    authenticate = provide(Authenticate, scope=Scope.REQUEST)
    update_profile = provide(UpdateProfile, scope=Scope.REQUEST)
    issue_access_token = provide(IssueAccessToken, scope=Scope.REQUEST)
    list_access_tokens = provide(ListAccessTokens, scope=Scope.REQUEST)
    revoke_access_token = provide(RevokeAccessToken, scope=Scope.REQUEST)
    create_snippet = provide(CreateSnippet, scope=Scope.REQUEST)
    revise_snippet = provide(ReviseSnippet, scope=Scope.REQUEST)
    share_snippet = provide(ShareSnippet, scope=Scope.REQUEST)
    delete_snippet = provide(DeleteSnippet, scope=Scope.REQUEST)
    expire_due_shares = provide(ExpireDueShares, scope=Scope.REQUEST)

    @provide(scope=Scope.APP)
    def metrics_registry(self, settings: Settings) -> CollectorRegistry:
        # With several uvicorn workers, a scrape must add up every worker's samples.
        return scrape_registry(settings.prometheus_multiproc_dir)

    @provide(scope=Scope.APP)
    def check_readiness(
        self,
        engine: AsyncEngine,
        redis: Redis,
        views: KafkaViewPublisher,
        settings: Settings,
    ) -> CheckReadiness:
        timeout = settings.health_probe_timeout_seconds
        return CheckReadiness(
            [PostgresProbe(engine), RedisProbe(redis), KafkaProbe(views, timeout)],
            timeout_seconds=timeout,
        )
