"""SessionRevoker: make a revoked session's access tokens stop working before they expire."""

import logging
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from swiftpaste.application.auth.tokens import TokenLifetimes
from swiftpaste.application.ports.security import AccessTokenDenylist, DenylistUnavailable
from swiftpaste.application.ports.system import Clock

logger = logging.getLogger(__name__)


class SessionRevoker:
    """Denylists sessions whose refresh tokens were just revoked in the database.

    Used after reuse detection and password changes, where the database revocation
    has already been committed: if Redis is down, the access tokens of those
    sessions still lapse within one access-token lifetime, and while Redis is down
    `Authenticate` checks the database revocation instead.
    """

    def __init__(
        self, denylist: AccessTokenDenylist, clock: Clock, lifetimes: TokenLifetimes
    ) -> None:
        self._denylist = denylist
        self._clock = clock
        self._lifetimes = lifetimes

    async def stop_access_tokens(self, session_ids: Sequence[UUID]) -> None:
        if not session_ids:
            return
        until = self._clock.now() + timedelta(seconds=self._lifetimes.access_seconds)
        try:
            await self._denylist.revoke_sessions(session_ids, until)
        except DenylistUnavailable:
            logger.warning(
                "could not denylist revoked sessions; their access tokens lapse on expiry",
                extra={"sessions": [str(session_id) for session_id in session_ids]},
            )
