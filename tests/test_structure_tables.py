"""Results by structure (``sim.analysis.structure``): exact tables of hand-made frames, and
on a small run: the tables exist, are named as the scenario names its kinds and segments,
and add up to the daily totals (members conserved); the printout and report show them only
when they say something."""
from __future__ import annotations

import io
import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import structure
from sim.analysis.stats import bounded_ci
from sim.cli import main
from sim.reporting.text import format_kpis
from sim.strategies import Strategy

from browser import check_page, require_chromium

ROOT = Path(__file__).resolve().parent.parent
# two segments listed out of alphabetical order (the manifest sorts mappings), several groups
SEGMENTED = ["days=40", "recruitment.arrivals_per_day=40",
             "members.segments={shop: {share: 0.4}, online: {share: 0.6, activity: {beta: [1, 10]}}}"]


def daily_rows(rows: list[tuple]) -> pd.DataFrame:
    columns = ["replication", "day", "group", "kind", "group_age", "members", "joined", "enrolled", "moved_out",
               "left", "member_msgs", "purchases", "gmv", "spend"]
    return pd.DataFrame(rows, columns=columns).assign(scenario="s", point=0)


# replication 0: group 0 (kind 0) from day 0, group 1 (kind 1) from day 1; replication 1: group 0 only
DAILY = daily_rows([
    # rep day grp kind age members joined enrolled moved_out left msgs buys gmv spend
    (0, 0, 0, 0, 0, 5, 5, 0, 0, 1, 10.0, 1, 99.0, 2.0),
    (0, 1, 0, 0, 1, 6, 2, 0, 0, 0, 4.0, 0, 0.0, 2.0),
    (0, 1, 1, 1, 0, 3, 0, 3, 0, 0, 7.0, 2, 198.0, 5.0),
    (0, 2, 0, 0, 2, 4, 0, 0, 2, 4, 1.0, 0, 0.0, 2.0),
    (0, 2, 1, 1, 1, 5, 0, 2, 0, 1, 0.0, 0, 0.0, 5.0),
    (1, 0, 0, 0, 0, 2, 2, 0, 0, 0, 3.0, 0, 0.0, 1.0),
    (1, 1, 0, 0, 1, 3, 1, 0, 0, 0, 2.0, 1, 99.0, 1.0),
    (1, 2, 0, 0, 2, 3, 0, 0, 0, 1, 0.0, 0, 0.0, 1.0),
])


def test_group_table_is_exact():
    g = structure.group_table(DAILY, ["welfare", "vip"]).set_index(["replication", "group"])
    assert list(g.columns[2:]) == list(structure.GROUP_COLUMNS)
    assert g.loc[(0, 0)][["kind", "opened", "last_day", "members_end", "joined", "enrolled", "moved_out", "left",
                          "messages", "purchases", "gmv", "spend"]].tolist() == \
        ["welfare", 0, 2, 0, 7, 0, 2, 5, 15.0, 1, 99.0, 6.0]
    assert np.isclose(g.loc[(0, 0), "retention"], 0 / 7)
    assert g.loc[(0, 1)][["kind", "opened", "last_day", "members_end", "enrolled", "left"]].tolist() == \
        ["vip", 1, 2, 4, 5, 1]
    assert np.isclose(g.loc[(0, 1), "retention"], 4 / 5)
    assert g.loc[(1, 0)][["members_end", "joined", "left"]].tolist() == [2, 3, 1]
    # a group that emptied before the end: its last day with members, and no entries: retention n/a
    emptied = daily_rows([(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0, 0.0, 0.0), (0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0.0, 0,
                                                                               0.0, 0.0)])
    row = structure.group_table(emptied).iloc[0]
    assert row["last_day"] == -1 and row["kind"] == "kind 0" and np.isnan(row["retention"])


