"""The lag of one partition: what the group has yet to commit, never negative."""

import pytest

from swiftpaste.infrastructure.messaging.consumer_lag import partition_lag


@pytest.mark.parametrize(
    ("end_offset", "committed", "beginning_offset", "lag"),
    [
        (120, 100, 0, 20),  # behind by 20
        (120, 120, 0, 0),  # caught up
        (120, None, 0, 120),  # never committed: reads from the beginning
        (120, None, 80, 40),  # ...which retention may have moved
        (118, 120, 0, 0),  # a broker reporting its end a little late: not -2
    ],
)
def test_partition_lag(
    end_offset: int, committed: int | None, beginning_offset: int, lag: int
) -> None:
    assert partition_lag(end_offset, committed, beginning_offset) == lag
