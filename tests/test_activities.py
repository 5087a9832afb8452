"""Activities (``sim.strategies.activities``): activity days lift posting over other days,
silent members wake more on them, member-led sharing sessions keep a group livelier than
expert-led ones at the same cost, and prizes and staff hours are booked exactly.

Statistical claims run on ``TEST_SEEDS`` with replications and bounds from their spread
(99%); each is shown to fail with its mechanism switched off (its coefficient at 0, or the
member-led session given the expert-led one's value and social proof)."""
import numpy as np
import pytest

import sim
from sim.strategies.activities import KINDS, ActivityParams
from stats_helpers import TEST_SEEDS, lower_bound, upper_bound

REPS = 8
MEMBERS = {"activity": {"beta": [0.08, 2.2]}, "leave": {"beta": [1, 80]}, "lapse": {"beta": [1, 20]},
           "purchase": {"beta": [1, 1000]}, "tolerance": {"gamma": [4, 0.75]}}  # baseline.yaml's


def one_group(days: int, size: int, activities, per_day: float = 3.0, seed: int = 1):
    """One group of ``size`` members from day 0, no recruits, baseline messaging at ``per_day``."""
    return sim.parse_scenario({
        "name": "activities", "days": days, "seed": seed, "start_weekday": 0,
        "recruitment": {"initial_members": size}, "groups": {"capacity": size, "auto_switch": False},
        "members": MEMBERS, "strategies": {"messaging": {"per_day": per_day, "value_share": 0.6},
                                           "activities": activities}})


def daily(spec, seed: int, reps: int = REPS):
    return sim.run(spec, reps=reps, seed=seed).daily


def on_minus_off(d, numerator: str, denominator: str) -> np.ndarray:
    """Per replication: numerator / denominator on activity days minus the same on the others."""
    d = d.assign(on=d["activities_held"] > 0)
    g = d.groupby(["replication", "on"])[[numerator, denominator]].sum()
    rate = (g[numerator] / g[denominator]).unstack()
    return (rate[True] - rate[False]).to_numpy()


def posting_gap(seed: int, **extra) -> np.ndarray:
    """Share of members posting on relay days (Mon, Wed, Fri) minus on the other days, four weeks."""
    spec = one_group(28, 300, {"kind": "relay", "when": {"weekdays": [0, 2, 4]}, **extra})
    return on_minus_off(daily(spec, seed), "member_posts", "members")


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_activity_days_lift_posting(seed):
    on, off = posting_gap(seed), posting_gap(seed, participation=0)
    assert lower_bound(on) > 0.01  # at least a point more members post (3 points on seeds 1000-1009)
    assert not lower_bound(off) > 0.01 and lower_bound(on - off) > 0.01  # no boost: no lift


def wake_gap(seed: int, **extra) -> np.ndarray:
    """In a group left without operator messages for four weeks (many silent members), then
    three sharing sessions a week: silent members' daily waking rate on session days minus
    on the other days (silent: lapsed at the end of the day before)."""
    spec = one_group(56, 1000, {"kind": "member_sharing", "when": {"weekdays": [1, 3, 5], "start": 28}, **extra},
                     per_day=0)
    d = daily(spec, seed).sort_values(["replication", "day"])
    d["silent"] = d.groupby("replication")["lapsed"].shift(1)
    return on_minus_off(d[d["day"] >= 28], "woke", "silent")


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_silent_members_wake_more_on_activity_days(seed):
    on = wake_gap(seed)
    assert lower_bound(on) > 0.002  # base rate about 0.005 a day; gap 0.008 on seeds 1000-1009
    # off: the sessions are still held (and still lift posting), but wake nobody: the claim
    # fails, and the gap is within a third of the gap with them on, either way (chance alone)
    off, tolerance = wake_gap(seed, return_boost=0), on.mean() / 3
    assert not lower_bound(off) > 0.002 and -tolerance < lower_bound(off) and upper_bound(off) < tolerance


def member_minus_expert(seed: int, **member) -> tuple[np.ndarray, np.ndarray]:
    """A group carried by its sharing sessions (Tuesdays and Saturdays, no operator messages),
    60 days, member-led against expert-led at the same cost (the expert's fee set to the
    member's gift): log ratio of members' messages, and engaged members at the end.
    (Settings chosen on seeds 1002-1009: the lower bounds were 0.14-0.58 and 18-55.)"""
    out = []
    for kind, extra in (("member_sharing", member), ("expert_sharing", {"prize": 50})):
        d = daily(one_group(60, 300, {"kind": kind, "when": {"weekdays": [1, 5]}, **extra}, per_day=0), seed)
        last = d[d["day"] == d["day"].max()]
        out.append((d.groupby("replication")["member_msgs"].sum().to_numpy(float),
                    (last["members"] - last["left"] - last["lapsed"]).to_numpy(float), d["spend"].sum()))
    (msgs_m, engaged_m, spend_m), (msgs_e, engaged_e, spend_e) = out
    assert spend_m == pytest.approx(spend_e) and spend_m > 0  # equal cost
    return np.log(msgs_m / msgs_e), engaged_m - engaged_e


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_member_led_sharing_beats_expert_led_at_equal_cost(seed):
    msgs, engaged = member_minus_expert(seed)
    assert lower_bound(msgs) > 0 and lower_bound(engaged) > 0
    # given the expert-led session's value and social proof, the member-led one is the same
    # session: the whole difference is its value and proof (and the claim fails)
    msgs, engaged = member_minus_expert(seed, value=1, proof=0.3)
    assert not lower_bound(msgs) > 0 and (msgs == 0).all() and (engaged == 0).all()


def test_prizes_and_staff_hours_are_booked_exactly_on_activity_days():
    spec = one_group(21, 200, [{"kind": "relay", "when": {"weekdays": [0, 2, 4]}, "prize": 7, "staff_hours": 0.5,
                                "hourly_rate": 40},
                               {"kind": "quiz", "when": {"weekdays": [4]}}])
    d = daily(spec, seed=3, reps=1)
    weekday = d["day"] % 7
    held = np.where(weekday == 4, 2, np.where(weekday.isin([0, 2]), 1, 0))
    assert (d["activities_held"] == held).all()
    quiz = weekday == 4
    assert np.allclose(d["spend_activity_prizes"], 7 * (held > 0) + 20 * quiz)  # the quiz's default prize
    assert np.allclose(d["spend_activity_staff"], 40 * 0.5 * (held > 0) + 50 * 0.5 * quiz)
    assert np.allclose(d["activity_msgs"], 1 * (held > 0) + 5 * quiz)  # the hosts' prompts and questions
    plain = daily(one_group(21, 200, {"kind": "relay", "when": {"days": [3000]}}), seed=3, reps=1)
    assert np.allclose(d["value_msgs"] - plain["value_msgs"], 1 * quiz)  # the quiz's value message


def test_a_field_left_out_takes_its_kinds_default():
    assert ActivityParams(kind="member_sharing").setting() == KINDS["member_sharing"]
    own = ActivityParams(kind="expert_sharing", prize=50, proof=0).setting()
    assert (own.prize, own.proof, own.value) == (50, 0, KINDS["expert_sharing"].value)
