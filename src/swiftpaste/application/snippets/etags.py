"""Entity tags of snippet reads, and the `If-Match` precondition of edits and deletes.

A tag names the state a read shows: the snippet, its change counter (`aggregate_version`,
which every edit, share, expiry and delete moves), the version and the form. The view
count, which moves on its own, is left out: it is no change to the snippet. Hashed, so a
tag tells nothing about the snippet, and cheap: a read that misses the cache computes it
once and caches it beside the body.
"""

import hashlib
from dataclasses import dataclass
from uuid import UUID

from swiftpaste.application.errors import PreconditionFailed
from swiftpaste.application.ports.snippets import Representation
from swiftpaste.domain.snippets import Snippet


def snippet_etag(
    snippet_id: UUID, aggregate_version: int, version: int, representation: Representation
) -> str:
    """The opaque tag (32 hex digits, without quotes) of one form of one version."""
    state = f"{snippet_id}:{aggregate_version}:{version}:{representation.value}"
    return hashlib.blake2b(state.encode(), digest_size=16).hexdigest()


def current_etags(snippet: Snippet) -> frozenset[str]:
    """The tags a read of the snippet's latest version answers with now, in every form."""
    return frozenset(
        snippet_etag(snippet.id, snippet.aggregate_version, snippet.latest_version, form)
        for form in Representation
    )


@dataclass(frozen=True, slots=True)
class IfMatch:
    """Change the snippet only if it is still as the caller last read it.

    `tags` are tags of reads of the latest version (any form); `any_state` (`*`) asks only
    that the snippet exists.
    """

    tags: frozenset[str] = frozenset()
    any_state: bool = False

    def check(self, current: frozenset[str]) -> None:
        """Raise PreconditionFailed unless a tag is among the `current_etags` of the snippet
        as locked, before the change."""
        if self.any_state or self.tags & current:
            return
        raise PreconditionFailed(
            "the snippet changed since you read it: read it again, then retry with its ETag"
        )
