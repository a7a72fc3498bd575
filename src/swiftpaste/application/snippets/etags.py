"""Entity tags of snippet reads, and the `If-Match` precondition of edits and deletes.

A tag names the state a read shows: the snippet, its change counter (`aggregate_version`,
which every edit, share, expiry and delete moves), the version, its count of reads when
it has a view limit (the reads left are part of the answer), and the form. The view
count, which moves on its own, is left out: it is no change to the snippet. Hashed, so a
tag tells nothing about the snippet, and cheap: a read that misses the cache computes it
once and caches it beside the body.
"""

import hashlib
from dataclasses import dataclass

from swiftpaste.application.errors import PreconditionFailed
from swiftpaste.application.ports.snippets import Representation
from swiftpaste.domain.snippets import Snippet, SnippetVersion


def snippet_etag(snippet: Snippet, version: SnippetVersion, representation: Representation) -> str:
    """The opaque tag (32 hex digits, without quotes) of one form of one version."""
    reads = version.views_used if version.counts_reads else 0
    state = (
        f"{snippet.id}:{snippet.aggregate_version}:{version.number}:{reads}:{representation.value}"
    )
    return hashlib.blake2b(state.encode(), digest_size=16).hexdigest()


def current_etags(snippet: Snippet) -> frozenset[str]:
    """The tags a read of the snippet's latest version answers with now, in every form."""
    latest = snippet.version()
    return frozenset(snippet_etag(snippet, latest, form) for form in Representation)


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
