"""Spam (``behavior.spam``, ``sim.engine.rules.Spam``) and moderation
(``sim.strategies.moderation``): members who post ads drive ordinary members out (more
leave, less trust, worse D30 retention), their ads do not keep a group lively, and a
moderator who removes them cuts the harm at the cost it books.

Each direction is a paired difference over replications (common random numbers) on both
``TEST_SEEDS``, with a 99% bound from the replication spread; each is checked again with
its mechanism off while spam is still posted (its harm coefficients at 0, or members deaf
to liveliness), where the claim's assertion must fail and the effect be within a tenth of
the one measured with the mechanism on."""
import numpy as np
import pytest

import sim
from sim.experiments.errors import InputError
from sim.engine.model import CommunityModel
from sim.strategies import Strategy, StrategyParams
from stats_helpers import TEST_SEEDS, lower_bound, upper_bound

SPAMMED, MODERATED = "scenarios/spammed.yaml", "scenarios/moderated.yaml"
SMALL = ["days=60", "recruitment.initial_members=300", "recruitment.arrivals_per_day=15"]
HARMLESS = ["behavior.spam.leave=0", "behavior.spam.trust_weight=0", "behavior.spam.talk_weight=1"]
NO_HARM = ["behavior.spam.leave=0", "behavior.spam.trust_weight=0"]  # no harm; still not counted as talk
DEAF = ["behavior.contagion.post=0", "behavior.contagion.lapse=0"]  # liveliness moves nobody
KEYWORD = "strategies.moderation.mode=keyword"
REPS = 6


def ordinary(path: str, extra, seed: int, reps: int = REPS) -> dict[str, np.ndarray]:
    """Per replication, over the members who are not spammers: leavers per 100 member-days,
    share of those who joined by day 29 still there 30 days later (D30), mean trust of
    those present at the end, messages per member-day; spam messages and spammers removed
    over all groups, and the groups' mean liveliness at the end."""
    out: dict[str, list] = {k: [] for k in ("leave", "d30", "trust", "posting", "spam", "removed", "lively")}
    for r in range(reps):
        scenario = sim.load_scenario(path, SMALL + list(extra))
        model = CommunityModel(scenario, replication=r, seed=seed).run()
        spammers = scenario.members.segment_names().index("spammers")
        people = model.recorder.members()
        people = people[people["segment"] != spammers]
        gone = people["left"] >= 0
        days_in = np.where(gone, people["left"] + 1, model.day) - people["joined"]
        out["leave"].append(100 * gone.sum() / days_in.sum())
        early = people[people["joined"] <= model.day - 31]
        out["d30"].append(((early["left"] < 0) | (early["left"] - early["joined"] > 30)).mean())
        m = model.members
        out["trust"].append(float(m.trust[m.present & (m.segment != spammers)].mean()))
        out["posting"].append(people["messages"].sum() / days_in.sum())
        d = model.recorder.daily()
        out["spam"].append(d["spam_msgs"].sum())
        out["removed"].append(d["spammers_removed"].sum() if "spammers_removed" in d else 0)
        out["lively"].append(float(model.groups.liveliness.mean()))
    return {k: np.array(v, float) for k, v in out.items()}


def harm(spam: dict, harmless: dict) -> dict[str, np.ndarray]:
    """Per replication: how many more ordinary members leave (per 100 member-days), how much
    less they trust and how many fewer stay 30 days under spam."""
    return {"leave": spam["leave"] - harmless["leave"], "trust": harmless["trust"] - spam["trust"],
            "d30": harmless["d30"] - spam["d30"]}


def harm_shown(spam: dict, harmless: dict) -> bool:
    """Ordinary members leave more, trust less and stay 30 days less often under spam."""
    return all(lower_bound(d) > 0 for d in harm(spam, harmless).values())


