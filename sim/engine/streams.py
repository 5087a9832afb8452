"""Named random streams for common random numbers (CRN).

Every purpose (``"post"``, ``"leave"``, ``"trait.activity"``, ``"strategy.<name>"`` ...) has
its own stream keyed by (seed, replication, purpose name). A purpose name is hashed
with BLAKE2b, never Python's ``hash()``, so keys are stable across processes and runs.

Per-member draws are counter-based: member ``uid``'s uniform for purpose ``p`` on day
``t`` is a pure function of (seed, replication, p, t, uid). The model asks only for the
members present today, so departed members cost nothing, and a member's draws do not
depend on who else is in the population. Two scenarios that differ only in a strategy
therefore see the same arrivals, traits and per-member luck, and their difference is
the strategy's effect alone.

The per-member hash is the 32-bit ``lowbias32`` finaliser (C. Wellons) applied to
``uid * k1 ^ k2`` with (k1, k2) derived from (seed, replication, purpose, day) by
splitmix64. The test suite checks uniformity and independence across days, purposes,
replications and neighbouring members.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

_MASK64 = (1 << 64) - 1
_TWO_POW_M23 = np.float32(2.0**-23)
_HALF_CELL = np.float32(2.0**-24)


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


@lru_cache(maxsize=4096)
def purpose_key(name: str) -> int:
    """Stable 64-bit key of a purpose name."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def hash_words(uids: np.ndarray, key: int, out: np.ndarray | None = None,
               tmp: np.ndarray | None = None) -> np.ndarray:
    """32-bit hash words, one per uid, from a 64-bit key (``out``/``tmp``: uint32 scratch)."""
    uids = np.asarray(uids)
    if uids.dtype != np.uint32:
        uids = uids.astype(np.uint32)  # uids are 32-bit (``Members.uid``); wider ints wrap
    n = len(uids)
    x = np.empty(n, np.uint32) if out is None else out[:n]
    t = np.empty(n, np.uint32) if tmp is None else tmp[:n]
    np.multiply(uids, np.uint32((key & 0xFFFFFFFF) | 1), out=x)
    x ^= np.uint32(key >> 32)
    for shift, mult in ((16, 0x7FEB352D), (15, 0x846CA68B)):
        np.right_shift(x, np.uint32(shift), out=t)
        x ^= t
        x *= np.uint32(mult)
    np.right_shift(x, np.uint32(16), out=t)
    x ^= t
    return x


def hash_uniform(uids: np.ndarray, key: int, out: np.ndarray | None = None) -> np.ndarray:
    """Uniforms in (0, 1) as float32, one per uid: 23 random bits, centred in their cell.

    (k + 1/2) / 2^23 is exact in float32, so a draw is never 0 or 1 (24 bits centred
    would round the top cell up to 1.0, and ``u < p`` would fail at p = 1).
    """
    x = hash_words(uids, key)
    x >>= np.uint32(9)
    u = np.empty(len(uids), np.float32) if out is None else out[: len(uids)]
    np.multiply(x, _TWO_POW_M23, out=u, casting="unsafe")
    u += _HALF_CELL
    return u


class Streams:
    """All random streams of one replication.

    ``uniform(purpose, day, uids)`` gives per-member draws (see module docstring);
    ``generator(purpose, day)`` gives a numpy Generator for draws that are not per
    member (how many recruits arrive today, a group-level lottery), keyed the same way.
    """

    def __init__(self, seed: int, replication: int = 0):
        self.seed = int(seed)
        self.replication = int(replication)
        self._base = _splitmix64(_splitmix64(self.seed & _MASK64) ^ self.replication)
        self._shared: np.random.Generator | None = None  # see rekeyed
        self._fresh_state: dict | None = None

    def key(self, purpose: str, day: int) -> int:
        return _splitmix64(_splitmix64(self._base ^ purpose_key(purpose)) ^ (day & _MASK64))

    def uniform(self, purpose: str, day: int, uids: np.ndarray) -> np.ndarray:
        return hash_uniform(uids, self.key(purpose, day))

    def generator(self, purpose: str, day: int) -> np.random.Generator:
        return np.random.Generator(np.random.Philox(key=self._philox_key(purpose, day)))

    def rekeyed(self, purpose: str, day: int) -> np.random.Generator:
        """The same draws as ``generator(purpose, day)`` from one reused generator, valid
        until the next call (re-keying is 8x cheaper than building one: trait blocks)."""
        if self._shared is None:
            self._shared = np.random.Generator(np.random.Philox(key=np.zeros(2, np.uint64)))
            self._fresh_state = self._shared.bit_generator.state
        state = dict(self._fresh_state, state=dict(self._fresh_state["state"], key=self._philox_key(purpose, day)))
        self._shared.bit_generator.state = state
        return self._shared

    def _philox_key(self, purpose: str, day: int) -> np.ndarray:
        return np.array([self.key(purpose, day), self._base], dtype=np.uint64)

    def view(self, purpose: str) -> "StreamView":
        return StreamView(self, purpose)


class StreamView:
    """One purpose's stream, handed to a strategy so it cannot draw from another's."""

    def __init__(self, streams: Streams, purpose: str):
        self._streams = streams
        self.purpose = purpose

    def uniform(self, day: int, uids: np.ndarray, sub: str = "") -> np.ndarray:
        return self._streams.uniform(self._name(sub), day, uids)

    def generator(self, day: int, sub: str = "") -> np.random.Generator:
        return self._streams.generator(self._name(sub), day)

    def _name(self, sub: str) -> str:
        return f"{self.purpose}.{sub}" if sub else self.purpose
