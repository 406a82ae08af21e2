"""Id sources: where new UUIDs come from.

Seeded ids make a notebook print the same order ids on every run; random ids are
the production default. Both produce version-4 UUIDs, so nothing downstream can tell.
"""

from __future__ import annotations

import random
import uuid
from typing import Protocol


class IdSource(Protocol):
    """Anything that hands out fresh UUIDs."""

    def new_id(self) -> uuid.UUID: ...


class RandomIds:
    """Fresh random UUIDs (``uuid4``)."""

    def new_id(self) -> uuid.UUID:
        return uuid.uuid4()


class SeededIds:
    """A reproducible sequence of version-4 UUIDs drawn from ``random.Random(seed)``."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def new_id(self) -> uuid.UUID:
        return uuid4_from_bits(self._rng.getrandbits(128))


_VERSION_4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_4_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4_from_bits(bits: int) -> uuid.UUID:
    """The version-4 UUID made of 128 random ``bits``: ``uuid.UUID(int=bits, version=4)``.

    The same value, built without ``UUID.__init__``'s argument parsing: every command and
    every new aggregate takes an id, and that parsing was a twentieth of the write path.
    It sets the same two attributes ``UUID.__init__`` sets, to the same values.
    """
    value = _new_uuid(uuid.UUID)
    _set_int(value, (bits & _VERSION_4_CLEAR) | _VERSION_4_SET)
    _set_is_safe(value, _UNKNOWN_SAFETY)
    return value


# UUID is immutable (its __setattr__ raises); its own __init__ sets the two slots through
# object.__setattr__, and the slots' descriptors do the same a little faster.
_new_uuid = object.__new__
_set_int = uuid.UUID.int.__set__  # type: ignore[attr-defined]
_set_is_safe = uuid.UUID.is_safe.__set__  # type: ignore[attr-defined]
_UNKNOWN_SAFETY = uuid.SafeUUID.unknown
