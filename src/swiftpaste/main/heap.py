"""The garbage collector of a long-running process, settled once it has started:
what startup built is frozen out of later collections, and the youngest generation is
collected less often. Why: docs/adr/0010-process-runtime.md.
"""

import gc

YOUNG_GENERATION_THRESHOLD = 10_000


def settle_after_startup() -> None:
    """Collect what startup left behind, freeze the rest, collect the young less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
