"""CommunityModel: one run of a scenario, day by day, in the architecture's phase order.

1. arrivals: recruits reach the invitation, join, are routed to groups;
2. plan: each strategy, in the scenario's order, acts on the groups its schedule and
   target allow today (``Day.scope``): messages, log-odds terms, costs;
3-4. exposure and behaviour: the member rules (``sim.engine.rules``) draw every choice;
5. updates: strategies react (``after``), leavers go, group liveliness is updated;
6. record: one row per (day, group) (``sim.engine.recorder.Recorder``);
7. memberships that strategies asked for today (``enroll``) start tomorrow.

The engine knows no strategy by name. A strategy is any object with ``name``,
``purpose`` (its stream), the declarations ``columns``, ``outputs``, ``channels`` and
``costs`` (``channel_names``, ``output_names``), ``scope(day)`` (the groups it acts on
today) and the hooks ``setup(model)``, ``plan(day)``, ``after(day)`` (``sim.strategies``
builds them from a scenario). ``scenario.make_strategies()`` gives them when none are passed.
"""
from __future__ import annotations

import mesa
import numpy as np

from .arrivals import Recruiting
from .day import OPERATOR, Day
from .groups import Groups
from .kinds import KindTable
from .members import Members
from .recorder import Recorder
from .rules import Rules
from .streams import Streams, hash_words


