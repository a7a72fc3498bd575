"""Argon2PasswordHasher: argon2id at or above OWASP's minimum (kept at the minimum for speed)."""

import re
import time
from collections.abc import Callable

import pytest

from swiftpaste.infrastructure.security.passwords import (
    OWASP_MIN_MEMORY_KIB,
    OWASP_MIN_TIME_COST,
    Argon2Parameters,
    Argon2PasswordHasher,
)

PASSWORD = "correct horse battery staple"
MINIMUM = Argon2Parameters(
    time_cost=OWASP_MIN_TIME_COST, memory_cost_kib=OWASP_MIN_MEMORY_KIB, parallelism=1
)
ENCODED_HASH = re.compile(
    r"\$(?P<variant>argon2(?:id|i|d))\$v=(?P<version>\d+)"
    r"\$m=(?P<memory>\d+),t=(?P<time>\d+),p=(?P<parallelism>\d+)\$[^$]+\$[^$]+"
)


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(MINIMUM)


@pytest.fixture(scope="module")
def hashed(hasher: Argon2PasswordHasher) -> str:
    return hasher.hash(PASSWORD)


def parameters_of(encoded: str) -> dict[str, str]:
    match = ENCODED_HASH.fullmatch(encoded)
    assert match is not None, f"not an encoded argon2 hash: {encoded!r}"
    return match.groupdict()


def test_the_owasp_minimum_is_19_mib_and_2_iterations() -> None:
    assert (OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME_COST) == (19 * 1024, 2)


def test_a_hash_is_argon2id_version_19(hashed: str) -> None:
    parameters = parameters_of(hashed)
    assert (parameters["variant"], parameters["version"]) == ("argon2id", "19")


def test_a_hash_uses_at_least_19_mib_of_memory(hashed: str) -> None:
    assert int(parameters_of(hashed)["memory"]) >= 19 * 1024


def test_a_hash_uses_at_least_2_iterations(hashed: str) -> None:
    assert int(parameters_of(hashed)["time"]) >= 2


def test_a_hash_records_the_configured_parameters(hashed: str) -> None:
    parameters = parameters_of(hashed)
    assert (parameters["memory"], parameters["time"], parameters["parallelism"]) == (
        str(MINIMUM.memory_cost_kib),
        str(MINIMUM.time_cost),
        str(MINIMUM.parallelism),
    )


def test_a_hash_does_not_contain_the_password(hashed: str) -> None:
    assert PASSWORD not in hashed


def test_hashing_the_same_password_twice_gives_different_salted_hashes(
    hasher: Argon2PasswordHasher, hashed: str
) -> None:
    assert hasher.hash(PASSWORD) != hashed


def test_the_right_password_verifies(hasher: Argon2PasswordHasher, hashed: str) -> None:
    assert hasher.verify(hashed, PASSWORD)


def test_a_wrong_password_does_not_verify(hasher: Argon2PasswordHasher, hashed: str) -> None:
    assert not hasher.verify(hashed, PASSWORD + "!")


@pytest.mark.parametrize("broken", ["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$$"])
def test_a_malformed_stored_hash_does_not_verify_and_does_not_raise(
    hasher: Argon2PasswordHasher, broken: str
) -> None:
    assert not hasher.verify(broken, PASSWORD)


def test_a_hash_made_with_todays_parameters_needs_no_rehash(
    hasher: Argon2PasswordHasher, hashed: str
) -> None:
    assert not hasher.needs_rehash(hashed)


def test_a_hash_made_with_weaker_allowed_parameters_needs_a_rehash(hashed: str) -> None:
    stronger = Argon2PasswordHasher(
        Argon2Parameters(
            time_cost=OWASP_MIN_TIME_COST + 1,
            memory_cost_kib=OWASP_MIN_MEMORY_KIB,
            parallelism=1,
        )
    )
    assert stronger.needs_rehash(hashed)


def test_burning_time_for_an_unknown_account_costs_about_a_verification(
    hasher: Argon2PasswordHasher, hashed: str
) -> None:
    def fastest_of_three(action: Callable[[], object]) -> float:
        durations = []
        for _ in range(3):
            started = time.perf_counter()
            action()
            durations.append(time.perf_counter() - started)
        return min(durations)

    verifying = fastest_of_three(lambda: hasher.verify(hashed, "wrong password"))
    burning = fastest_of_three(lambda: hasher.burn_time("wrong password"))
    assert burning >= 0.5 * verifying


def test_memory_below_the_owasp_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="OWASP"):
        Argon2Parameters(
            time_cost=OWASP_MIN_TIME_COST, memory_cost_kib=OWASP_MIN_MEMORY_KIB - 1, parallelism=1
        )


def test_fewer_iterations_than_the_owasp_minimum_are_refused() -> None:
    with pytest.raises(ValueError, match="OWASP"):
        Argon2Parameters(
            time_cost=OWASP_MIN_TIME_COST - 1, memory_cost_kib=OWASP_MIN_MEMORY_KIB, parallelism=1
        )


def test_exactly_the_owasp_minimum_is_allowed() -> None:
    parameters = Argon2Parameters(
        time_cost=OWASP_MIN_TIME_COST, memory_cost_kib=OWASP_MIN_MEMORY_KIB, parallelism=1
    )
    assert parameters.memory_cost_kib == 19456


@pytest.mark.parametrize("parallelism", [0, -1])
def test_fewer_than_one_degree_of_parallelism_is_refused(parallelism: int) -> None:
    with pytest.raises(ValueError, match="OWASP"):
        Argon2Parameters(
            time_cost=OWASP_MIN_TIME_COST,
            memory_cost_kib=OWASP_MIN_MEMORY_KIB,
            parallelism=parallelism,
        )
