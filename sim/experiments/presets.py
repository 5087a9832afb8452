"""Vertical presets (seed 000): product categories where group persuasion matters more or less.

Seed 000 says fast-moving consumer goods do not suit groups while education, beauty and
knowledge products do: the weight of the buying decision changes how much a group's
persuasion matters. A scenario starts from one with ``preset: <name>`` at its top; every
field the file writes overrides the preset's (sections and mechanisms field by field, a
distribution as a whole), so ``preset: beauty`` plus ``money: {margin: 0.5}`` is the beauty
set with another margin. Each preset sets members' ``purchase`` trait, the ``money:`` section
(``sim.engine.money``) and how much trust and conformity move buying (``behavior``). All
figures are stylized facts of the order the seeds and public reports give, not calibrated.

``knowledge`` (知识付费, paid courses and education): a considered purchase, bought rarely
and dear. Order value lognormal with median 299 CNY (sigma 0.6: most courses 100-900 CNY);
margin 0.8 (a digital product: little cost of goods, the teacher's time is the operator's
spend); refunds 5% (the common 7-day refund promise); purchase trait beta(1, 2000), half the
default daily chance, so few repeat orders; trust matters more (``trust.buy`` 3.0 against the
default 2.0: the chain of trust of seed 004 decides a dear purchase).

``beauty`` (美妆: Perfect Diary grew in groups, seed 000): order value lognormal with median
120 CNY (sigma 0.5); margin 0.65 (beauty brands report 60-70%: Yatsen, Perfect Diary's owner,
about 64% for 2020); refunds 5%; the default purchase trait; conformity on, at its own defaults
(``behavior.conformity``, off in the other presets: try-on photos, haul screenshots and payment
relays, seed 000's accelerator); ``trust.buy`` 2.5.

``fmcg`` (快消, snacks and daily goods): cheap, bought often, on price rather than
persuasion. Order value lognormal with median 49 CNY (sigma 0.4); margin 0.25 (a reseller's
margin on daily goods); refunds 2%; purchase trait beta(1, 150), about six and a half times the
default daily chance, so repeat orders are frequent (chosen on seed 1000, 2 replications, for
about two orders per buyer over the baseline's half-year, a stylized fact: daily goods are
bought again within weeks); trust matters less (``trust.buy`` 1.0: seed 000, group persuasion
matters little for such goods).

The model has no satiation after an order (``sim.engine.money``: a buyer orders again with
the same daily chance), so a preset changes how often members repeat only through how often
they buy at all.
"""
from __future__ import annotations

import math

DISTRIBUTION_KEYS = {"beta", "gamma", "lognormal", "constant"}

PRESETS: dict[str, dict] = {
    "knowledge": {
        "members": {"purchase": {"beta": [1, 2000]}},
        "money": {"order_value": {"lognormal": [round(math.log(299), 4), 0.6]}, "margin": 0.8, "refund_rate": 0.05},
        "behavior": {"trust": {"buy": 3.0}},
    },
    "beauty": {
        "members": {"purchase": {"beta": [1, 1000]}},
        "money": {"order_value": {"lognormal": [round(math.log(120), 4), 0.5]}, "margin": 0.65, "refund_rate": 0.05},
        "behavior": {"trust": {"buy": 2.5}, "conformity": {"enabled": True}},
    },
    "fmcg": {
        "members": {"purchase": {"beta": [1, 150]}},
        "money": {"order_value": {"lognormal": [round(math.log(49), 4), 0.4]}, "margin": 0.25, "refund_rate": 0.02},
        "behavior": {"trust": {"buy": 1.0}},
    },
}


def with_preset(data):
    """The scenario data with its ``preset`` filled in under what the file writes."""
    if not isinstance(data, dict) or data.get("preset") is None:
        return data
    name = data["preset"]
    if name not in PRESETS:
        raise ValueError(f"preset: no preset '{name}'; presets are {', '.join(PRESETS)}")
    return merged(PRESETS[name], data)


def merged(base: dict, over: dict) -> dict:
    """``over`` written on top of ``base``: mappings field by field, a distribution or any
    other value as a whole."""
    out = dict(base)
    for key, value in over.items():
        below = base.get(key)
        if isinstance(value, dict) and isinstance(below, dict) and not (
                DISTRIBUTION_KEYS & set(value) or DISTRIBUTION_KEYS & set(below)):
            out[key] = merged(below, value)
        else:
            out[key] = value
    return out