def test_kind_table_counts_a_missing_kind_as_zero_and_marks_tiers():
    runs = structure.kind_runs(DAILY, ["welfare", "vip"], ["vip"]).set_index(["replication", "kind"])
    assert runs.loc[(1, "vip")][["groups", "members_end", "enrolled", "gmv"]].tolist() == [0, 0, 0, 0]
    assert np.isnan(runs.loc[(1, "vip"), "retention"])
    assert runs.loc[(0, "vip"), "tier"] and not runs.loc[(0, "welfare"), "tier"]
    table = structure.kind_table(DAILY, ["welfare", "vip"], ["vip"])
    assert set(table["measure"]) == set(structure.KIND_MEASURES)
    row = table[(table["kind"] == "welfare") & (table["measure"] == "members_end")].iloc[0]
    assert (row["mean"], row["low"], row["high"]) == pytest.approx(bounded_ci([0, 2]))  # a count: [0, 2], not below 0
    vip = table[(table["kind"] == "vip") & (table["measure"] == "retention")].iloc[0]
    assert vip["tier"] and vip["mean"] == pytest.approx(0.8) and vip["reps"] == 1  # n/a where none entered
    assert structure.kind_table(DAILY, ["welfare", "vip"])["tier"].eq(False).all()  # no tiers named


MEMBERS = pd.DataFrame({
    "scenario": "s", "point": 0, "replication": 0,
    "person": [0, 1, 2, 3, 4, 5],
    "segment": [0, 0, 1, 1, 1, 2],
    "last_group": [0, 1, 0, 0, 1, 1],
    # run of 50 days (last day 49): those who joined by day 19 are observed at age 30
    "joined": [0, 5, 19, 20, 10, 0],
    "left": [-1, 35, 49, -1, 40, 30],
    "messages": [4, 2, 6, 0, 3, 1],
    "purchases": [1, 0, 2, 0, 1, 0],
})


def test_segment_table_is_exact():
    runs = structure.segment_runs(MEMBERS, 50, ["shop", "online"]).set_index("segment")
    assert runs.loc["shop"][["members", "members_end", "messages_per_member", "purchases_per_member"]].tolist() == \
        [2, 1, 3.0, 0.5]
    # shop: 0 stays; 1 left 30 days after joining (gone at age 30)
    assert runs.loc["shop", "retention_d30"] == pytest.approx(0.5)
    # online: 2 (left at age 30: gone) and 4 (left at age 30: gone); 3 joined on day 20, not observed
    assert runs.loc["online"][["members", "members_end", "retention_d30"]].tolist() == [3, 1, 0.0]
    assert runs.loc["segment 2", "retention_d30"] == 0.0  # an index past the names: shown by number
    days = pd.DataFrame({"scenario": ["s"], "point": [0], "replication": [0], "days": [50]})
    pd.testing.assert_frame_equal(structure.segment_runs(MEMBERS, days, ["shop", "online"]),
                                  structure.segment_runs(MEMBERS, 50, ["shop", "online"]))
    table = structure.segment_table(MEMBERS, 50, {"s": ["shop", "online"]})
    shop = table[(table["segment"] == "shop") & (table["measure"] == "members")].iloc[0]
    assert shop["mean"] == 2 and np.isnan(shop["low"]) and shop["reps"] == 1


def test_group_segment_table_is_exact():
    t = structure.group_segment_table(MEMBERS, ["shop", "online", "vip"]).set_index(["group", "segment"])
    assert t["members"].to_dict() == {(0, "shop"): 1, (0, "online"): 2, (1, "shop"): 1, (1, "online"): 1,
                                      (1, "vip"): 1}
    assert t["members_end"].to_dict() == {(0, "shop"): 1, (0, "online"): 1, (1, "shop"): 0, (1, "online"): 0,
                                          (1, "vip"): 0}


class Enrol(Strategy):
    """Day 2: adds ten members of group 0 to group 1 (they keep group 0); day 4: moves ten others there."""
    name = "enrol_for_test"

    def after(self, day):
        m = day.members
        home = np.flatnonzero((m.group == 0) & m.present & (m.uid == m.person))
        if day.t == 2:
            self.added = m.person[home[:10]].copy()
            day.enroll(home[:10], 1)
        if day.t == 4:
            self.moved = m.person[home[10:20]].copy()
            day.enroll(home[10:20], 1, move=True)


