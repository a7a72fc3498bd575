"""The garbage collector of a long-running process, settled once it has started.

Everything a process builds while it starts (modules, the container, pydantic and
SQLAlchemy's structures, the routes) lives as long as the process: about 180,000 objects
in the API. Python's full collection walks all of them again every time it runs. Under
load that is one pause of roughly 180 ms now and then, in the middle of requests, to find
nothing. Freezing them after startup (`gc.freeze()`, the standard library's tool for
exactly this) leaves them out of every later collection.

Most of what a request allocates is freed by reference counting the moment it is done
with; the collector is only needed for reference cycles. So the youngest generation is
collected after `YOUNG_GENERATION_THRESHOLD` new container objects instead of 700: far
fewer collections, fewer short-lived objects caught alive and promoted to an older
generation, and memory bound by a few thousand objects at most.
"""

import gc

YOUNG_GENERATION_THRESHOLD = 10_000


def settle_after_startup() -> None:
    """Collect what startup left behind, freeze the rest, collect the young less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
