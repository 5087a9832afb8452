"""The draws of sim.engine.draws: rare choices through gates equal testing every row exactly,
and every choice says yes with its probability, independently of the others, for any
number of declared choices."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from sim.engine.choices import CHOICES, Choice, declare, undeclare
from sim.engine.draws import Drawer, Scratch, bounds, gate
from sim.engine.members import Members
from sim.engine.streams import Streams, hash_uniform


RARE = [c.name for c in CHOICES.values() if c.rare]
EXTRA = [f"extra{i}" for i in range(7)]  # more rare choices than one word has bytes


@pytest.fixture
def extra_choices():
    """Seven more rare choices declared for the test (with a base probability, no trait)."""
    for name in EXTRA:
        declare(Choice(name, base=0.03))
    yield RARE + EXTRA
    for name in EXTRA:
        undeclare(name)


def population(rng, n_groups: int, per_group: int, leave_scale: float) -> Members:
    m = Members(capacity=n_groups * per_group)
    n = n_groups * per_group
    p = np.clip(rng.beta(1, 1 / leave_scale, n), 0, 1)
    m.add(n, uid=rng.permutation(10 * n)[:n].astype(np.uint32), group=np.repeat(np.arange(n_groups), per_group),
          leave_odds=(p / (1 - p)).astype(np.float32), trust=rng.random(n).astype(np.float32),
          fatigue=(rng.exponential(1.0, n) * (rng.random(n) < 0.4)).astype(np.float32))
    m.order(n_groups)
    return m


def brute_force(streams, purpose, t, m, base_odds, group_z, terms, eligible):
    """Every row tested exactly with the two-stage uniform u = (b + v) / 256."""
    words = Drawer(streams).gate_bytes(t, m, purpose).astype(np.float64)
    v = hash_uniform(m.uid, streams.key(purpose, t)).astype(np.float64)
    u = (words + v) / 256
    z = np.repeat(group_z, m.row_counts) + sum(np.float32(c) * col for c, col, _ in terms)
    odds = base_odds * np.exp(z)
    return np.flatnonzero((u < odds * (1 - u)) & eligible)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), group_shift=st.floats(-3, 3), fatigue_coef=st.sampled_from([0.0, 0.5, 2.0]),
       trust_coef=st.sampled_from([-1.5, 0.0, 2.0]), leave_scale=st.sampled_from([0.01, 0.1, 0.9]))
def test_rare_draws_equal_testing_every_row(seed, group_shift, fatigue_coef, trust_coef, leave_scale):
    rng = np.random.default_rng(seed)
    m = population(rng, n_groups=6, per_group=700, leave_scale=leave_scale)
    streams, t = Streams(seed, 1), int(rng.integers(0, 300))
    group_z = group_shift + rng.normal(0, 1, 6)  # some groups over K_GROUP, some far below
    terms = [(trust_coef, m.trust, 1.0)] + ([(fatigue_coef, m.fatigue, None)] if fatigue_coef else [])
    known = [(c, top) for c, _, top in terms if top is not None]
    k, group_bound, free_bound = bounds(True, known, bool(fatigue_coef))
    gates = gate(m.leave_odds, k)
    eligible = rng.random(m.n) < 0.9
    got = Drawer(streams).rare("leave", t, m, gates, m.leave_odds, group_z, terms,
                               group_bound=group_bound, free_bound=free_bound, eligible=eligible)
    want = brute_force(streams, "leave", t, m, m.leave_odds.astype(np.float64), group_z, terms, eligible)
    assert np.array_equal(got, want)


def test_gates_cover_the_bound_and_saturate():
    odds = np.array([0.0, 1e-4, 0.01, 0.3, 1.0, 1e6, np.inf])
    g = gate(odds, 4.0)
    with np.errstate(invalid="ignore"):
        p_bar = np.where(np.isfinite(odds), 4 * odds / (1 + 4 * odds), 1.0)
    assert g.dtype == np.uint8
    assert np.all((g.astype(float) + 1) / 256 >= p_bar)  # every byte below 256·p̄ passes
    assert np.all(g.astype(float) / 256 < p_bar + 1 / 256)  # and not many more
    assert g[-1] == 255 and g[-2] == 255


def test_rare_choices_have_their_probability_and_are_independent(extra_choices):
    """Eleven rare choices (the four built in, seven declared) on 200,000 members over 5
    days: each says yes with its exact probability (binomial z within 4.5), and pairs of
    choices, sharing a word or not, coincide as independence says."""
    rng = np.random.default_rng(5)
    m = population(rng, n_groups=400, per_group=500, leave_scale=0.01)
    p = np.float32(0.03)
    odds = np.full(m.n, p / (1 - p), np.float32)
    gates = gate(odds, 1.0)
    streams = Streams(3, 0)
    drawer = Drawer(streams)
    both, trials = 0, 0
    for t in range(5):
        day = {}
        for c in extra_choices:
            rows = drawer.rare(c, t, m, gates, odds, np.zeros(400), [], 1.0, 1.0)
            day[c] = np.zeros(m.n, bool)
            day[c][rows] = True
            count = len(rows)
            z = (count - m.n * p) / np.sqrt(m.n * p * (1 - p))
            assert abs(z) < 4.5, (c, t, count)
        pairs = [("lapse", "leave"), ("mute", "buy"), ("leave", "extra0"), ("extra0", "extra6")]
        both += sum(int((day[a] & day[b]).sum()) for a, b in pairs)
        trials += len(pairs) * m.n
    expected = trials * p * p
    assert abs(both - expected) < 4.5 * np.sqrt(expected)


def test_rare_draws_of_a_member_do_not_depend_on_the_others():
    rng = np.random.default_rng(2)
    m = population(rng, n_groups=3, per_group=1000, leave_scale=0.1)
    streams = Streams(4, 2)
    args = dict(gates=gate(m.leave_odds, 1.0), base_odds=m.leave_odds, group_z=np.zeros(3), terms=[],
                group_bound=1.0, free_bound=1.0)
    full = set(m.uid[Drawer(streams).rare("leave", 7, m, **args)])
    half = population(np.random.default_rng(2), n_groups=3, per_group=1000, leave_scale=0.1)
    keep = half.uid % 2 == 0
    sub = Members(capacity=int(keep.sum()))
    sub.add(int(keep.sum()), **{c: half.column(c)[keep] for c in ("uid", "group", "leave_odds", "trust", "fatigue")})
    sub.order(3)
    args.update(gates=gate(sub.leave_odds, 1.0), base_odds=sub.leave_odds)
    assert set(sub.uid[Drawer(streams).rare("leave", 7, sub, **args)]) == {u for u in full if u % 2 == 0}


@pytest.mark.parametrize("choice", RARE + EXTRA)
def test_every_rare_choice_has_a_byte_of_its_own(choice, extra_choices):
    m = population(np.random.default_rng(1), n_groups=2, per_group=5000, leave_scale=0.1)
    d = Drawer(Streams(1, 0))
    planes = {c: d.gate_bytes(0, m, c).copy() for c in extra_choices}
    assert all(abs(np.corrcoef(planes[choice], planes[c])[0, 1]) < 0.05 for c in extra_choices if c != choice)
    assert stats.chisquare(np.bincount(planes[choice], minlength=256)).pvalue > 1e-3


def test_declaring_choices_changes_no_other_choice_draws(extra_choices):
    """Common random numbers for any number of choices: the built-in choices' bytes and
    draws are the same with seven more declared as without them."""
    m = population(np.random.default_rng(3), n_groups=2, per_group=3000, leave_scale=0.1)
    with_extra = {c: Drawer(Streams(9, 1)).gate_bytes(4, m, c).copy() for c in RARE}
    for name in EXTRA:
        undeclare(name)
    alone = {c: Drawer(Streams(9, 1)).gate_bytes(4, m, c).copy() for c in RARE}
    for name in EXTRA:
        declare(Choice(name, base=0.03))
    assert all(np.array_equal(with_extra[c], alone[c]) for c in RARE)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 300_000), share=st.floats(0, 0.3), seed=st.integers(0, 2**32 - 1))
def test_true_rows_are_the_rows_of_the_mask(n, share, seed):
    """The padded search (4-10% of rows true) and the plain one give the same rows."""
    mask = np.random.default_rng(seed).random(n) < share
    scratch = Scratch()
    assert np.array_equal(scratch.true_rows(mask), np.flatnonzero(mask))
    assert np.array_equal(scratch.true_rows(mask), np.flatnonzero(mask))  # the reused buffer too
