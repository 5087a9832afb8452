"""Turning log-odds into members' choices, one Bernoulli draw per member row.

A choice of member row i has log-odds z_i = ln(o_i) + g_group(i) + m_i: a base-odds
trait o_i (or one constant), a per-group term and per-member terms (``sim.engine.rules``).
Row i says yes when its uniform u_i < p_i = sigmoid(z_i), tested in odds space as
u < odds·(1 - u), so no member needs an exp of its own. Uniforms come from the
counter-based hash of ``sim.engine.streams``, keyed by (seed, replication, purpose, day, uid):
a member's luck for a choice depends on nobody else and on no other choice.

**Common choices** (posting) are tested on every row with a 23-bit uniform, in chunks
that stay in cache (``Drawer.common``): the top 23 bits of the row's word of the day.
Its low byte is left for one rare choice's first stage (``leave`` uses the posting
word's: one hash a day fewer over every row); that byte is kept for the day (only byte 0
of a common choice's word may be read: ``sim.engine.choices``).

**Rare choices** (lapse, mute, buy, leave: a few percent a day or less) are tested on
every row at a fraction of that cost (``Drawer.rare``). Their uniform has two stages,
u = (b + v) / 256: b is one byte of a word hashed once a day (the choice's ``gate_word``
and ``byte``, ``sim.engine.choices``: lapse, mute, buy and wake share the word ``"rare"``,
any other choice has its own), v a 23-bit uniform of the choice's own purpose. A row can say yes only if b < 256·p_i. Each choice has a bound K on the factor
by which its group and member terms can raise the base odds: ``K_GROUP`` for the group
term if its rules have one (else 1), e^(coefficient × known maximum) for member terms on bounded columns (trust), and
``K_FREE`` if it has unbounded ones (fatigue). Below the bound p_i <= sigmoid(ln(K·o_i)),
so only rows with b <= gate_i = ceil(256·sigmoid(ln(K·o_i))) - 1 (one byte per member, set
on arrival by ``gate``) can say yes. Those rows, and the rows of any group or member
over its bound, are tested exactly; the rest say no. The result is the same as testing
every row exactly.
"""
from __future__ import annotations


import numpy as np

from .choices import CHOICES
from .streams import hash_uniform, hash_words

K_GROUP = 2.0  # bound on a group's factor e^g covered by the gates
K_FREE = 4.0   # bound on the factor of a member's unbounded terms covered by the gates
CHUNK = 1 << 17  # rows per pass of a common draw: work arrays of 512 KB stay in a core's L2


def bounds(group_terms: bool, known_terms: list[tuple[float, float]], free_terms: bool) -> tuple[float, float, float]:
    """(K, group bound, free bound) of a rare choice, from whether its rules give it a
    group term, its member terms with known maxima as (coefficient, maximum), and whether
    it has member terms without one."""
    group = K_GROUP if group_terms else 1.0
    free = K_FREE if free_terms else 1.0
    known = float(np.exp(sum(max(c * top, 0.0) for c, top in known_terms)))
    return group * known * free, group, free


def gate(base_odds: np.ndarray | float, k: float) -> np.ndarray:
    """Largest first-stage byte with which a member of these base odds may say yes,
    when the day's terms raise the odds at most ``k`` times."""
    k_odds = k * np.asarray(base_odds, np.float64)
    with np.errstate(invalid="ignore"):  # infinite odds: p̄ = 1
        p_bar = np.where(np.isfinite(k_odds), k_odds / (1 + k_odds), 1.0)
    return (np.clip(np.ceil(256 * p_bar * (1 + 1e-9)) - 1, 0, 255)).astype(np.uint8)


