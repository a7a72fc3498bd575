"""DiffSnippetVersions: what changed from one version of a snippet to another."""

import difflib
from dataclasses import dataclass, replace

from swiftpaste.application.ports.rate_limit import RateLimitDecision
from swiftpaste.application.ports.snippets import Representation
from swiftpaste.application.snippets.read_snippet import ReadSnippet, ReadSnippetQuery

_NO_NEWLINE = "\\ No newline at end of file\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionDiff:
    from_version: int
    to_version: int
    added: int
    """Lines added on the way from `from_version` to `to_version`."""
    removed: int
    unified: str
    """The unified diff (three lines of context), empty when the contents are equal."""
    decision: RateLimitDecision
    """The read budget after both reads."""


class DiffSnippetVersions:
    """Reads both versions as a reader would, through `ReadSnippet`, so a diff shows
    nothing its reader could not read version by version (each read counts as a view
    and spends the read budget), then compares them line by line."""

    def __init__(self, read: ReadSnippet) -> None:
        self._read = read

    async def __call__(
        self, query: ReadSnippetQuery, from_version: int, to_version: int
    ) -> VersionDiff:
        """`query` says who reads and how; its version and representation are replaced."""
        raw = replace(query, representation=Representation.RAW)
        old = await self._read(replace(raw, version=from_version))
        new = await self._read(replace(raw, version=to_version))
        lines = unified_diff(
            old.body.decode(), new.body.decode(), f"v{from_version}", f"v{to_version}"
        )
        body = lines[2:]  # after the `---` and `+++` header
        return VersionDiff(
            from_version=from_version,
            to_version=to_version,
            added=sum(1 for line in body if line.startswith("+")),
            removed=sum(1 for line in body if line.startswith("-")),
            unified="".join(lines),
            decision=new.decision,
        )


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> list[str]:
    """The lines of a unified diff, each ending in a newline; a last line without one is
    followed by git's `\\ No newline at end of file`."""
    lines = []
    for line in difflib.unified_diff(_lines(old), _lines(new), fromfile=old_name, tofile=new_name):
        if line.endswith("\n"):
            lines.append(line)
        else:
            lines.extend((line + "\n", _NO_NEWLINE))
    return lines


def _lines(text: str) -> list[str]:
    """Lines as `\\n` ends them (not `str.splitlines`, which also breaks at form feeds
    and other separators that are content here)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines
