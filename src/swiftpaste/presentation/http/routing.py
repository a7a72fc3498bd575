"""RequestScopedRoute: a route that opens Dishka's REQUEST scope for the request it handles.

Only the routes that resolve something per request (a session, a repository, a use case
of a command) pay for a request scope; the read routes take what they need from the
application's container and open none.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from dishka import AsyncContainer
from dishka.integrations.fastapi import DishkaRoute
from fastapi import Request, Response


class RequestScopedRoute(DishkaRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_in_scope(request: Request) -> Response:
            container: AsyncContainer = request.app.state.dishka_container
            async with container({Request: request}) as request_container:
                request.state.dishka_container = request_container
                return await handle(request)

        return handle_in_scope
