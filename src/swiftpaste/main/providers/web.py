"""The pages: templates, static assets, the page renderer and browser sessions."""

from dishka import Provider, Scope, provide

from swiftpaste.application.auth.tokens import TokenLifetimes
from swiftpaste.main.settings import Settings
from swiftpaste.presentation.web.layout import Layout
from swiftpaste.presentation.web.sessions import CookiePolicy, CsrfTokens
from swiftpaste.presentation.web.snippet_pages import SnippetPageRenderer
from swiftpaste.presentation.web.templating import PageTemplates, StaticAssets


class WebProvider(Provider):
    scope = Scope.APP

    assets = provide(StaticAssets)
    templates = provide(PageTemplates)
    layout = provide(Layout)

    @provide
    def page_renderer(self, templates: PageTemplates, settings: Settings) -> SnippetPageRenderer:
        return SnippetPageRenderer(templates, settings.public_base_url)

    @provide
    def cookie_policy(self, settings: Settings, lifetimes: TokenLifetimes) -> CookiePolicy:
        return CookiePolicy(
            secure=settings.public_base_url.startswith("https://"),
            session_seconds=lifetimes.refresh_seconds,
        )

    @provide
    def csrf_tokens(self, settings: Settings) -> CsrfTokens:
        return CsrfTokens(settings.jwt_secret_value)
