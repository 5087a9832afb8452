"""CommunityModel: one run of a scenario, day by day, in the architecture's phase order.

1. arrivals: recruits reach the invitation, join, are routed to groups;
2. plan: each strategy, in the scenario's order, acts on the groups its schedule and
   target allow today (``Day.scope``): messages, log-odds terms, costs;
3-4. exposure and behaviour: the member rules (``sim.engine.rules``) draw every choice;
5. updates: strategies react (``after``), leavers go, group liveliness is updated;
6. record: one row per (day, group) (``sim.engine.recorder.Recorder``).

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
from .members import Members
from .recorder import Recorder
from .rules import Rules
from .streams import Streams


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
        self.members = Members(capacity=int(min(expected, 2_000_000)) + 16)
        for column in self.columns.values():
            self.members.add_column(column.name, column.dtype, column.fill)
        self.groups = Groups(self, scenario.groups.capacity, scenario.groups.auto_switch,
                             initial_share=scenario.behavior.contagion.reference_share)
        social = [scenario.members.dist(s, "social") for s in scenario.members.segment_names()]
        uniform_social = all(d.family == "constant" and d.constant == 1 for d in social)
        self.rules = Rules(scenario.behavior, self.streams, uniform_social)
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
        self.members.order(self.groups.count)
        day = Day(self, t)
        self._act(day, "plan")
        self.rules.apply(day)
        self._act(day, "after")
        m, g = self.members, self.groups
        size_today = g.size.copy()
        leavers = np.flatnonzero(day.leaving)
        left = np.bincount(m.group[leavers], minlength=g.count)  # few leave: faster than a full count
        posters = self.recorder.record(day, joined, left, lost)["member_posts"]
        m.mark_left(leavers, t)
        g.size -= left
        g.post_share = np.divide(posters + day.proof_msgs, size_today,
                                 out=np.zeros(g.count), where=size_today > 0)
        m.compact_if_sparse()
        self.day += 1

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
