"""Argon2PasswordHasher: argon2id with parameters at or above OWASP's recommendation."""

from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's minimum for argon2id: 19 MiB of memory, 2 iterations, 1 degree of parallelism.
OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_TIME_COST = 2


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    time_cost: int
    memory_cost_kib: int
    parallelism: int

    def __post_init__(self) -> None:
        if (
            self.memory_cost_kib < OWASP_MIN_MEMORY_KIB
            or self.time_cost < OWASP_MIN_TIME_COST
            or self.parallelism < 1
        ):
            msg = (
                f"argon2 parameters below OWASP's minimum (memory >= {OWASP_MIN_MEMORY_KIB} KiB, "
                f"time >= {OWASP_MIN_TIME_COST}, parallelism >= 1)"
            )
            raise ValueError(msg)


class Argon2PasswordHasher:
    def __init__(self, parameters: Argon2Parameters) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            type=argon2.Type.ID,
        )
        # Verified against when the account does not exist, so that the answer
        # takes as long as a real verification.
        self._decoy_hash = self._hasher.hash("decoy password for unknown accounts")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed_password: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed_password, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed_password: str) -> bool:
        return self._hasher.check_needs_rehash(hashed_password)

    def burn_time(self, password: str) -> None:
        self.verify(self._decoy_hash, password)