def near_none(off: np.ndarray, on: np.ndarray) -> bool:
    """The 99% bounds of an effect with its mechanism off are within a tenth of the mean
    effect with it on, either way (so an effect left partly on fails)."""
    tolerance = 0.1 * abs(on.mean())
    return -tolerance < lower_bound(off) and upper_bound(off) < tolerance


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_unmoderated_spam_drives_ordinary_members_out(seed):
    spam, harmless = ordinary(SPAMMED, [], seed), ordinary(SPAMMED, HARMLESS, seed)
    assert spam["spam"].min() > 0 and harm_shown(spam, harmless)
    # off: the spammers post their ads (the same members, the same luck), but an ad seen
    # neither costs trust nor makes anyone leave (only liveliness still tells the arms apart)
    no_harm = ordinary(SPAMMED, NO_HARM, seed)
    assert no_harm["spam"].min() > 0 and not harm_shown(no_harm, harmless)
    on, off = harm(spam, harmless), harm(no_harm, harmless)
    assert all(near_none(off[k], on[k]) for k in on)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_moderation_removes_spammers_and_cuts_the_harm(seed):
    spam, moderated = ordinary(SPAMMED, [], seed), ordinary(MODERATED, [], seed)
    assert moderated["removed"].min() > 0 and lower_bound(spam["spam"] - moderated["spam"]) > 0
    assert lower_bound(spam["leave"] - moderated["leave"]) > 0 and lower_bound(moderated["trust"] - spam["trust"]) > 0
    # off: where spam does no harm, removing spammers neither keeps ordinary members nor their trust
    harmless, moderated_harmless = ordinary(SPAMMED, HARMLESS, seed), ordinary(MODERATED, HARMLESS, seed)
    assert moderated_harmless["removed"].min() > 0
    kept, trusted = harmless["leave"] - moderated_harmless["leave"], moderated_harmless["trust"] - harmless["trust"]
    assert not (lower_bound(kept) > 0 and lower_bound(trusted) > 0)
    assert near_none(kept, spam["leave"] - moderated["leave"])
    assert near_none(trusted, moderated["trust"] - spam["trust"])


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_a_keyword_filter_removes_spammers_but_fewer_than_staff(seed):
    """Caught only on a day she spams, a spammer the filter misses spams again; a moderator
    finds her before. 90 days, so that many spam twice."""
    spam, staff, keyword = (ordinary(path, ["days=90", *w], seed, reps=8)
                            for path, w in ((SPAMMED, []), (MODERATED, []), (MODERATED, [KEYWORD])))
    assert lower_bound(spam["spam"] - keyword["spam"]) > 0 and lower_bound(keyword["spam"] - staff["spam"]) > 0
    # off: a filter that catches nothing removes nobody
    assert ordinary(MODERATED, [KEYWORD, "strategies.moderation.keyword_share=0"], seed, reps=2)["removed"].max() == 0


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_spam_is_not_conversation(seed):
    """Counted as talk (``talk_weight`` 1), spam would make a group livelier and its members
    post more; it is not (default 0), so they post less (leave and trust effects off, to see
    liveliness alone; every post of a spammer an ad, for a gap the size of a test). With
    members deaf to liveliness, the ads counted as talk still make the groups livelier, but
    nobody posts a message more or less."""
    talk = ["behavior.spam.leave=0", "behavior.spam.trust_weight=0", "behavior.spam.probability=1"]
    mute, counted = ordinary(SPAMMED, talk, seed), ordinary(SPAMMED, talk + ["behavior.spam.talk_weight=1"], seed)
    assert lower_bound(counted["posting"] - mute["posting"]) > 0
    deaf, deaf_counted = (ordinary(SPAMMED, talk + DEAF + w, seed) for w in ([], ["behavior.spam.talk_weight=1"]))
    assert deaf["spam"].min() > 0 and lower_bound(deaf_counted["lively"] - deaf["lively"]) > 0  # counted: livelier
    gap = deaf_counted["posting"] - deaf["posting"]
    assert not lower_bound(gap) > 0 and not gap.any()  # off: exactly no gap


def test_liveliness_leaves_spam_out_exactly():
    """E_g ← memory·E_g + (1 − memory)·(member messages − spam + operator and proof talk) / members."""
    scenario = sim.load_scenario(SPAMMED, SMALL + ["days=30"])
    model = CommunityModel(scenario, seed=5)
    c = scenario.behavior.contagion
    for _ in range(30):
        before = model.groups.liveliness.copy()
        model.step()
        d = model.recorder.daily()
        today = d[d["day"] == model.day - 1]
        talk = today["member_msgs"] - today["spam_msgs"] + c.operator_weight * today["operator_msgs"]
        expected = c.memory * before + (1 - c.memory) * (talk / today["members"]).to_numpy()[: len(before)]
        assert np.allclose(model.groups.liveliness[: len(before)], expected, rtol=1e-6)
    assert d["spam_msgs"].sum() > 0


def test_spend_is_booked_per_group_day_and_removal():
    staff = sim.run(sim.load_scenario(MODERATED, SMALL), reps=1, seed=3).daily
    assert staff["spammers_removed"].sum() > 0
    assert staff["spend_moderation"].sum() == pytest.approx(5.0 * len(staff) + 1.0 * staff["spammers_removed"].sum())
    keyword = sim.run(sim.load_scenario(MODERATED, SMALL + [KEYWORD]), reps=1, seed=3).daily
    assert keyword["spammers_removed"].sum() > 0
    assert keyword["spend_moderation"].sum() == pytest.approx(1.0 * len(keyword))  # a bot a group and day


def test_a_missing_spam_segment_is_a_one_line_error():
    with pytest.raises(InputError, match=r"behavior\.spam\.segment: no segment 'bots'"):
        sim.load_scenario(SPAMMED, ["behavior.spam.segment=bots"])


class _Rules(Strategy):
    """Posted group rules as another lever would write them: log-odds on ``spam``."""
    name = "rules_for_the_test"

    def __init__(self, z: float, rows: bool):
        super().__init__(StrategyParams())
        self.z, self.rows = z, rows

    def plan(self, day) -> None:
        if self.rows:
            day.add_member_term("spam", self.z, rows=np.flatnonzero(day.members.segment == 1))
        else:
            day.add_member_term("spam", self.z)


@pytest.mark.parametrize("rows", [False, True])
def test_strategies_add_log_odds_to_spam(rows):
    def spam(probability: str, z: float) -> float:
        scenario = sim.load_scenario(SPAMMED, SMALL + ["days=20", f"behavior.spam.probability={probability}"])
        model = CommunityModel(scenario, seed=5, strategies=[_Rules(z, rows)]).run()
        return model.recorder.daily()["spam_msgs"].sum()
    assert spam("0.5", 0) > 0 and spam("0.5", -30) == 0 and spam("0", 0) == 0 and spam("1e-9", 30) > 0
