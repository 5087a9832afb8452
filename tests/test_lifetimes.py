"""Group lifetimes: known lifetimes on hand-made daily tables, censoring, key columns,
the summary's shares and AUC, and the chart drawn from a small table."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.lifetimes import group_lifetimes, lifetime_summary, rank_auc, talking_at
from sim.reporting.charts import lifetimes as lifetime_charts
from sim.reporting.charts.lifetimes import MIN_GROUPS, has_lifetimes, lifetimes_figure
from sim.reporting.results import short_names

ROOT = Path(__file__).resolve().parent.parent


def group(posts, members=100, **keys) -> pd.DataFrame:
    """Daily rows of one group: ``posts`` members posting on days 0, 1, ..."""
    posts = np.asarray(posts)
    return pd.DataFrame({**keys, "day": np.arange(len(posts)), "member_posts": posts,
                         "members": np.broadcast_to(members, posts.shape)})


def test_a_group_talking_for_ten_days_is_silent_from_the_first_quiet_week_mean():
    # 5 of 100 post for 10 days, then nobody: the 7-day mean ending on day d is
    # 5% * (days 0-9 in d-6..d) / 7, first under 1% on day 15 (one talking day in the window)
    table = group([5] * 10 + [0] * 20)
    row = table.pipe(group_lifetimes).iloc[0]
    assert row["lifetime"] == 15 and not row["alive"] and not row["revived"]
    assert row["first_week_share"] == pytest.approx(0.05) and row["start_size"] == 100
    assert row["observed_days"] == 30


def test_a_group_silent_from_the_start_dies_on_day_six_and_one_never_silent_is_censored():
    silent = group_lifetimes(group([0] * 20)).iloc[0]
    assert silent["lifetime"] == 6 and not silent["alive"] and silent["first_week_share"] == 0
    alive = group_lifetimes(group([3] * 20)).iloc[0]
    assert alive["alive"] and alive["lifetime"] == 20  # the days observed: a lower bound


def test_the_threshold_is_one_percent_of_present_members():
    # 1 post a day among 100 members is exactly 1%: not under it, so never silent
    assert group_lifetimes(group([1] * 14)).iloc[0]["alive"]
    # 1 post a day among 101 is under 1%; a day with no members counts as no posts
    assert group_lifetimes(group([1] * 14, members=101)).iloc[0]["lifetime"] == 6
    emptied = group_lifetimes(group([5] * 3 + [0] * 11, members=[100] * 3 + [0] * 11)).iloc[0]
    assert emptied["lifetime"] == 8 and emptied["start_size"] == 100  # day 8: 5% on 1 day of 7


def test_a_group_that_talks_again_after_going_silent_is_marked_revived():
    row = group_lifetimes(group([0] * 10 + [5] * 10)).iloc[0]
    assert row["lifetime"] == 6 and not row["alive"] and row["revived"]


def test_one_row_per_scenario_point_replication_and_group():
    parts = [group([5] * 30, scenario="a", point=p, replication=r, group=g)
             for p in (0, 1) for r in (0, 1) for g in (0, 1)]
    parts[5] = group([0] * 30, scenario="a", point=1, replication=0, group=1)
    table = group_lifetimes(pd.concat(parts, ignore_index=True).sample(frac=1, random_state=1))
    assert list(table.columns[:4]) == ["scenario", "point", "replication", "group"] and len(table) == 8
    dead = table[~table["alive"]]
    assert dead[["point", "replication", "group"]].values.tolist() == [[1, 0, 1]]


def test_a_group_opened_later_is_aged_from_its_first_day_and_watched_to_the_run_end():
    first = group([5] * 30, replication=0, group=0)
    later = group([5] * 10, replication=0, group=1).assign(day=lambda d: d["day"] + 20)
    other_run = group([0] * 7, replication=1, group=0)  # its own run ends on day 6
    table = group_lifetimes(pd.concat([first, later, other_run])).set_index(["replication", "group"])
    assert table.loc[(0, 1), "observed_days"] == 10 and table.loc[(0, 1), "alive"]
    assert table.loc[(1, 0), "observed_days"] == 7 and table.loc[(1, 0), "lifetime"] == 6


def test_missing_days_count_as_days_without_posts_and_a_table_without_keys_is_one_group():
    export = group([5] * 29 + [20]).iloc[[0, 1, 2, 29]]  # an export listing only days with posts
    table = group_lifetimes(export)
    assert len(table) == 1 and table.iloc[0]["lifetime"] == 8  # days 3-28 had no posts
    assert table.iloc[0]["revived"]  # day 29: 20% on 1 day of 7 is back over 1%


def test_rank_auc_is_the_mann_whitney_share_of_ordered_pairs():
    assert rank_auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert rank_auc([4, 3, 2, 1], [0, 0, 1, 1]) == 0.0
    assert rank_auc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5
    assert rank_auc([1, 3, 2, 4], [0, 0, 1, 1]) == 0.75  # pairs (2>1, 2<3, 4>1, 4>3)
    assert np.isnan(rank_auc([1, 2], [1, 1]))


def lifetimes_of(n_early: int, n_middle: int, n_alive: int, days: int = 120) -> pd.DataFrame:
    """A lifetimes table: groups silent on day 10, on day 60, and never, with first-week
    shares that order them."""
    lifetime = [10] * n_early + [60] * n_middle + [days] * n_alive
    alive = [False] * (n_early + n_middle) + [True] * n_alive
    share = np.linspace(0.001, 0.1, len(lifetime))
    return pd.DataFrame({"replication": range(len(lifetime)), "start_size": 50, "first_week_share": share,
                         "lifetime": lifetime, "alive": alive, "revived": False, "observed_days": days})


def test_summary_shares_and_first_week_auc():
    s = lifetime_summary(lifetimes_of(5, 2, 3), 120)
    assert s["groups"] == 10 and s["silent_early"] == pytest.approx(0.5)
    assert s["in_between"] == pytest.approx(0.2) and s["alive_end"] == pytest.approx(0.3)
    assert s["median_silent_lifetime"] == 10 and s["predict_age"] == 90
    assert s["talking_at_predict_age"] == pytest.approx(0.3) and s["first_week_auc"] == 1.0


def test_talking_at_an_age_past_a_censored_groups_view_is_unknown():
    table = lifetimes_of(1, 0, 1).assign(observed_days=[120, 30], lifetime=[10, 30])
    assert talking_at(table, 20).tolist() == [False, True]
    assert talking_at(table, 90).isna().tolist() == [False, True]


def test_the_chart_renders_from_a_small_table_and_needs_enough_groups():
    table = lifetimes_of(15, 5, 12)
    assert has_lifetimes(table, 120) and not has_lifetimes(table.head(MIN_GROUPS - 1), 120)
    assert not has_lifetimes(table, 20)
    fig = lifetimes_figure(table, 120)
    assert fig.axes[0].get_title(loc="left") == "Group lifetimes (32 groups)"
    assert "AUC for still talking at day 90: 1.00" in fig.axes[1].get_title(loc="left")
    fig.savefig(io.BytesIO(), format="png")


def test_varied_paths_are_named_by_their_shortest_unique_ending():
    names = short_names(["recruitment.initial_members", "members.activity.beta.1", "members.lapse.beta.1"])
    assert names == {"recruitment.initial_members": "initial_members", "members.activity.beta.1": "activity.beta.1",
                     "members.lapse.beta.1": "lapse.beta.1"}


def test_a_sweep_of_enough_groups_gets_the_chart_and_a_report_section(tmp_path, monkeypatch):
    monkeypatch.setattr(lifetime_charts, "MIN_GROUPS", 6)  # six one-group runs stand for thirty: faster
    exp = tmp_path / "g.yaml"
    exp.write_text(f"name: g\nscenarios: [{ROOT / 'scenarios/dead_group.yaml'}]\n"
                   "set: {days: 28, recruitment.initial_members: 20, recruitment.arrivals_per_day: 0}\n"
                   "vary: {strategies.messaging.per_day: {low: 0, high: 6}}\ndesign: lhs\nsamples: 5\n"
                   "replications: 1\nkpis: [active_end]\n")
    study = sim.sweep(exp, tmp_path / "res", workers=1)
    assert len(study.lifetimes()) == 6
    assert (tmp_path / "res" / "charts" / "lifetimes.png").is_file()
    page = (tmp_path / "res" / "report.html").read_text()
    assert "<h2>Group lifetimes</h2>" in page and 'id="chart-lifetimes"' in page
