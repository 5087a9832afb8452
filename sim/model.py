"""CommunityModel: one run of a scenario, day by day, in the architecture's phase order.

1. arrivals: recruits reach the invitation, join, are routed to groups;
2. plan: each strategy sets today's operator actions and log-odds terms;
3-4. exposure and behaviour: the member rules (``sim.behavior``) draw every choice;
5. updates: strategies react (``after``), leavers go, group liveliness is updated;
6. record: one row per (day, group) (``sim.metrics.Recorder``).
"""
from __future__ import annotations

import mesa
import numpy as np

from .arrivals import Recruiting
from .behavior import Rules
from .day import Day
from .groups import Groups
from .members import Members
from .metrics import Recorder
from .streams import Streams
from .strategies import REGISTRY


class CommunityModel(mesa.Model):
    def __init__(self, scenario, replication: int = 0, seed: int | None = None):
        seed = scenario.seed if seed is None else int(seed)
        # Mesa's own generator is seeded for completeness; member rules use named streams.
        super().__init__(rng=[seed, replication])
        self.spec = scenario  # the Scenario (Mesa 3.5 reserves `scenario` on Model)
        self.seed = seed
        self.replication = replication
        self.day = 0
        self.streams = Streams(seed, replication)
        expected = scenario.recruitment.initial_members + scenario.recruitment.arrivals_per_day * scenario.days
        self.members = Members(capacity=int(min(expected, 2_000_000)) + 16)
        self.groups = Groups(self, scenario.groups.capacity, scenario.groups.auto_switch,
                             initial_share=scenario.behavior.contagion.reference_share)
        social = [scenario.members.dist(s, "social") for s in scenario.members.segment_names()]
        uniform_social = all(d.family == "constant" and d.constant == 1 for d in social)
        self.rules = Rules(scenario.behavior, self.streams, uniform_social)
        self.recruiting = Recruiting(self)  # after the rules: arrivals take their gates
        self.strategies = [REGISTRY[name](params) for name, params in scenario.strategy_params().items()]
        self.recorder = Recorder(self)
        for s in self.strategies:
            s.setup(self)

    def step(self) -> None:
        t = self.day
        joined, lost = self.recruiting.arrive(t)
        self.members.order(self.groups.count)
        day = Day(self, t)
        for s in self.strategies:
            s.plan(day)
        self.rules.apply(day)
        for s in self.strategies:
            s.after(day)
        m, g = self.members, self.groups
        size_today = g.size.copy()
        leavers = np.flatnonzero(day.leaving)
        left = np.bincount(m.group[leavers], minlength=g.count)  # few leave: faster than a full count
        posters = self.recorder.record(day, joined, left, lost)["member_posts"]
        m.mark_left(leavers, t)
        g.size -= left
        g.post_share = np.divide(posters + day.shill_posts, size_today,
                                 out=np.zeros(g.count), where=size_today > 0)
        m.compact_if_sparse()
        self.day += 1

    def run(self, days: int | None = None) -> "CommunityModel":
        for _ in range(self.spec.days if days is None else days):
            self.step()
        self.running = False
        return self
