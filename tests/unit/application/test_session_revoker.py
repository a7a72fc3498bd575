"""SessionRevoker: denylist sessions already revoked in the database, best effort."""

import logging
from datetime import timedelta
from uuid import uuid4

import pytest

from swiftpaste.application.auth.revocation import SessionRevoker
from tests.unit.conftest import ACCESS_SECONDS
from tests.unit.fakes import FakeDenylist, FixedClock


async def test_the_sessions_are_denylisted_for_one_access_token_lifetime(
    revoker: SessionRevoker, denylist: FakeDenylist, clock: FixedClock
) -> None:
    first, second = uuid4(), uuid4()
    await revoker.stop_access_tokens([first, second])
    until = clock.now() + timedelta(seconds=ACCESS_SECONDS)
    assert denylist.sessions == {first: until, second: until}


async def test_every_access_token_of_a_stopped_session_is_refused(
    revoker: SessionRevoker, denylist: FakeDenylist
) -> None:
    session_id = uuid4()
    await revoker.stop_access_tokens([session_id])
    assert await denylist.is_revoked(uuid4().hex, session_id)


async def test_the_denylist_entries_lapse_once_every_token_would_have_expired(
    revoker: SessionRevoker, denylist: FakeDenylist, clock: FixedClock
) -> None:
    session_id = uuid4()
    await revoker.stop_access_tokens([session_id])
    clock.advance(timedelta(seconds=ACCESS_SECONDS))
    assert not await denylist.is_revoked(uuid4().hex, session_id)


async def test_no_session_means_no_call_to_the_denylist(
    revoker: SessionRevoker, denylist: FakeDenylist, journal: list[str]
) -> None:
    denylist.unavailable = True
    await revoker.stop_access_tokens([])
    assert journal == []


async def test_an_unavailable_denylist_is_swallowed(
    revoker: SessionRevoker, denylist: FakeDenylist
) -> None:
    denylist.unavailable = True
    await revoker.stop_access_tokens([uuid4()])
    assert denylist.sessions == {}


async def test_an_unavailable_denylist_is_logged_as_a_warning_naming_the_sessions(
    revoker: SessionRevoker, denylist: FakeDenylist, caplog: pytest.LogCaptureFixture
) -> None:
    session_id = uuid4()
    denylist.unavailable = True
    with caplog.at_level(logging.WARNING, logger="swiftpaste.application.auth.revocation"):
        await revoker.stop_access_tokens([session_id])
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.__dict__["sessions"] == [str(session_id)]
