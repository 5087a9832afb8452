"""The recruitment funnel and the referral tree in `groupsim run`'s printout, the results API and
the report (``sim.reporting.growth``): shown when some arm ran them, absent otherwise, and the
figures the tables computed from the runs' own rows."""
import numpy as np

from sim.cli import main
from sim.reporting.results import Results


def run(tmp_path, scenario, capsys):
    out = tmp_path / scenario
    assert main(["run", f"scenarios/{scenario}.yaml", "--reps", "2", "--days", "30", "--workers", "1",
                 "--out", str(out)]) == 0
    return Results.load(out), capsys.readouterr().out, (out / "report.html").read_text()


def test_the_funnel_is_printed_and_reported_with_its_stages(tmp_path, capsys):
    res, printed, page = run(tmp_path, "funnel", capsys)
    table = res.funnel_table()
    joined = table[table["stage"] == "joined"]["mean"].iloc[0]
    assert np.isclose(joined, res.daily.groupby("replication")["funnel_joined"].sum().mean())
    assert "recruitment funnel, funnel: reached" in printed and f"joined {joined:,.0f}" in printed
    assert "<h2>Recruitment funnel</h2>" in page and res.referral_table() is None


def test_the_referral_tree_is_printed_and_reported(tmp_path, capsys):
    res, printed, page = run(tmp_path, "fission", capsys)
    tree = res.referral_table()
    referred = (res.members["source"] == 3).groupby(res.members["replication"]).sum().mean()
    assert np.isclose(tree["referred"].iloc[0], referred) and tree["depth"].iloc[0] >= 1
    assert "referral, fission: referred members" in printed and "<h2>Referral tree</h2>" in page
    assert res.funnel_table() is None and "Recruitment funnel" not in page
