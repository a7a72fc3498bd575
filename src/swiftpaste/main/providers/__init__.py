"""Dishka providers, one module per concern; `service_providers()` is the API's set."""

from dishka import Provider

from swiftpaste.main.providers.cache import CacheProvider
from swiftpaste.main.providers.database import DatabaseProvider
from swiftpaste.main.providers.messaging import MessagingProvider
from swiftpaste.main.providers.policies import PolicyProvider
from swiftpaste.main.providers.security import SecurityProvider
from swiftpaste.main.providers.use_cases import UseCaseProvider
from swiftpaste.main.providers.web import WebProvider


def infrastructure_providers() -> list[Provider]:
    """Clients, adapters and policies: what every process builds its use cases from."""
    return [
        PolicyProvider(),
        DatabaseProvider(),
        CacheProvider(),
        MessagingProvider(),
        SecurityProvider(),
    ]


def service_providers() -> list[Provider]:
    """Everything the API and the scheduler use."""
    return [*infrastructure_providers(), UseCaseProvider(), WebProvider()]
