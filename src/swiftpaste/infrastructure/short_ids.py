"""RandomShortIdGenerator: short ids from the operating system's CSPRNG."""

import secrets

from swiftpaste.domain.snippets import SHORT_ID_ALPHABET, SHORT_ID_LENGTH


class RandomShortIdGenerator:
    """56^8 ≈ 9.7e13 ids: unguessable enough that links cannot be enumerated."""

    def new(self) -> str:
        return "".join(secrets.choice(SHORT_ID_ALPHABET) for _ in range(SHORT_ID_LENGTH))
