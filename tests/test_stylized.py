"""Stylized facts of the domain, tested with replications on the test seeds.

Each claim is checked with a confidence bound from the run-to-run spread (paired by
replication, so common random numbers cancel shared luck), on two seeds never used to
choose a default (``stats_helpers.TEST_SEEDS``; defaults: ``docs/calibration.md``), and
each is shown to fail when the mechanism behind it is switched off.
"""
import numpy as np
import pytest

from stats_helpers import TEST_SEEDS, lower_bound, post_share, replicate

BASELINE, DEAD, WELL = "scenarios/baseline.yaml", "scenarios/dead_group.yaml", "scenarios/well_run.yaml"
SILENT = 0.01  # under 1% of members posting a day: a silent group (sim.analysis.kpis.SILENT_SHARE)
REPS = 6
PER_DAY = (0, 1, 3, 6, 12)


def active_after_90_days(seed: int, extra: list[str]) -> dict[int, np.ndarray]:
    """Active members in the last week, per replication, at each number of messages a day."""
    return {k: replicate(BASELINE, ["days=90", f"strategies.messaging.per_day={k}", *extra], REPS, seed)
            .summary["active_end"].to_numpy() for k in PER_DAY}


def inverted_u(active: dict[int, np.ndarray]) -> bool:
    """Active members after 90 days peak at 3 messages a day, above 0, 1, 6 and 12."""
    return all(lower_bound(active[3] - active[k]) > 0 for k in (0, 1, 6, 12))


def never_hurt(active: dict[int, np.ndarray]) -> bool:
    """Each step up in messages a day raises active members (lower bound of the paired gain > 0)."""
    return all(lower_bound(active[b] - active[a]) > 0 for a, b in zip(PER_DAY, PER_DAY[1:]))


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_activity_is_an_inverted_u_in_messages_per_day(seed):
    active = active_after_90_days(seed, [])
    assert inverted_u(active)
    assert not never_hurt(active)  # with annoyance, more is not always better


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_without_fatigue_more_messages_never_hurt(seed):
    # switched off: annoyance no longer builds, so every extra message a day helps
    active = active_after_90_days(seed, ["behavior.fatigue.enabled=false"])
    assert never_hurt(active)
    assert not inverted_u(active)


def neglected_silent_by_week_four(seed: int, extra: list[str] = ()) -> bool:
    """Neglected groups are silent in their fourth week in at least 80% of 20 replications."""
    dead = replicate(DEAD, ["days=28", *extra], 20, seed)  # only the first four weeks are read
    return bool((post_share(dead, 21, 27) < SILENT).mean() >= 0.8)


def well_run_alive_after_a_year(seed: int, extra: list[str] = ()) -> bool:
    """The well-run group still talks after a year: lower bound of its posting share over 1%."""
    well = replicate(WELL, list(extra), 2 * REPS, seed)
    return bool(lower_bound(post_share(well, 358, 364) - SILENT) > 0)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_dead_group_goes_silent_and_well_run_group_lives_a_year(seed):
    assert neglected_silent_by_week_four(seed) and well_run_alive_after_a_year(seed)


@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_without_contagion_the_neglected_group_lingers(seed):
    # no silence spiral: members of a group nobody runs go quiet no faster than anywhere else
    assert not neglected_silent_by_week_four(seed, ["behavior.contagion.enabled=false"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_without_value_content_the_well_run_group_fades(seed):
    assert not well_run_alive_after_a_year(seed, ["behavior.content.enabled=false"])
