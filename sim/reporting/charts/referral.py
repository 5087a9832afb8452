"""Referral campaigns (裂变, ``sim.analysis.referrals``), drawn when some arm had friends accept.

Left: the K-factor of each weekly joining cohort (friends its members brought in their first
``WINDOW`` days, per member) by the week it joined, per arm (line: mean of replications; band:
middle 95%), with K = 1, above which a campaign compounds. A fixed window makes cohorts compare
alike (an older cohort has had longer to invite); cohorts not yet watched that long are left out. Right: members per generation of the referral tree (0: came another way), mean of
replications, on a log scale: how deep the chains go.
"""
from __future__ import annotations

import numpy as np

from ...analysis.referrals import generation_sizes, has_referrals, k_factor_by_week
from ...experiments.errors import InputError
from .arms import arm_colors, runs_of
from .style import band, figure, finish

WINDOW = 28  # days of a member's invitations counted: most come in her first days (Qiu et al. 2016)


def referral_chart(study):
    """The chart of a results folder's referrals, or None when no arm had any."""
    if not has_referrals(study.daily):
        return None
    try:
        members = study.members
    except InputError:  # a folder written without members.parquet: the other charts still draw
        return None
    colors = arm_colors(study)
    fig, axes = figure(1, 2, (12, 4.6))
    k_ax, tree_ax = axes[0, 0], axes[0, 1]
    for arm, color in colors.items():
        runs = runs_of(members, arm)
        if not len(runs):
            continue
        weekly = k_factor_by_week(runs, study.days, within=WINDOW)
        weekly = weekly[weekly["observed"] >= WINDOW + 7]
        if len(weekly):
            wide = weekly.pivot_table(index="replication", columns="week", values="k")
            wide = wide.loc[:, wide.notna().all()]  # a week nobody joined in some replication has no K
            band(k_ax, wide.columns.to_numpy() + 1, wide.to_numpy(dtype=float), color, study.label(arm))
        sizes = generation_sizes(runs).pivot_table(index="replication", columns="generation", values="members",
                                                   fill_value=0)
        mean = sizes.to_numpy(dtype=float).mean(axis=0)
        tree_ax.plot(sizes.columns.to_numpy(), np.where(mean > 0, mean, np.nan), "o-", color=color,
                     label=study.label(arm), lw=1.6)
    k_ax.axhline(1, color="#555555", ls=":", lw=1, label="K = 1: each cohort brings as many as it has")
    finish(k_ax, f"K-factor by joining week: friends brought in a member's first {WINDOW} days",
           "week joined (1: days 0-6)", "K (per member of the cohort)")
    k_ax.set_ylim(bottom=0)
    k_ax.xaxis.get_major_locator().set_params(integer=True)
    tree_ax.set_yscale("log")
    tree_ax.xaxis.get_major_locator().set_params(integer=True)
    finish(tree_ax, "Referral tree: members per generation", "generation (0: came another way)",
           "members (mean of replications)")
    return fig
