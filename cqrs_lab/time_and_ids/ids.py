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
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)
