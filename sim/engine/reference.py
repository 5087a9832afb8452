"""Per-agent reference implementation of the minimal scenario's rules.

What it is for: a *speed reference* (how fast the same rules run the classic Mesa way,
one Python object per member, see ``benchmarks/throughput.py``) and a *statistical
cross-check* of the vectorised engine (``sim.engine.model.CommunityModel``): both must give
the same distribution of daily outcomes (``tests/test_reference.py``). It does not
reproduce the engine's draws (the engine uses counter-based streams, this model draws
everything from Mesa's ``self.rng``), only its rules.

The rules are those of ``benchmarks/minimal.yaml`` (only posting with activity
contagion, and leaving; every other mechanism off, no strategies, no arrivals), as in
``sim.engine.rules.Rules.apply`` and ``sim.engine.model.CommunityModel.step``:

- day 0: ``recruitment.initial_members`` members fill groups of ``groups.capacity`` in
  order (group 0 first, then 1, ...);
- each member draws its traits once: activity p_a ~ ``members.activity``, verbosity
  v ~ ``members.verbosity``, leave p_l ~ ``members.leave``;
- group liveliness L_g = ln((E_g + floor) / (reference + floor)); E_g starts at
  ``reference`` and each day E_g ← memory·E_g + (1 − memory)·x_g, x_g yesterday's member
  messages per member present at its start (0 for an emptied group);
- each day every present member posts with probability
  sigmoid(logit(p_a) + contagion.post * L_g) (L_g = 0 when contagion is off) and then
  writes 1 + G messages, G geometric with mean max(v, 1) − 1; then she leaves with
  probability p_l (an independent draw). Leavers count as present today and are gone
  from tomorrow;
- recorded per day, over all groups: present members (start of day), posters, their
  messages, leavers.
"""
from __future__ import annotations

import math

import mesa
import pandas as pd


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def check_minimal(scenario) -> None:
    """Refuse scenarios with mechanisms this reference does not implement."""
    b, members = scenario.behavior, scenario.members
    problems = [name for name in ("content", "fatigue", "muting", "trust", "lapse")
                if getattr(b, name).enabled]
    if not b.leaving.enabled:
        problems.append("leaving switched off")
    if scenario.strategy_params():
        problems.append(f"strategies {sorted({name for name, _ in scenario.strategy_params()})}")
    if scenario.recruitment.arrivals_per_day > 0:
        problems.append("arrivals")
    if members.segments:
        problems.append("member segments")
    if not (members.social.family == "constant" and members.social.constant == 1):
        problems.append("non-uniform social susceptibility")
    if problems:
        raise ValueError(f"the reference model implements the minimal rules only; "
                         f"scenario '{scenario.name}' has: {', '.join(problems)}")


class Member(mesa.Agent):
    """One chat-group member: home group and traits, drawn from the model's generator."""

    def __init__(self, model: "ReferenceModel", group: int):
        super().__init__(model)
        self.group = group
        spec = model.spec.members
        self.activity_z = _logit(float(spec.activity.sample(model.rng, 1)[0]))  # logit(p_a)
        self.verbosity = max(float(spec.verbosity.sample(model.rng, 1)[0]), 1.0)  # v
        self.leave_p = float(spec.leave.sample(model.rng, 1)[0])                # p_l

    def step(self) -> None:
        m, g = self.model, self.group
        m.present[g] += 1
        z = self.activity_z + m.lift[g]
        if m.rng.random() < 1.0 / (1.0 + math.exp(-z)):
            m.posters[g] += 1
            extra = 0 if self.verbosity == 1 else int(m.rng.geometric(1 / self.verbosity)) - 1
            m.messages[g] += 1 + extra
        if m.rng.random() < self.leave_p:
            m.leavers.append(self)


class ReferenceModel(mesa.Model):
    """The minimal scenario, one ``Member`` agent per member, stepped day by day.

    ``seed`` is anything ``numpy.random.default_rng`` accepts (default: the scenario's).
    """

    def __init__(self, scenario, seed=None):
        check_minimal(scenario)
        super().__init__(rng=scenario.seed if seed is None else seed)
        self.spec = scenario  # the Scenario (Mesa 3.5 reserves `scenario` on Model)
        self.day = 0
        c = scenario.behavior.contagion
        n, cap = scenario.recruitment.initial_members, scenario.groups.capacity
        n_groups = -(-n // cap)
        self.liveliness = [c.reference] * n_groups       # E_g
        self.lift = [0.0] * n_groups                      # contagion.post * L_g, today
        self.present = [0] * n_groups
        self.posters = [0] * n_groups
        self.messages = [0] * n_groups
        self.leavers: list[Member] = []
        self.records: list[dict] = []
        for i in range(n):
            Member(self, i // cap)

    def step(self) -> None:
        c = self.spec.behavior.contagion
        if c.enabled:
            self.lift = [c.post * math.log((e + c.floor) / (c.reference + c.floor))
                         for e in self.liveliness]
        g = len(self.liveliness)
        self.present, self.posters, self.messages, self.leavers = [0] * g, [0] * g, [0] * g, []
        self.agents.do("step")
        for member in self.leavers:
            member.remove()
        self.liveliness = [c.memory * e + (1 - c.memory) * (k / n if n else 0.0)
                           for e, k, n in zip(self.liveliness, self.messages, self.present)]
        self.records.append({"day": self.day, "members": sum(self.present), "member_posts": sum(self.posters),
                             "member_msgs": sum(self.messages), "left": len(self.leavers)})
        self.day += 1

    def run(self, days: int | None = None) -> "ReferenceModel":
        for _ in range(self.spec.days if days is None else days):
            self.step()
        self.running = False
        return self

    def daily(self) -> pd.DataFrame:
        """One row per day: day, members (present at the start), member_posts, member_msgs, left."""
        return pd.DataFrame(self.records, columns=["day", "members", "member_posts", "member_msgs", "left"])