class Scratch:
    """Reusable work arrays, so the daily rules do not allocate (and page-fault) anew."""

    def __init__(self):
        self._buffers: dict[tuple[str, type], np.ndarray] = {}

    def get(self, name: str, dtype, n: int) -> np.ndarray:
        buf = self._buffers.get((name, dtype))
        if buf is None or len(buf) < n:
            buf = np.empty(n + n // 32, dtype)  # room for a few weeks of arrivals, not double
            self._buffers[(name, dtype)] = buf
        return buf[:n]

    def true_rows(self, mask: np.ndarray) -> np.ndarray:
        """``np.flatnonzero(mask)``, faster for the few percent of rows posting selects.

        numpy finds the true entries of a boolean array with a branch per entry when at most
        a tenth are true (1.8 ms at 9% of 10^6 rows, against 0.5 ms at 12%): between 4% and
        10%, padding the mask with true entries to just over a tenth and dropping them from
        the result costs about half. Same rows, same order."""
        n, k = len(mask), int(np.count_nonzero(mask))
        if not (n > 1 << 16 and 0.04 * n < k <= 0.1 * n):
            return np.flatnonzero(mask)
        padded = self.get("padded mask", np.bool_, n + (n - 10 * k) // 9 + 1)
        padded[:n] = mask
        padded[n:] = True
        return np.flatnonzero(padded)[:k]


class Drawer:
    """Draws the choices of one model's members from its streams."""

    def __init__(self, streams):
        self.streams = streams
        self.scratch = Scratch()
        self._word_day: dict[str, tuple[int, int]] = {}  # word purpose -> (day, rows) hashed
        self._byte_day: dict[str, tuple[int, int]] = {}  # common word -> (day, rows) its low byte is kept
        self.shared_words = {c.gate_word for c in CHOICES.values() if c.rare}  # words rare choices read

    def common(self, purpose: str, t: int, uids: np.ndarray, odds: np.ndarray) -> np.ndarray:
        """Mask of rows saying yes, each row with its exact odds."""
        keep = None
        if purpose in self.shared_words:  # a rare choice reads this word's low byte today
            keep = self.scratch.get(f"byte {purpose}", np.uint8, len(uids))
            self._byte_day[purpose] = (t, len(uids))
        return self._below(self.streams.key(purpose, t), uids, odds, keep)

    def _below(self, key: int, uids: np.ndarray, odds: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        sc, n = self.scratch, len(uids)
        drawn = np.empty(n, bool)
        words_buf, tmp, rest_buf = (sc.get(name, dt, min(n, CHUNK))
                                    for name, dt in (("words", np.uint32), ("tmp", np.uint32), ("rest", np.float32)))
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            k = stop - start
            words = hash_words(uids[start:stop], key, out=words_buf[:k], tmp=tmp[:k])
            if keep is not None:
                np.copyto(keep[start:stop], words, casting="unsafe")  # the low byte
            words >>= np.uint32(9)
            words |= np.uint32(0x3F800000)  # float32 bits of 1 + u, u in [0, 1)
            one_plus_u = words.view(np.float32)
            rest = rest_buf[:k]
            np.subtract(np.float32(2.0), one_plus_u, out=rest)  # 1 - u
            rest *= odds[start:stop]
            one_plus_u -= np.float32(1.0)
            np.less(one_plus_u, rest, out=drawn[start:stop])
        return drawn

    def rare(self, purpose: str, t: int, members, gates: np.ndarray | int, base_odds: np.ndarray | float,
             group_z: np.ndarray, terms: list[tuple[float, np.ndarray, float | None]], group_bound: float,
             free_bound: float, eligible: np.ndarray | None = None, sparse=None) -> np.ndarray:
        """Sorted rows saying yes to rare choice ``purpose`` (see the module docstring).

        ``gates``: the members' ``gate`` (or one byte); ``group_z``: log-odds per group,
        covered by the gates up to ln ``group_bound``; ``terms``: member log-odds as
        (coefficient, column, maximum of the column or None), those with a maximum being
        covered by the gates (a negative coefficient needs a column >= 0), the others
        together up to ln ``free_bound``. Rows over a bound are tested exactly.
        ``eligible``: mask of rows that may choose at all. ``sparse``: (rows, log-odds) that
        a few rows add, unbounded: the rows it raises are tested exactly (one it lowers can
        say yes only where the gate lets it through anyway)."""
        m = members
        byte = self.gate_bytes(t, m, purpose)
        candidate = byte <= gates
        factor = np.exp(group_z)
        over = factor > group_bound
        if over.any():
            candidate |= m.per_member(over, bool)
        free = [term for term in terms if term[2] is None]
        ln_free = float(np.log(free_bound))
        if len(free) == 1 and free[0][0] > 0:  # one term: compare its column, no sum to build
            candidate |= free[0][1] > ln_free / free[0][0]
        elif free:
            candidate |= _member_z(free, slice(None)) > ln_free
        if sparse is not None:  # a row term that lowers the odds keeps them under the gate's bound
            candidate[sparse[0][sparse[1] > 0]] = True
        rows = np.flatnonzero(candidate)
        if eligible is not None:
            rows = rows[eligible[rows]]
        odds = factor[m.group[rows]]
        odds *= base_odds[rows] if isinstance(base_odds, np.ndarray) else base_odds
        if terms:
            odds *= np.exp(_member_z(terms, rows))
        if sparse is not None:
            at = np.searchsorted(rows, sparse[0])
            inside = at < len(rows)
            inside[inside] = rows[at[inside]] == sparse[0][inside]
            odds[at[inside]] *= np.exp(sparse[1][inside].astype(np.float64))
        v = hash_uniform(m.uid[rows], self.streams.key(purpose, t))
        u = (byte[rows] + v.astype(np.float64)) / 256
        return rows[u < odds * (1 - u)]

    def gate_bytes(self, t: int, m, choice: str) -> np.ndarray:
        """First-stage bytes of rare ``choice`` on day t, one per row: byte ``byte`` of its
        daily word (hashed once a day for all the choices sharing it, at the first use)."""
        word, k = CHOICES[choice].gate_word, CHOICES[choice].byte
        if k == 0 and self._byte_day.get(word) == (t, m.n):  # kept by today's common draw
            return self.scratch.get(f"byte {word}", np.uint8, m.n)
        words = self.scratch.get(f"word {word}", np.uint32, m.n)
        if self._word_day.get(word) != (t, m.n):
            key, tmp = self.streams.key(word, t), self.scratch.get("tmp", np.uint32, min(m.n, CHUNK))
            for start in range(0, m.n, CHUNK):  # in chunks: a small work array that stays in cache
                stop = min(start + CHUNK, m.n)
                hash_words(m.uid[start:stop], key, out=words[start:stop], tmp=tmp[: stop - start])
            self._word_day[word] = (t, m.n)
        # byte k counted from the low end, as a contiguous copy: comparing a strided view of
        # the words costs four times as much as the cast (which keeps the low byte)
        low = words if k == 0 else np.right_shift(words, np.uint32(8 * k), out=self.scratch.get("shifted", np.uint32, m.n))
        out = self.scratch.get("byte", np.uint8, m.n)
        np.copyto(out, low, casting="unsafe")
        return out


def _member_z(terms, rows) -> np.ndarray:
    z = None
    for coef, column, _ in terms:
        part = np.float32(coef) * column[rows]
        z = part if z is None else z + part
    return z