def test_last_group_is_the_newest_membership_and_segments_follow_the_person():
    scenario = sim.parse_scenario({
        "name": "enrolled", "days": 8, "seed": 3, "groups": {"capacity": 500},
        "recruitment": {"initial_members": 600, "arrivals_per_day": 0},
        "members": {"segments": {"b": {"share": 0.5}, "a": {"share": 0.5}}}})
    strategy = Enrol(Enrol.Params())
    model = sim.CommunityModel(scenario, strategies=[*scenario.make_strategies(), strategy])
    model.run()
    people = model.recorder.members().set_index("person")
    ships = model.recorder.memberships()
    assert (ships.groupby("person")["segment"].nunique() == 1).all()
    assert (ships.groupby("person")["segment"].first() == people["segment"]).all()
    changed = np.concatenate([strategy.added, strategy.moved])
    stayed = people.index.difference(changed)
    into_1 = np.intersect1d(ships.loc[ships["group"] == 1, "person"], changed)  # some left before their day
    assert len(into_1) >= 15 and (people.loc[into_1, "groups"] == 2).all()
    assert (people.loc[into_1, "last_group"] == 1).all()
    assert (people.loc[stayed, "last_group"] == ships.set_index("person").loc[stayed, "group"]).all()
    by_group = structure.group_segment_table(people.reset_index(), ["b", "a"])
    assert by_group["members_end"].sum() == (people["left"] < 0).sum()
    assert set(by_group["segment"]) == {"a", "b"}
    model.release()


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    out = tmp_path_factory.mktemp("structure") / "res"
    scenario = sim.load_scenario(ROOT / "scenarios" / "wechat_limits.yaml", SEGMENTED)
    return sim.run(scenario, reps=2, seed=101, out=out, report=True), out


def test_run_tables_add_up_to_the_daily_totals(segmented):
    res, _ = segmented
    summary = res.summary.set_index("replication")
    groups = res.group_table()
    assert groups.groupby("replication")["group"].size().min() > 2  # several groups, as the limits make
    # members conserved in every group: those at the end are those who came in less those who went
    np.testing.assert_array_equal(groups["members_end"],
                                  groups["joined"] + groups["enrolled"] - groups["moved_out"] - groups["left"])
    per_run = groups.groupby("replication")[["members_end", "joined", "left", "purchases", "gmv", "spend"]].sum()
    for column in per_run:
        np.testing.assert_allclose(per_run[column], summary.loc[per_run.index, column], rtol=1e-12)
    # every kind (here the one) and every segment together hold everyone
    kinds = res.kind_table()
    end = kinds[kinds["measure"] == "members_end"]
    assert list(end["kind"]) == ["group"] and end["mean"].sum() == pytest.approx(summary["members_end"].mean())
    segments = structure.segment_runs(res.members, 40, res.names("segments"))
    assert list(dict.fromkeys(segments["segment"])) == ["shop", "online"]  # the scenario's order, not sorted
    np.testing.assert_array_equal(segments.groupby("replication")["members_end"].sum(), summary["members_end"])
    np.testing.assert_array_equal(segments.groupby("replication")["members"].sum(), summary["joined"])
    table = res.segment_table()
    assert set(table["segment"]) == {"shop", "online"} and (table["reps"] == 2).all()
    # each person in one group here: by group and segment adds up to the groups' members at the end
    by_group = res.group_segment_table().groupby(["replication", "group"])["members_end"].sum()
    np.testing.assert_array_equal(by_group, groups.set_index(["replication", "group"])["members_end"])


def test_members_and_memberships_carry_segment_and_group(segmented):
    res, _ = segmented
    people = res.members
    assert {"segment", "last_group"} <= set(people.columns)
    recruits = res.daily.groupby(["replication", "group"])["joined"].sum()  # no enrolments here
    assert people.groupby(["replication", "last_group"]).size().to_numpy().tolist() == recruits.to_numpy().tolist()


