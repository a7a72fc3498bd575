"""The durations the forms offer: expiry on create, and share windows within the policy."""

from dataclasses import dataclass

from swiftpaste.application.snippets.share_snippet import SharePolicy


@dataclass(frozen=True, slots=True)
class Duration:
    seconds: int
    label: str


DURATIONS = (
    Duration(10 * 60, "10 minutes"),
    Duration(60 * 60, "1 hour"),
    Duration(24 * 60 * 60, "1 day"),
    Duration(7 * 24 * 60 * 60, "1 week"),
    Duration(30 * 24 * 60 * 60, "30 days"),
)


def expiry_seconds(chosen: str) -> int | None:
    """The expiry preset a form chose: None for "never"; ValueError for anything else."""
    if not chosen:
        return None
    seconds = int(chosen)
    if seconds not in {preset.seconds for preset in DURATIONS}:
        msg = "choose one of the offered expiry times"
        raise ValueError(msg)
    return seconds


def share_windows(policy: SharePolicy) -> list[Duration]:
    """The windows a share may have: the default first, then the presets allowed."""
    default = Duration(policy.default_ttl_seconds, _label(policy.default_ttl_seconds))
    allowed = [
        d
        for d in DURATIONS
        if policy.min_ttl_seconds <= d.seconds <= policy.max_ttl_seconds
        and d.seconds != default.seconds
    ]
    return [default, *allowed]


def _label(seconds: int) -> str:
    for duration in DURATIONS:
        if duration.seconds == seconds:
            return duration.label
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours > 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"
