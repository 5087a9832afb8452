"""Talk: how many messages each poster writes, and the share of her group's liveliness
that is her own (``sim.engine.rules.Contagion`` says what liveliness is and why a member
sees only the others' talk).

Messages: a member who posts writes 1 + a geometric count with mean ``verbosity`` − 1
(``sim.engine.traits``; kept as ``message_ln_q``), capped at ``MESSAGES_MAX`` a day.
Own share: kept lazily per membership (``talk``, ``talk_day`` columns) and only where a
day's messages make at least ``OWN_MIN`` of the group's talk, so in a big group only a
superuser's count: keeping everyone's would cost a pass over every poster a day.
"""
from __future__ import annotations

import numpy as np

from .streams import hash_uniform

MESSAGES_MAX = 1000  # one member's messages in one group on one day
OWN_WINDOW = 30  # days after which a member's own messages no longer count in her view (0.8^30 < 0.2%)
OWN_MIN = 0.1    # a day's messages under this share of her group's talk change her view by under 10%: left out


class Talk:
    """Messages and own shares of talk for one model (state: which rows are tracked)."""

    def __init__(self, streams, contagion, uniform_social: bool):
        self.streams = streams
        self.c = contagion
        self.uniform_social = uniform_social
        self._last_tracked: int | None = None  # last day a member's own share of talk was kept
        self._tracked: tuple[int, np.ndarray] | None = None  # (members.moves, rows whose share is kept)

    def own_gap(self, day) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(rows, L_i − L_g) of members whose own recent messages are a part of their
        group's liveliness that counts: the group she sees is the others' talk, E_g minus
        her own share (a superuser alone in a quiet group talks to nobody). Her share is
        kept lazily: its value on the day she last posted, times ``memory`` per day since;
        only a day's messages that make at least ``OWN_MIN`` of her group's talk add to
        it (anyone's in a small group, a superuser's in a big one), and it is forgotten
        ``OWN_WINDOW`` days after they were written."""
        m, c, t = day.members, self.c, day.t
        recent = self._tracked_rows(m, t)
        if recent is None:
            return None, None
        own = m.talk[recent] * np.float32(c.memory) ** (t - 1 - m.talk_day[recent]).astype(np.float32)
        e = day.groups.liveliness[m.group[recent]]
        gap = np.log((np.maximum(e - own, 0) + c.floor) / (e + c.floor))
        if self.uniform_social is False:
            gap *= m.social[recent]
        return recent, gap.astype(np.float32)

    def _tracked_rows(self, m, t: int) -> np.ndarray | None:
        """Rows whose own share is kept and recent; found by one scan only after rows moved."""
        start = max(t - OWN_WINDOW, 0)
        if self._tracked is None or self._tracked[0] != m.moves:
            if self._last_tracked is None or self._last_tracked < start:
                return None
            self._tracked = (m.moves, np.flatnonzero(m.talk_day >= start))
        rows = self._tracked[1]
        rows = rows[(rows < m.n) & (m.talk_day[rows[rows < m.n]] >= start)] if len(rows) else rows
        self._tracked = (m.moves, rows)
        return rows if len(rows) else None

    def write(self, day, rows: np.ndarray, runs: np.ndarray) -> None:
        """Messages of today's posters: 1 + a geometric count with mean ``verbosity`` − 1
        (one uniform each, by inversion), capped at ``MESSAGES_MAX``; per group in
        ``day.member_msgs`` (``runs``: posters per group, the sorted ``rows`` in runs). Then each poster's share of her group's liveliness
        (``own_gap``)."""
        m, t, g = day.members, day.t, day.groups
        u = hash_uniform(m.uid[rows], self.streams.key("messages", t))
        extra = np.log(u)
        extra /= m.message_ln_q[rows]  # ln u < 0; verbosity 1: ln q = -inf, no extra message
        np.floor(extra, out=extra)
        np.minimum(extra, np.float32(MESSAGES_MAX - 1), out=extra)
        extra += np.float32(1)
        count = extra.astype(np.uint32)
        m.messages[rows] += count
        day.writers = (rows, count)
        day.member_msgs = np.zeros(g.count)
        if len(rows):
            starts = np.cumsum(runs) - runs
            some = runs > 0
            day.member_msgs[: len(runs)][some] = np.add.reduceat(count, starts[some], dtype=np.int64)
        c = self.c
        if not c.enabled:
            return
        # the fewest messages that make OWN_MIN of a group's talk
        least = (OWN_MIN * (g.liveliness + c.floor) * np.maximum(g.size, 1) / (1 - c.memory))[: len(runs)]
        tracked = np.flatnonzero(count >= least.min()) if len(least) else np.zeros(0, np.int64)
        if len(tracked):  # few posters reach it in big groups: test the rest exactly
            tracked = tracked[count[tracked] >= least[m.group[rows[tracked]]]]
        if len(tracked):
            rows, last = rows[tracked], m.talk_day[rows[tracked]]
            share = (1 - c.memory) * count[tracked] / np.maximum(g.size[m.group[rows]], 1)
            kept = np.where(last >= 0, np.float32(c.memory) ** (t - last).astype(np.float32), np.float32(0))
            m.talk[rows] = m.talk[rows] * kept + share
            m.talk_day[rows] = t
            self._last_tracked = t
            if self._tracked is not None and self._tracked[0] == m.moves:
                both = np.sort(np.concatenate([self._tracked[1], rows]))  # np.union1d hashes: 10x slower
                self._tracked = (m.moves, both[np.concatenate([[True], both[1:] != both[:-1]])])