class CommunityModel(mesa.Model):
    def __init__(self, scenario, replication: int = 0, seed: int | None = None, strategies=None):
        seed = scenario.seed if seed is None else int(seed)
        # Mesa's own generator is seeded for completeness; member rules use named streams.
        super().__init__(rng=[seed, replication])
        self.spec = scenario  # the Scenario (Mesa 3.5 reserves `scenario` on Model)
        self.seed = seed
        self.replication = replication
        self.day = 0
        self.streams = Streams(seed, replication)
        self.strategies = list(scenario.make_strategies() if strategies is None else strategies)
        self._declare(self.strategies)
        expected = scenario.recruitment.initial_members + scenario.recruitment.arrivals_per_day * scenario.days
        # an eighth more for what strategies bring (hunters, invitees, enrolments): growing later
        # copies every column once more
        self.members = Members(capacity=int(min(expected * 1.125, 2_250_000)) + 16,
                               traits=scenario.behavior.traits_in_use())
        for column in self.columns.values():
            self.members.add_column(column.name, column.dtype, column.fill, archived=column.per_person)
        spec = scenario.groups
        kinds = KindTable(spec.kinds, spec.capacity, scenario.behavior.trust.initial)
        self.groups = Groups(self, spec.capacity, spec.auto_switch,
                             initial_liveliness=scenario.behavior.contagion.reference,
                             qr_limit=spec.qr_limit, qr_days=spec.qr_days, reuse_seats=spec.reuse_seats, kinds=kinds)
        self._enrolments: list[tuple[np.ndarray, np.ndarray, bool]] = []  # asked for today
        self.enrolled = self.moved_out = np.zeros(0, np.int64)  # per group, at the start of today
        social = [scenario.members.dist(s, "social") for s in scenario.members.segment_names()]
        uniform_social = all(d.family == "constant" and d.constant == 1 for d in social)
        # weak-tie kinds raise leaving group-wide: covered by the gates (sim.engine.kinds)
        self.rules = Rules(scenario.behavior, self.streams, uniform_social, bool((kinds.ties < 0).any()))
        self.recruiting = Recruiting(self)  # after the rules: arrivals take their gates
        self.recorder = Recorder(self)
        for s in self.strategies:
            s.setup(self)

    def _declare(self, strategies) -> None:
        """Collect what the strategies declare; one declaration serves every instance."""
        self.columns, self.outputs, channels, self.cost_categories = {}, {}, {}, []
        for s in strategies:
            for kind, found in ((self.columns, s.columns), (self.outputs, s.outputs), (channels, s.channels)):
                for item in found:
                    if kind.setdefault(item.name, item) != item:
                        raise ValueError(f"'{item.name}' is declared twice, differently (strategy '{s.name}')")
            self.cost_categories += [c for c in s.costs if c not in self.cost_categories]
        clash = set(channels) & set(OPERATOR)
        if clash:
            raise ValueError(f"channel {sorted(clash)} is the operator's")
        self.channel_specs = list(channels.values())
        self.channels = list(OPERATOR) + list(channels)

    def step(self) -> None:
        t = self.day
        joined, lost = self.recruiting.arrive(t)
        if t == 0:  # tier groups open on day 0, after the first routed groups: filled by strategies
            for k, kind in enumerate(self.groups.kinds.kinds):
                if not kind.routable and kind.groups:
                    self.groups.open(0, kind.groups, k)
            joined = np.concatenate([joined, np.zeros(self.groups.count - len(joined), joined.dtype)])
        self.members.order(self.groups.count)
        day = Day(self, t)
        if self.groups.kinds.active:
            self.groups.kinds.apply(day, self.groups.kind)
        self._act(day, "plan")
        self.rules.apply(day)
        stranded = self.groups.closed & (self.groups.size > 0)  # a move out of a dissolved group that
        if stranded.any():                                       # could not start: she goes now
            day.leaving |= self.members.per_member(stranded, bool) & day.present
        self._act(day, "after")
        m, g = self.members, self.groups
        size_today = g.size.copy()
        leavers = np.flatnonzero(day.leaving)
        left = np.bincount(m.group[leavers], minlength=g.count)  # few leave: faster than a full count
        self.recorder.record(day, joined, left, lost)
        m.mark_left(leavers, t)
        g.size -= left
        self._update_liveliness(day, size_today)
        self._start_enrolments(t + 1)
        m.compact_if_sparse()
        self.day += 1

    def _update_liveliness(self, day: Day, present: np.ndarray) -> None:
        """E_g ← memory·E_g + (1 − memory)·(today's weighted talk per present member)
        (``sim.engine.rules.Contagion``); an emptied group falls silent. Spam is not talk
        (it counts ``talk_weight`` of a message: ``sim.engine.spam.Spam``)."""
        c, spam = self.spec.behavior.contagion, self.spec.behavior.spam
        member = day.member_msgs
        if spam.active:
            member = member - (1 - spam.talk_weight) * day.spam_msgs
        talk = member + c.proof_weight * day.proof_msgs + c.operator_weight * day.operator_msgs
        per_member = np.divide(talk, present, out=np.zeros(len(present)), where=present > 0)
        g = self.groups
        g.liveliness = c.memory * g.liveliness + (1 - c.memory) * per_member

    def enroll(self, rows, groups, move: bool = False) -> None:
        """Ask for memberships of the members at live ``rows`` in ``groups`` (one group,
        or one per row): added to them (a VIP or tier group) or, with ``move``, moved
        there (out of a group to be dissolved), her person state and history kept
        (``sim.engine.members``). They start tomorrow, when they are counted as
        ``enrolled`` in the new group and ``moved_out`` of the old; until then today's
        rows stay as they are. A person already in the group, a member who left today
        and seats past the group's ``capacity`` (or in a closed group) are skipped."""
        rows = np.asarray(rows, np.int64)
        target = np.broadcast_to(np.asarray(groups, np.int64), rows.shape)
        if len(rows) and (rows.min() < 0 or rows.max() >= self.members.n):
            raise IndexError(f"enroll: rows must be live member rows (0..{self.members.n - 1})")
        if len(target) and (target.min() < 0 or target.max() >= self.groups.count):
            raise IndexError(f"enroll: no group {int(target.max())}; groups are 0..{self.groups.count - 1}")
        self._enrolments.append((rows.copy(), target.copy(), bool(move)))

    def moving_out(self) -> np.ndarray:
        """Live rows whose move to another group was asked for today."""
        moves = [rows for rows, _, move in self._enrolments if move]
        return np.unique(np.concatenate(moves)) if moves else np.zeros(0, np.int64)

    def asked_seats(self) -> np.ndarray:
        """Places asked for today per group (memberships that start tomorrow, if they fit)."""
        asked = [target for _, target, _ in self._enrolments]
        return np.bincount(np.concatenate(asked), minlength=self.groups.count) if asked else \
            np.zeros(self.groups.count, np.int64)

    def _start_enrolments(self, day: int) -> None:
        m, g = self.members, self.groups
        self.enrolled, self.moved_out = np.zeros(g.count, np.int64), np.zeros(g.count, np.int64)
        for rows, target, move in self._enrolments:
            keep = m.present[rows] & (m.group[rows] != target)
            rows, target = rows[keep], target[keep]
            wanted = _membership(m.person[rows], target)
            fresh = np.ones(len(rows), bool)  # one membership a person: not in the target, as checked above
            if m.several:  # not there already by another membership (only the asked persons' rows are read)
                theirs = m.present & m.of_persons(m.person[rows])
                fresh = ~np.isin(wanted, _membership(m.person[theirs], m.group[theirs]))
            _, first = np.unique(wanted[fresh], return_index=True)
            once = np.flatnonzero(fresh)[np.sort(first)]  # once per (person, group), in the order asked
            rows, target = rows[once], target[once]
            seats = g.seats()
            rank = np.zeros(len(target), np.int64)  # place in the queue of its group
            for gid in np.unique(target):
                rank[target == gid] = np.arange((target == gid).sum())
            fits = rank < seats[target]
            rows, target = rows[fits], target[fits]
            if not len(rows):
                continue
            keys = m.uid[rows] if move else self._membership_keys(m.person[rows], target)
            old = m.group[rows].astype(np.int64)
            m.enroll(rows, target.astype(np.int32), day, move, keys)
            arrived = np.bincount(target, minlength=g.count)
            g.size += arrived
            g.admitted += arrived  # the open invitation promises recruits only the places left
            self.enrolled += arrived
            if move:
                gone = np.bincount(old, minlength=g.count)
                g.size -= gone
                self.moved_out += gone
        self._enrolments = []

    def _membership_keys(self, persons: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Draw keys of added memberships: a hash of (person, group), top bit set so they
        never equal a person's own uid; the same person added to the same group gets
        the same luck in every scenario."""
        keys = np.empty(len(persons), np.uint32)
        for gid in np.unique(groups):
            sel = groups == gid
            keys[sel] = hash_words(persons[sel].astype(np.uint32), self.streams.key("membership", int(gid)))
        return keys | np.uint32(0x80000000)

    def _act(self, day: Day, hook: str) -> None:
        """Each strategy's ``hook``, confined to the groups it may act on today."""
        for s in self.strategies:
            scope = s.scope(day)
            if scope.any():
                day.actor, day.scope = s, scope
                getattr(s, hook)(day)
        day.actor, day.scope = None, None

    def release(self) -> None:
        """Let go of this model once its results are taken: remove its group agents and
        Mesa's per-model id counter (a class-level registry keyed by model, which would
        keep every model ever built alive, with its arrays)."""
        for agent in list(self.agents):
            agent.remove()
        counters = getattr(mesa.Agent, "_ids", None)  # Mesa 3.x keeps one per model
        if isinstance(counters, dict):
            counters.pop(self, None)

    def run(self, days: int | None = None) -> "CommunityModel":
        for _ in range(self.spec.days if days is None else days):
            self.step()
        self.running = False
        return self


def _membership(persons: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """One int64 per (person, group) pair, to compare memberships as whole arrays."""
    return (persons.astype(np.int64) << 32) | groups.astype(np.int64)
