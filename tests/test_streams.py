"""Counter-based random streams (``sim.engine.streams``) and per-uid trait draws (``sim.engine.traits``).

Statistical checks use fixed keys and ~10^5 draws, with thresholds (p > 1e-3, or a
correlation within 4.5 standard errors) that a correct generator passes with near
certainty and a broken one (shared keys, correlated neighbours, bias) fails.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from sim.engine.streams import Streams, StreamView, hash_uniform, hash_words, purpose_key
from sim.engine.traits import BLOCK, Distribution as _Dist, draw_segments, draw_trait

N = 100_000
UIDS = np.arange(N, dtype=np.uint32)
P_MIN = 1e-3


def corr_ok(a: np.ndarray, b: np.ndarray, k: float = 4.5) -> bool:
    """Pearson correlation within k standard errors (1/sqrt(n)) of zero."""
    r = np.corrcoef(np.asarray(a, float), np.asarray(b, float))[0, 1]
    return abs(r) < k / np.sqrt(len(a))


def grid_p(a: np.ndarray, b: np.ndarray, cells: int = 10) -> float:
    """p-value of a chi-square test that (a, b) fill a cells x cells grid evenly."""
    ia = np.minimum((np.asarray(a, float) * cells).astype(int), cells - 1)
    ib = np.minimum((np.asarray(b, float) * cells).astype(int), cells - 1)
    counts = np.bincount(ia * cells + ib, minlength=cells * cells)
    return float(stats.chisquare(counts).pvalue)


# -- range and uniformity ------------------------------------------------------------

@pytest.mark.parametrize("seed, rep, purpose, day", [
    (1, 0, "post", 0), (1, 0, "leave", 17), (123456789, 3, "trait.segment", 0), (2**63 - 1, 9, "strategy.messaging", 364),
])
def test_uniforms_are_float32_in_open_unit_interval_and_uniform(seed, rep, purpose, day):
    u = Streams(seed, rep).uniform(purpose, day, UIDS)
    assert u.dtype == np.float32 and u.shape == (N,)
    assert u.min() > 0 and u.max() < 1
    assert stats.kstest(u.astype(np.float64), "uniform").pvalue > P_MIN
    # the far tails matter for small probabilities (u < p with p ~ 1e-3)
    assert stats.binomtest(int((u < 0.01).sum()), N, 0.01).pvalue > P_MIN
    assert stats.binomtest(int((u > 0.99).sum()), N, 0.01).pvalue > P_MIN


def test_uniform_never_rounds_to_zero_or_one_in_the_extreme_cells():
    """Uids whose hash word is all ones (or all zeros) in its top bits give draws
    strictly inside (0, 1): float32 cannot hold 24 bits centred in their cell, so the top
    cell used to round up to exactly 1.0 (a recruit with join_probability 1 stayed out,
    and a segment draw fell past the last segment)."""
    uids = np.arange(2**22, dtype=np.uint32)
    key = Streams(1, 0).key("join", 0)
    top24 = hash_words(uids, key) >> np.uint32(8)
    assert (top24 == 0xFFFFFF).any() and (top24 == 0).any()  # the extreme cells are hit
    u = hash_uniform(uids, key)
    assert u.max() < 1.0 and u.min() > 0.0
    assert (u < np.float32(1.0)).all()
    # centred: the extreme draws sit half a cell (2^-24) inside the interval
    assert u.max() == np.float32(1 - 2.0**-24) and u.min() == np.float32(2.0**-24)


def test_hash_words_accepts_any_integer_uids_and_scratch_buffers():
    key = Streams(5, 1).key("post", 3)
    ref = hash_words(UIDS[:1000], key)
    assert np.array_equal(hash_words(np.arange(1000), key), ref)  # int64 uids
    out, tmp = np.empty(2000, np.uint32), np.empty(2000, np.uint32)
    assert np.array_equal(hash_words(UIDS[:1000], key, out=out, tmp=tmp), ref)
    u_out = np.empty(1000, np.float32)
    assert np.array_equal(hash_uniform(UIDS[:1000], key, out=u_out), hash_uniform(UIDS[:1000], key))


# -- independence ---------------------------------------------------------------------

PAIRS = {
    "consecutive days": (Streams(1, 0), "post", 5, Streams(1, 0), "post", 6),
    "distant days": (Streams(1, 0), "post", 0, Streams(1, 0), "post", 1000),
    "purposes": (Streams(1, 0), "post", 5, Streams(1, 0), "leave", 5),
    "related purpose names": (Streams(1, 0), "strategy.messaging", 5, Streams(1, 0), "strategy.messaging.x", 5),
    "replications": (Streams(1, 0), "post", 5, Streams(1, 1), "post", 5),
    "seeds": (Streams(1, 0), "post", 5, Streams(2, 0), "post", 5),
    "seed vs replication swap": (Streams(1, 2), "post", 5, Streams(2, 1), "post", 5),
}


@pytest.mark.parametrize("name", list(PAIRS))
def test_streams_are_independent(name):
    s1, p1, d1, s2, p2, d2 = PAIRS[name]
    a, b = s1.uniform(p1, d1, UIDS), s2.uniform(p2, d2, UIDS)
    assert not np.array_equal(a, b)
    assert corr_ok(a, b)
    assert corr_ok(a < 0.05, b < 0.05)  # rare events do not coincide either
    assert grid_p(a, b) > P_MIN


@pytest.mark.parametrize("lag", [1, 2, 1024])
def test_neighbouring_uids_are_independent(lag):
    u = Streams(7, 0).uniform("lapse", 12, np.arange(N + lag, dtype=np.uint32))
    a, b = u[:-lag], u[lag:]
    assert corr_ok(a, b)
    assert grid_p(a, b) > P_MIN


def test_uids_far_apart_are_independent():
    # uid and uid + 2^16 (a multiplicative hash with a weak high half would pair them)
    s = Streams(3, 0)
    a = s.uniform("post", 1, UIDS)
    b = s.uniform("post", 1, UIDS + np.uint32(2**16))
    assert corr_ok(a, b) and grid_p(a, b) > P_MIN


# -- determinism per uid --------------------------------------------------------------

def test_draw_of_a_uid_does_not_depend_on_the_other_uids_drawn():
    s = Streams(11, 2)
    full = s.uniform("post", 9, UIDS)
    rng = np.random.default_rng(0)
    subset = np.sort(rng.choice(N, 5000, replace=False)).astype(np.uint32)
    assert np.array_equal(s.uniform("post", 9, subset), full[subset])
    shuffled = rng.permutation(UIDS)
    assert np.array_equal(s.uniform("post", 9, shuffled), full[shuffled])
    assert np.array_equal(s.uniform("post", 9, UIDS[1234:1235]), full[1234:1235])
    # a fresh Streams object with the same keys gives the same draws
    assert np.array_equal(Streams(11, 2).uniform("post", 9, UIDS), full)


def test_keys_depend_on_every_part():
    base = Streams(1, 0).key("post", 0)
    others = {Streams(2, 0).key("post", 0), Streams(1, 1).key("post", 0),
              Streams(1, 0).key("post", 1), Streams(1, 0).key("leave", 0)}
    assert base not in others and len(others) == 4
    assert 0 <= base < 2**64


_CHILD = r"""
import json, sys
import numpy as np
from sim.engine.streams import Streams, purpose_key
s = Streams(20240601, 3)
print(json.dumps({
    "hash": hash("trait.activity"),
    "purpose_key": purpose_key("trait.activity"),
    "key": s.key("post", 41),
    "uniform": s.uniform("post", 41, np.arange(20, dtype=np.uint32)).tolist(),
    "generator": s.generator("arrivals", 41).random(5).tolist(),
}))
"""


def _here():
    s = Streams(20240601, 3)
    return {
        "purpose_key": purpose_key("trait.activity"),
        "key": s.key("post", 41),
        "uniform": s.uniform("post", 41, np.arange(20, dtype=np.uint32)).tolist(),
        "generator": s.generator("arrivals", 41).random(5).tolist(),
    }


def test_keys_and_draws_are_stable_across_processes_with_other_hash_seeds():
    here = _here()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True,
                             timeout=120, check=True)
        child = json.loads(out.stdout)
        if child.pop("hash") != hash("trait.activity"):  # str hashing really differs there
            break
    else:
        pytest.fail("could not start a process with another str hash seed")
    assert child == here


def test_purpose_key_is_blake2b_of_the_name():
    import hashlib
    expected = int.from_bytes(hashlib.blake2b(b"post", digest_size=8).digest(), "little")
    assert purpose_key("post") == expected
    assert purpose_key("post") != purpose_key("Post") != purpose_key("post ")


# -- numpy Generator streams ----------------------------------------------------------

def test_generators_are_reproducible_and_distinct():
    s = Streams(9, 1)
    a = s.generator("arrivals", 4).random(1000)
    assert np.array_equal(a, Streams(9, 1).generator("arrivals", 4).random(1000))
    for other in (s.generator("arrivals", 5), s.generator("lottery", 4),
                  Streams(9, 2).generator("arrivals", 4), Streams(10, 1).generator("arrivals", 4)):
        b = other.random(1000)
        assert not np.array_equal(a, b)
        assert corr_ok(a, b)
    # reproducible Poisson counts too (arrivals use them)
    assert s.generator("arrivals", 4).poisson(60, 50).tolist() == s.generator("arrivals", 4).poisson(60, 50).tolist()


def test_rekeyed_generator_gives_the_generator_draws_whatever_came_before():
    s = Streams(9, 1)
    first = s.rekeyed("trait.activity", 3).beta(1.2, 12, 500)
    assert np.array_equal(first, s.generator("trait.activity", 3).beta(1.2, 12, 500))
    s.rekeyed("trait.leave", 4).random(777)  # a partly used state must not leak into the next key
    assert np.array_equal(s.rekeyed("trait.activity", 3).beta(1.2, 12, 500), first)
    assert np.array_equal(s.rekeyed("trait.leave", 4).random(10), s.generator("trait.leave", 4).random(10))


def test_generator_output_is_uniform():
    g = Streams(9, 1).generator("arrivals", 4)
    assert stats.kstest(g.random(N), "uniform").pvalue > P_MIN


def test_generator_streams_of_neighbouring_days_are_independent():
    s = Streams(4, 0)
    first = np.array([s.generator("arrivals", t).random() for t in range(3000)])
    assert stats.kstest(first, "uniform").pvalue > P_MIN
    assert corr_ok(first[:-1], first[1:])


# -- StreamView -----------------------------------------------------------------------

def test_stream_view_prefixes_its_purpose():
    s = Streams(21, 4)
    v = s.view("strategy.messaging")
    assert isinstance(v, StreamView) and v.purpose == "strategy.messaging"
    uids = UIDS[:500]
    assert np.array_equal(v.uniform(3, uids), s.uniform("strategy.messaging", 3, uids))
    assert np.array_equal(v.uniform(3, uids, sub="pick"), s.uniform("strategy.messaging.pick", 3, uids))
    assert not np.array_equal(v.uniform(3, uids), s.uniform("messaging", 3, uids))
    assert not np.array_equal(v.uniform(3, uids, sub="pick"), v.uniform(3, uids))
    assert np.array_equal(v.generator(3).random(10), s.generator("strategy.messaging", 3).random(10))
    assert np.array_equal(v.generator(3, "pick").random(10), s.generator("strategy.messaging.pick", 3).random(10))
    assert not np.array_equal(v.generator(3).random(10), s.generator("post", 3).random(10))


# -- trait draws ----------------------------------------------------------------------

DISTS = {
    "beta": (_Dist(beta=(1.2, 12)), stats.beta(1.2, 12)),
    "beta_a1": (_Dist(beta=(1, 80)), stats.beta(1, 80)),  # sampled by its inverse CDF
    "gamma": (_Dist(gamma=(4, 0.75)), stats.gamma(4, scale=0.75)),
    "lognormal": (_Dist(lognormal=(-0.5, 0.5)), stats.lognorm(0.5, scale=np.exp(-0.5))),
}


@pytest.mark.parametrize("family", list(DISTS))
def test_trait_draws_are_per_uid_across_batches(family):
    dist, _ = DISTS[family]
    s = Streams(5, 0)
    end = 2 * BLOCK + 1000
    uids = np.arange(end, dtype=np.uint32)
    whole = draw_trait(s, "tolerance", dist, uids)
    assert whole.dtype == np.float64 and len(whole) == end
    # the same uids in several calls, in pieces that cut through blocks
    cuts = (0, 1, 1000, BLOCK + 30, 2 * BLOCK + 5, end)
    pieces = np.concatenate([draw_trait(s, "tolerance", dist, uids[a:b]) for a, b in zip(cuts, cuts[1:])])
    assert np.array_equal(pieces, whole)
    rng = np.random.default_rng(1)
    mixed = rng.permutation(uids)[:700]
    assert np.array_equal(draw_trait(s, "tolerance", dist, mixed), whole[mixed])
    # a far uid alone, and with a near one
    far = np.array([end - 1, 1_000_000], np.uint32)
    assert draw_trait(s, "tolerance", dist, far)[0] == whole[end - 1]
    # other trait, replication or seed: other values
    assert not np.array_equal(draw_trait(s, "social", dist, uids), whole)
    assert not np.array_equal(draw_trait(Streams(5, 1), "tolerance", dist, uids), whole)
    assert not np.array_equal(draw_trait(Streams(6, 0), "tolerance", dist, uids), whole)


@pytest.mark.parametrize("family", list(DISTS))
def test_trait_draws_follow_their_distribution(family):
    dist, ref = DISTS[family]
    x = draw_trait(Streams(8, 0), "activity", dist, UIDS)
    se = x.std() / np.sqrt(len(x))
    assert abs(x.mean() - dist.mean()) < 5 * se
    assert abs(dist.mean() - ref.mean()) < 1e-12  # _Dist.mean is the distribution's mean
    # KS p-values of 12 replications: uniform, and none extreme after Bonferroni
    p = [stats.kstest(draw_trait(Streams(8, r), "activity", dist, UIDS), ref.cdf).pvalue for r in range(12)]
    assert stats.kstest(p, "uniform").pvalue > P_MIN and min(p) > P_MIN / len(p)


def test_traits_of_one_member_are_independent():
    dist = _Dist(beta=(2, 2))
    s = Streams(8, 0)
    a = draw_trait(s, "activity", dist, UIDS)
    b = draw_trait(s, "leave", dist, UIDS)
    assert corr_ok(a, b)
    # neighbours inside a block and across a block boundary
    assert corr_ok(a[:-1], a[1:]) and corr_ok(a[:-BLOCK], a[BLOCK:])


def test_constant_trait_and_empty_batch():
    s = Streams(1, 0)
    assert np.array_equal(draw_trait(s, "social", _Dist(constant=1.5), UIDS[:10]), np.full(10, 1.5))
    for dist in (_Dist(constant=0.3), *(d for d, _ in DISTS.values())):
        out = draw_trait(s, "social", dist, np.zeros(0, np.uint32))
        assert out.shape == (0,)


def test_segments_follow_shares_and_are_per_uid():
    s = Streams(2, 0)
    shares = np.array([0.2, 0.3, 0.5])
    seg = draw_segments(s, shares, UIDS)
    assert seg.min() >= 0 and seg.max() <= 2
    counts = np.bincount(seg, minlength=3)
    assert stats.chisquare(counts, shares * N).pvalue > P_MIN
    assert np.array_equal(draw_segments(s, shares, UIDS[::7]), seg[::7])
    assert not draw_segments(s, np.array([1.0]), UIDS[:100]).any()
