"""The member model against what real communities show (``sim.engine.rules``, traits):
participation inequality from messages as counts, dormant members who can be woken,
and groups that live or die by their operator's effort at every size from 30 members.

Statistical claims run on ``TEST_SEEDS`` (never used to choose a default:
``docs/calibration.md``) with bounds from the replication spread, and each is shown to
fail with its mechanism switched off.
"""
import numpy as np
import pytest

import sim
from sim.strategies import Strategy
from stats_helpers import TEST_SEEDS, lower_bound, upper_bound

BASELINE, DEAD, WELL = "scenarios/baseline.yaml", "scenarios/dead_group.yaml", "scenarios/well_run.yaml"


# -- participation inequality -------------------------------------------------------------
def participation(seed: int, extra=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per replication over 90 days of the baseline: share of members who ever posted, and
    the shares of members' messages written by the top 1% and the top 10% of members."""
    res = sim.run(sim.load_scenario(BASELINE, ["days=90", *extra]), reps=6, seed=seed)
    ever, top1, top10 = [], [], []
    for _, people in res.members.groupby("replication"):
        msgs = np.sort(people["messages"].to_numpy())[::-1]
        ever.append((msgs > 0).mean())
        top1.append(msgs[: len(msgs) // 100].sum() / msgs.sum())
        top10.append(msgs[: len(msgs) // 10].sum() / msgs.sum())
    return np.array(ever), np.array(top1), np.array(top10)


def unequal(seed: int, extra=()) -> tuple[bool, bool, bool]:
    """(a minority ever posts: under 35%, the top 1% write at least 35%, the top 10% at least 75%)."""
    ever, top1, top10 = participation(seed, extra)
    return bool(upper_bound(ever) < 0.35), bool(lower_bound(top1) >= 0.35), bool(lower_bound(top10) >= 0.75)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_a_minority_posts_and_a_few_write_most_messages(seed):
    assert unequal(seed) == (True, True, True)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_participation_inequality_needs_both_traits(seed):
    # one message a day at most: the top 1% no longer write over a third
    assert unequal(seed, ["members.verbosity=1"])[1] is False
    # posting propensities without many pure lurkers: half the members post
    assert unequal(seed, ["members.activity={beta: [0.5, 12]}"])[0] is False


def test_messages_are_at_least_posters_and_equal_them_at_one_message_a_day():
    d = sim.CommunityModel(sim.load_scenario(BASELINE, ["days=30"]), seed=5).run().recorder.daily()
    assert (d["member_msgs"] >= d["member_posts"]).all() and d["member_msgs"].sum() > 1.5 * d["member_posts"].sum()
    d = sim.CommunityModel(sim.load_scenario(BASELINE, ["days=30", "members.verbosity=1"]), seed=5).run()\
        .recorder.daily()
    assert (d["member_msgs"] == d["member_posts"]).all()


# -- dormant members -----------------------------------------------------------------------
class Mention(Strategy):
    """@-mentions every silent member each day: +3 log-odds on waking."""
    name = "mention"

    def plan(self, day):
        day.add_group_term("wake", 3.0)


def run_with(path, overrides, seed, reps, mention: bool):
    scenario = sim.load_scenario(path, overrides)
    out = []
    for r in range(reps):
        strategies = [*scenario.make_strategies(), *([Mention(Mention.Params())] if mention else [])]
        model = sim.CommunityModel(scenario, replication=r, seed=seed, strategies=strategies).run()
        out.append(model.recorder.daily())
        model.release()
    return out


def test_a_silent_member_reads_and_posts_nothing_until_she_wakes():
    model = sim.CommunityModel(sim.load_scenario(DEAD, ["days=40"]), seed=9)
    apply, seen = model.rules.apply, []

    def watched(day):
        silent = (model.members.lapsed_day >= 0).copy()
        apply(day)
        woke = day.chosen.get("wake", np.zeros(0, np.int64))
        seen.append((silent.sum(), (day.seen & silent).sum(), (day.posted & silent).sum(), len(woke)))
        assert not (model.members.lapsed_day[woke] >= 0).any()  # woken: engaged from tomorrow
    model.rules.apply = watched
    model.run()
    silent, saw, posted, woke = np.array(seen).sum(0)
    assert silent > 1000 and saw == 0 and posted == 0 and woke > 0


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_silent_members_wake_at_their_trait_rate(seed):
    days = run_with(DEAD, ["days=120"], seed, 2, mention=False)
    woke = sum(d["woke"].sum() for d in days)
    # members silent at the end of yesterday: each wakes today with the trait's mean 1/200
    exposed = sum(d.groupby("day")["lapsed"].sum().shift(1, fill_value=0).sum() for d in days)
    p = 1 / 200
    z = (woke - p * exposed) / np.sqrt(exposed * p * (1 - p))
    assert abs(z) < 4, (woke, exposed)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_a_strategy_wakes_silent_members_and_switched_off_dormancy_it_cannot(seed):
    def silent_share(mention, extra=()):
        days = run_with(BASELINE, ["days=60", *extra], seed, 4, mention)
        return np.array([d["lapsed"][d["day"] == 59].sum() / d["members"][d["day"] == 59].sum() for d in days]), \
            np.array([d["woke"].sum() for d in days])
    plain, plain_woke = silent_share(False)
    mentioned, mentioned_woke = silent_share(True)
    assert lower_bound(plain - mentioned) > 0 and lower_bound(mentioned_woke - plain_woke) > 0
    off = ["behavior.dormancy.enabled=false"]
    (plain_off, woke_a), (mentioned_off, woke_b) = silent_share(False, off), silent_share(True, off)
    assert woke_a.sum() == woke_b.sum() == 0 and (plain_off == mentioned_off).all()


# -- groups live or die by effort, at every size ---------------------------------------------
SIZES = (30, 500)


def post_shares(path, size, seed, days, extra=(), reps=20) -> list:
    """Per replication, the daily rows of one group of ``size`` without arrivals."""
    scenario = sim.load_scenario(path, [f"recruitment.initial_members={size}", "recruitment.arrivals_per_day=0",
                                        f"days={days}", *extra])
    out = []
    for r in range(reps):
        model = sim.CommunityModel(scenario, replication=r, seed=seed).run()
        out.append(model.recorder.daily())
        model.release()
    return out


def share(daily, first: int, last: int) -> float:
    """Share of present members posting a day over days first..last."""
    d = daily[(daily["day"] >= first) & (daily["day"] <= last)]
    return d["member_posts"].sum() / max(d["members"].sum(), 1)


def effort_decides(size, seed, extra=()) -> tuple[bool, bool]:
    """(well-run: still talking in the last week of 180 days in at least 80% of
    replications; neglected: silent in the fourth week, on average)."""
    well = np.array([share(d, 173, 179) for d in post_shares(WELL, size, seed, 180, extra)])
    neglected = np.array([share(d, 21, 27) for d in post_shares(DEAD, size, seed, 28, extra)])
    return bool((well >= 0.01).mean() >= 0.8), bool(upper_bound(neglected) < 0.01)


@pytest.mark.slow
@pytest.mark.parametrize("seed", TEST_SEEDS)
@pytest.mark.parametrize("size", SIZES)
def test_well_run_groups_live_and_neglected_ones_die_at_every_size(size, seed):
    assert effort_decides(size, seed) == (True, True)


@pytest.mark.slow
@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_without_value_content_a_small_well_run_group_dies_too(seed):
    assert effort_decides(30, seed, ["behavior.content.enabled=false"])[0] is False
