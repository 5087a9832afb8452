"""Product pushes (``sim.strategies.pushes``) and buying on days without a push
(``behavior.purchase`` content_weight / peer_weight, ``sim.engine.purchase``).

1. A daily product push on top of a value-heavy programme raises purchases and fatigue
   (more members mute); with the pushes switched off (``per_day`` 0) both gaps are gone.
2. A programme of value content only (no push ever) sells nothing at the defaults, and sells
   once content or peers' talk count as exposure.
3. Flash-sale discounts are booked as discount × order value × orders in the sale's groups.
Paired replications (replication r of every arm shares its streams), one-sided 99% bounds
from the spread of the paired differences, on each of ``TEST_SEEDS``. Buying propensity is
ten times the baseline's so orders are common enough to count in a month.
"""
from __future__ import annotations

import numpy as np
import pytest

import sim
from stats_helpers import TEST_SEEDS, lower_bound, replicate

BASELINE = "scenarios/baseline.yaml"
MONTH = ("days=30", "members.purchase.beta=[1, 100]")


def purchases_and_muting(over: list[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    r = replicate(BASELINE, [*MONTH, "strategies.messaging.value_share=0.8", *over], 4, seed)
    return r.summary["purchases"].to_numpy(float), r.daily.groupby("replication")["muted"].sum().to_numpy(float)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_pushes_raise_purchases_and_fatigue(seed):
    bought, muted = purchases_and_muting([], seed)
    for per_day, on in ((1, True), (0, False)):  # per_day 0: the strategy sends nothing
        more_bought, more_muted = purchases_and_muting([f"strategies.pushes={{per_day: {per_day}}}"], seed)
        assert (lower_bound(more_bought - bought) > 0) == on
        assert (lower_bound(more_muted - muted) > 0) == on


def push_free_purchases(over: list[str], seed: int) -> np.ndarray:
    r = replicate(BASELINE, [*MONTH, "strategies.messaging.value_share=1", *over], 3, seed)
    assert r.daily["ad_msgs"].sum() == 0  # not one push
    return r.summary["purchases"].to_numpy(float)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_purchases_follow_content_and_peers_on_days_without_a_push(seed):
    assert (push_free_purchases([], seed) == 0).all()  # off (the defaults): only push days sell
    assert lower_bound(push_free_purchases(["behavior.purchase.content_weight=0.2"], seed)) > 0
    assert lower_bound(push_free_purchases(["behavior.purchase.peer_weight=0.3"], seed)) > 0


def test_flash_sale_discounts_are_booked_per_order():
    over = [*MONTH, "strategies.pushes={flash_sale: {when: {every: 3}, discount: 0.25}, where: {groups: [0]}}"]
    d = sim.run(sim.load_scenario(BASELINE, over), reps=1, seed=5).daily
    sale = (d["day"] % 3 == 0) & (d["group"] == 0)
    assert (d.loc[sale, "flash_orders"] == d.loc[sale, "purchases"]).all() and d["flash_orders"].sum() > 0
    assert (d.loc[~sale, ["flash_orders", "discounts"]] == 0).all().all()
    assert d["discounts"].sum() == pytest.approx(0.25 * 99.0 * d["flash_orders"].sum())
    assert d["spend_pushes"].sum() == pytest.approx(2.0 * d["pushes"].sum()) and (d["pushes"] == (d["group"] == 0)).all()


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_a_flash_sale_raises_orders_and_lowers_the_margin_per_order(seed):
    """Urgency sells more on sale days and the discount gives margin away (seed 001's flash
    sales); off: the same pushes with no urgency and no discount."""
    sale = [*MONTH, "strategies.pushes={per_day: 1, flash_sale: {when: {every: 2}}}"]
    on = replicate(BASELINE, sale, 3, seed).summary
    off = replicate(BASELINE, [*sale, "strategies.pushes.flash_sale.urgency=0",
                               "strategies.pushes.flash_sale.discount=0"], 3, seed).summary
    discount_only = replicate(BASELINE, [*sale, "strategies.pushes.flash_sale.urgency=0"], 3, seed).summary
    per_order = lambda s: (s["margin"] / s["purchases"]).to_numpy(float)  # noqa: E731
    assert lower_bound(on["purchases"].to_numpy(float) - off["purchases"].to_numpy(float)) > 0
    assert lower_bound(per_order(off) - per_order(on)) > 0
    # off: without urgency the sale sells no more, and only the discount lowers the margin
    assert not lower_bound(discount_only["purchases"].to_numpy(float) - off["purchases"].to_numpy(float)) > 0
    assert lower_bound(per_order(off) - per_order(discount_only)) > 0