def test_printout_and_report_show_them(segmented):
    res, out = segmented
    text = format_kpis(res)
    assert "by member segment" in text and "  shop " in text and "  online " in text
    assert "by group kind" not in text  # one kind: nothing to say
    largest = text.split("the 5 with most members at the end")[1].splitlines()[1:]
    assert len(largest) == 5 and all(line.startswith("  group ") for line in largest)
    page = (out / "report.html").read_text()
    assert "<h2>By member segment</h2>" in page and "<h2>Groups</h2>" in page and "By group kind" not in page
    assert page.index("<h2>By member segment") < page.index("<h2>Charts")
    assert "at the end: shop" in page and "at the end: online" in page


def test_one_group_and_one_segment_add_nothing(tmp_path):
    out = tmp_path / "res"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--days", "20", "--reps", "2", "--set",
                     "recruitment.arrivals_per_day=20", "--out", str(out), "--quiet"])
    assert code == 0
    res = sim.Results.load(out)
    assert len(res.group_table()) == 2 and list(res.segment_table()["segment"].unique()) == ["member"]
    assert format_kpis(res).count("\n") == len(res.kpis)  # the heading and the KPIs only
    page = (out / "report.html").read_text()
    assert "By member segment" not in page and "<h2>Groups</h2>" not in page and "By group kind" not in page


KINDS = ["days=30", "recruitment.arrivals_per_day=40",
         "groups.kinds=[{name: welfare, like: welfare}, {name: class, like: class, share: 0.5}, "
         "{name: vip, like: vip, routable: false}]"]


@pytest.fixture(scope="module")
def kinded(tmp_path_factory):
    out = tmp_path_factory.mktemp("kinds") / "res"
    scenario = sim.load_scenario(ROOT / "scenarios" / "wechat_limits.yaml", KINDS)
    return sim.run(scenario, reps=2, seed=202, out=out, report=True), out, scenario


def test_kind_tables_follow_the_kinds_and_add_up(kinded):
    res, out, scenario = kinded
    model = sim.CommunityModel(scenario, replication=0, seed=202)
    model.run()
    recorded = model.recorder.daily().groupby("group")["kind"].agg(["min", "max"])
    assert (recorded["min"] == recorded["max"]).all()  # a group's kind never changes
    np.testing.assert_array_equal(recorded["min"], model.groups.kind[: len(recorded)])
    model.release()
    kinds = res.kind_table()
    assert list(dict.fromkeys(kinds["kind"])) == scenario.groups.kind_names() == ["welfare", "class", "vip"]
    assert kinds.groupby("kind")["tier"].first().to_dict() == {"welfare": False, "class": False, "vip": True}
    assert list(res.tier_table()["kind"].unique()) == ["vip"]
    groups = res.group_table()
    for measure in ("groups", "members_end", "joined", "gmv", "spend"):
        per_kind = kinds[kinds["measure"] == measure].set_index("kind")["mean"]
        per_run = groups.groupby(["replication", "kind"]).size() if measure == "groups" else \
            groups.groupby(["replication", "kind"])[measure].sum()
        total = per_run.groupby("kind").sum() / 2  # mean over the two replications
        np.testing.assert_allclose(per_kind.loc[total.index], total, rtol=1e-12)
    assert kinds[kinds["measure"] == "members_end"]["mean"].sum() == pytest.approx(res.summary["members_end"].mean())
    page = (out / "report.html").read_text()
    assert "<h2>By group kind</h2>" in page and "vip (tier)" in page
    assert "by group kind" in format_kpis(res) and "(welfare)" in format_kpis(res)


@pytest.mark.parametrize("which", ["segments", "kinds"])
def test_report_with_the_tables_renders_in_headless_chromium(which, request, tmp_path):
    require_chromium()
    out = request.getfixturevalue("segmented" if which == "segments" else "kinded")[1]
    page = check_page(out / "report.html", tmp_path)
    assert page.errors == [] and not page.blank
