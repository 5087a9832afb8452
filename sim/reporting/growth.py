"""Growth results in words and tables: the recruitment funnel's stages (``sim.strategies.funnel``)
and the referral tree (``sim.analysis.referrals``), for ``groupsim run``'s printout and the report,
each only when some arm ran it."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.referrals import has_referrals, referral_tree
from .charts.funnel import funnel_table
from .markup import escape, table
from .text import number

TREE = (("referred", "referred members", lambda x: f"{x:,.0f}"), ("depth", "tree depth (deepest)", lambda x: f"{x:.0f}"),
        ("inviter_share", "members who brought a friend", lambda x: f"{100 * x:.1f}%"),
        ("invitees_per_inviter", "friends per inviter", lambda x: f"{x:.2f}"),
        ("k_factor", "K (friends per member)", lambda x: f"{x:.3f}"))


def referral_summary(study) -> pd.DataFrame | None:
    """Per arm, the referral tree's figures (``sim.analysis.referrals.referral_tree``) as means
    over replications, the depth as the deepest; None when no run had a referred joiner."""
    if not has_referrals(study.daily):
        return None
    tree = referral_tree(study.members)
    means = tree.groupby(["scenario", "point"], sort=False).agg(
        referred=("referred", "mean"), depth=("depth", "max"), inviter_share=("inviter_share", "mean"),
        invitees_per_inviter=("invitees_per_inviter", "mean"), k_factor=("k_factor", "mean"))
    return means[means["referred"] > 0].reset_index()


def growth_lines(study) -> list[str]:
    """The printout's lines: each funnel stage with its share of the one before, and the tree."""
    lines = []
    funnel = funnel_table(study)
    if funnel is not None:
        for (scenario, point), stages in funnel.groupby(["scenario", "point"], sort=False):
            steps = [f"{r.stage} {r.mean:,.0f}" + ("" if np.isnan(r.share_of_previous) else
                                                        f" ({100 * r.share_of_previous:.0f}%)")
                     for r in stages.itertuples()]
            lines.append(f"recruitment funnel, {study.label((scenario, point))}: " + " -> ".join(steps))
    tree = referral_summary(study)
    if tree is not None:
        for r in tree.itertuples():
            lines.append(f"referral, {study.label((r.scenario, r.point))}: " +
                         ", ".join(f"{label} {shown(getattr(r, name))}" for name, label, shown in TREE))
    return lines


def growth_sections(study, arms: list) -> list[str]:
    """The report's funnel and referral-tree tables (``arms``: in the report's order)."""
    parts = []
    funnel = funnel_table(study)
    if funnel is not None:
        rows = []
        for arm in arms:
            for r in funnel[(funnel["scenario"] == arm[0]) & (funnel["point"] == arm[1])].itertuples():
                rows.append([escape(study.label(arm)), escape(r.stage), f"{number(r.mean)} [{number(r.low)}, "
                             f"{number(r.high)}]", "" if np.isnan(r.share_of_previous) else
                             f"{100 * r.share_of_previous:.1f}%", "" if np.isnan(r.spend_per_joiner) else
                             f"{r.spend_per_joiner:.2f}"])
        parts.append("<h2>Recruitment funnel</h2><p>People reaching each stage over the run: mean [95% CI] over "
                     "replications; each stage's share of the one before (re-invited joiners: of the verified); "
                     "the funnel's spend per joiner (CNY).</p>" +
                     table(["arm", "stage", "people", "of the stage before", "spend per joiner"], rows))
    tree = referral_summary(study)
    if tree is not None:
        by_arm = {(r.scenario, r.point): r for r in tree.itertuples()}
        rows = [[escape(study.label(arm))] + [shown(getattr(by_arm[arm], name)) for name, _, shown in TREE]
                for arm in arms if arm in by_arm]
        parts.append("<h2>Referral tree</h2><p>Friends members brought (source 3), mean over replications; the "
                     "depth is the deepest generation of any replication; K pools every cohort (the referral "
                     "chart shows it by joining week).</p>" + table(["arm", *(label for _, label, _ in TREE)], rows))
    return parts
