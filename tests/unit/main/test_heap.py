"""Settling the garbage collector once a process has started."""

import gc
import weakref
from collections.abc import Iterator

import pytest

from swiftpaste.main.heap import YOUNG_GENERATION_THRESHOLD, settle_after_startup


class Node:
    def __init__(self) -> None:
        self.partner: Node | None = None


@pytest.fixture
def restored_collector() -> Iterator[None]:
    """The test process's collector as it was, whatever the test did to it."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_startup_garbage_is_collected_and_what_lives_is_frozen() -> None:
    cycle, kept = Node(), Node()
    cycle.partner, kept.partner = kept, cycle  # a cycle only the collector can free...
    left_behind = weakref.ref(cycle)
    del cycle, kept  # ...once nothing else holds it
    survivor = Node()
    frozen_before = gc.get_freeze_count()

    settle_after_startup()

    assert left_behind() is None  # collected first, not frozen with the rest
    assert gc.get_freeze_count() > frozen_before
    assert gc.is_tracked(survivor)
    middle, old = gc.get_threshold()[1:]
    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, middle, old)


@pytest.mark.usefixtures("restored_collector")
def test_cycles_made_after_startup_are_still_collected() -> None:
    settle_after_startup()
    cycle = Node()
    cycle.partner = cycle
    made_later = weakref.ref(cycle)
    del cycle

    gc.collect()

    assert made_later() is None
