"""Member trait distributions, declared in scenario files and drawn per member.

A distribution is written as one of::

    {beta: [a, b]}          # values in (0, 1); mean a / (a + b)
    {gamma: [shape, scale]} # values > 0; mean shape * scale
    {lognormal: [mu, sigma]}# values > 0; median exp(mu)
    {constant: x}           # or just the number x

Members may come in named segments (``members.segments``), each with a share of the
arrivals and its own distributions for any trait; a trait a segment does not name uses
the population-wide distribution. This is the mixture of the architecture.

Determinism: member ``uid``'s value of trait ``T`` is position ``uid % 8192`` of a block
of 8192 draws from a generator keyed by (seed, replication, "trait.T", uid // 8192).
It therefore depends on nothing but those keys and the distribution, so two scenarios
with the same member distributions give every member the same traits (common random
numbers), and vectorised numpy samplers keep start-up fast at 10^6 members.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from .streams import Streams

BLOCK = 8192  # big enough that 10^6 members take 122 blocks; arrivals reuse the cached one


def _number_is_constant(v):
    return {"constant": v} if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class Distribution(BaseModel):
    """One trait distribution as a scenario file writes it (see the module docstring)."""
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    beta: tuple[float, float] | None = None
    gamma: tuple[float, float] | None = None
    lognormal: tuple[float, float] | None = None
    constant: float | None = None

    @model_validator(mode="after")
    def _one_family(self):
        given = [k for k in ("beta", "gamma", "lognormal", "constant") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a distribution names exactly one of beta: [a, b], gamma: [shape, scale], "
                f"lognormal: [mu, sigma], constant: x (got {given or 'none'})"
            )
        params = getattr(self, given[0])
        if not np.all(np.isfinite(params)):
            raise ValueError(f"{given[0]} parameters must be finite numbers (got {params})")
        if self.beta is not None and not all(0 < x <= 1e4 for x in self.beta):
            raise ValueError(f"beta parameters [a, b] must both be > 0 and <= 10000 (got {list(self.beta)})")
        if self.gamma is not None and not all(0 < x <= 1e4 for x in self.gamma):
            raise ValueError(f"gamma parameters [shape, scale] must both be > 0 and <= 10000 (got {list(self.gamma)})")
        if self.lognormal is not None and not (-20 <= self.lognormal[0] <= 20 and 0 <= self.lognormal[1] <= 3):
            raise ValueError(f"lognormal [mu, sigma] needs -20 <= mu <= 20 and 0 <= sigma <= 3 "
                             f"(got {list(self.lognormal)})")
        if self.constant is not None and not -1e6 <= self.constant <= 1e6:
            raise ValueError(f"a constant must be within ±1,000,000 (got {self.constant})")
        return self

    @property
    def family(self) -> str:
        return next(k for k in ("beta", "gamma", "lognormal", "constant") if getattr(self, k) is not None)

    def mean(self) -> float:
        f = self.family
        if f == "beta":
            a, b = self.beta
            return a / (a + b)
        if f == "gamma":
            return self.gamma[0] * self.gamma[1]
        if f == "lognormal":
            mu, s = self.lognormal
            return float(np.exp(mu + s * s / 2))
        return self.constant

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        f = self.family
        if f == "beta":
            a, b = self.beta
            if a == 1:  # exact inverse transform, 5x faster than rng.beta: F(x) = 1 - (1 - x)^b
                return -np.expm1(np.log1p(-rng.random(size)) / b)
            return rng.beta(a, b, size=size)
        if f == "gamma":
            return rng.gamma(self.gamma[0], self.gamma[1], size=size)
        if f == "lognormal":
            return rng.lognormal(*self.lognormal, size=size)
        return np.full(size, self.constant)


Dist = Annotated[Distribution, BeforeValidator(_number_is_constant)]  # a field type: a number is a constant


@dataclass(frozen=True)
class Trait:
    """A member trait: drawn once per member at arrival from the scenario's distribution.

    ``used_by`` names the member-rule mechanism (a field of ``behavior:``) that reads
    it; while that mechanism is switched off the trait is not drawn. None: always drawn.
    """
    name: str
    kind: Literal["probability", "positive"]
    meaning: str
    default: dict
    used_by: str | None = None


TRAITS: dict[str, Trait] = {}


def declare_trait(trait: Trait) -> Trait:
    """Add a trait: scenario files (``members:`` and every segment) accept it from now on."""
    if trait.name in TRAITS and TRAITS[trait.name] != trait:
        raise ValueError(f"trait '{trait.name}' is declared twice, differently")
    TRAITS[trait.name] = trait
    return trait


# Every trait a member carries. Probabilities are per day unless said otherwise.
# Participation is unequal in every measured community: most members never post and a
# few write most messages (van Mierlo 2014: lurkers / contributors / superusers wrote about
# 1.3% / 24% / 75% of content; Caetano et al. 2018: a Zipf-like profile of messages per
# member in WhatsApp groups). Two traits carry it: ``activity`` (how often a member posts;
# beta with a small first parameter puts most members near zero; mean 0.035 a day) and
# ``verbosity`` (how many messages when she does; lognormal, median one message, heavy
# tail). Both are stylized after those two studies, chosen on the calibration seeds of
# docs/calibration.md so that ``scenarios/baseline.yaml`` over 90 days shows what every
# measured community shows: about 30% ever post, the top 1% write about 40% of members'
# messages and the top 10% about 85-90%.
for _trait in (
    Trait("activity", "probability", "daily probability of posting when the group is at its reference liveliness",
          {"beta": [0.08, 2.2]}),
    Trait("verbosity", "positive", "messages a member writes on a day she posts, on average (at least 1)",
          {"lognormal": [0, 1.5]}),
    Trait("leave", "probability", "daily probability of quitting the group (退群) before fatigue and trust",
          {"beta": [1.0, 80]}, used_by="leaving"),
    Trait("lapse", "probability", "daily probability of going silent (zombie member) at reference "
          "liveliness", {"beta": [1.0, 20]}, used_by="lapse"),
    Trait("wake", "probability", "daily probability that a silent (lapsed) member starts reading again",
          {"beta": [1.0, 199]}, used_by="dormancy"),
    Trait("purchase", "probability", "probability of buying on a day the member sees a product push",
          {"beta": [1.0, 1000]}, used_by="purchase"),
    Trait("tolerance", "positive", "operator messages a day the member takes before annoyance builds",
          {"gamma": [4, 0.75]}, used_by="fatigue"),
    Trait("social", "positive", "susceptibility to social proof: multiplier on the liveliness terms",
          {"constant": 1.0}, used_by="contagion"),
):
    declare_trait(_trait)
BUILT_IN_TRAITS = tuple(TRAITS)

# Plain-value traits stored as the member rules use them: (column, transform, value of a
# member whose trait was not drawn, inverse transform). Verbosity v is kept as ln(1 - 1/v), the
# log of the geometric ratio of extra messages (``sim.engine.rules``), -inf at v <= 1: one message.
STORED_AS = {"verbosity": ("message_ln_q", lambda v: np.log(1 - 1 / np.maximum(v, 1)), -np.inf,
                           lambda q: 1 / -np.expm1(q))}


def stored(trait: str, values: np.ndarray) -> tuple[str, np.ndarray]:
    """(column, float32 values) a plain-value trait is kept in."""
    column, transform, _, _ = STORED_AS.get(trait, (trait, None, 0.0, None))
    if transform is not None:
        with np.errstate(divide="ignore"):
            values = transform(values)
    return column, values.astype(np.float32)


def kept_value(trait: str, column: np.ndarray, as_odds: bool) -> np.ndarray:
    """A trait's value back from the column it is kept in: odds p/(1-p) of a choice's trait
    (``as_odds``), or a plain value (verbosity: at least 1, the values below 1 all kept as 1)."""
    x = np.asarray(column, np.float64)
    if as_odds:
        return x / (1 + x)
    inverse = STORED_AS.get(trait, (None, None, None, None))[3]
    if inverse is None:
        return x
    with np.errstate(divide="ignore"):
        return inverse(x)


def check_range(trait: str, dist: "Distribution") -> None:
    """Probabilities need beta or a constant in [0, 1]; positives need gamma, lognormal or a constant >= 0."""
    info = TRAITS[trait]
    if info.kind == "probability":
        if dist.family in ("gamma", "lognormal"):
            raise ValueError(f"'{trait}' is a probability: use beta: [a, b] or a constant in [0, 1]")
        if dist.family == "constant" and not 0 <= dist.constant <= 1:
            raise ValueError(f"'{trait}' is a probability: the constant must be in [0, 1]")
    elif dist.family == "beta" or (dist.family == "constant" and dist.constant < 0):
        raise ValueError(f"'{trait}' is a positive quantity: use gamma, lognormal or a constant >= 0")


class TraitDraws:
    """Per-uid trait values from one replication's streams (see the module docstring).
    Keeps the last blocks drawn, since a day's few arrivals share yesterday's block."""

    def __init__(self, streams: Streams, keep: int = 64):
        self.streams = streams
        self.keep = keep
        self._blocks: dict[tuple, np.ndarray] = {}

    def draw(self, trait: str, dist: Distribution, uids: np.ndarray) -> np.ndarray:
        """Values of one trait for the given uids (float64)."""
        if dist.family == "constant":
            return np.full(len(uids), dist.constant)
        if len(uids) == 0:
            return np.zeros(0)
        blocks = (uids // BLOCK).astype(np.int64)  # signed, so a step back shows in np.diff
        step = np.diff(blocks)
        if (step >= 0).all():  # arrivals come in uid order: no sort needed
            needed = blocks[np.concatenate([[0], np.flatnonzero(step) + 1])]
        else:
            needed = np.unique(blocks)
        values = np.concatenate([self._block(trait, dist, int(b)) for b in needed])
        first = int(uids[0]) - int(needed[0]) * BLOCK
        if int(uids[-1]) - int(uids[0]) == len(uids) - 1 and (np.diff(uids) == 1).all():
            return values[first: first + len(uids)]  # consecutive uids (initial members): a slice
        return values[np.searchsorted(needed, blocks) * BLOCK + uids % BLOCK]

    def _block(self, trait: str, dist: Distribution, block: int) -> np.ndarray:
        key = (trait, dist, block)
        values = self._blocks.get(key)
        if values is None:
            values = dist.sample(self.streams.rekeyed(f"trait.{trait}", block), BLOCK)
            if self.keep:
                if len(self._blocks) >= self.keep:
                    self._blocks.pop(next(iter(self._blocks)))
                self._blocks[key] = values
        return values


def draw_trait(streams: Streams, trait: str, dist: Distribution, uids: np.ndarray) -> np.ndarray:
    """Values of one trait for the given uids (float64), per-uid deterministic."""
    return TraitDraws(streams, keep=0).draw(trait, dist, uids)


def draw_segments(streams: Streams, shares: np.ndarray, uids: np.ndarray) -> np.ndarray:
    """Segment index of each uid, by its own uniform against the cumulative shares."""
    if len(shares) == 1:
        return np.zeros(len(uids), np.int8)
    u = streams.uniform("trait.segment", 0, uids)
    cum = np.cumsum(shares)
    cum /= cum[-1]  # shares within rounding of 1: a last segment of share 0 stays empty
    return np.searchsorted(cum, u, side="right").astype(np.int8)


# -- homophily: a trait drawn like someone else's (invitees of Day.refer) -------------------
# A Gaussian copula: the invitee's normal score is z = rho·z_like + sqrt(1 - rho²)·z_own, mapped
# back through her own distribution's quantile, so, for inviters whose scores are standard
# normal, an invitee's distribution is the scenario's whatever rho is (inviters are the present,
# engaged members, so invitees drift toward them, as friends do), and the Spearman correlation with the one she resembles is
# (6/π)·asin(rho/2), about rho (0.98·rho at most). Every family has a cheap CDF and quantile
# (scipy.special), so all four take part; a constant has none to share (its value is fixed).

def cdf(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """P(X <= x) under ``dist`` (0.5 for a constant or a point mass: the median score)."""
    from scipy import special  # the special functions only: scipy.stats costs ~40 MB

    x = np.asarray(x, dtype=float)
    f = dist.family
    if f == "beta":
        return special.betainc(*dist.beta, np.clip(x, 0, 1))
    if f == "gamma":
        return special.gammainc(dist.gamma[0], np.maximum(x, 0) / dist.gamma[1])
    if f == "lognormal" and dist.lognormal[1] > 0:
        mu, s = dist.lognormal
        with np.errstate(divide="ignore"):
            return special.ndtr((np.log(np.maximum(x, 0)) - mu) / s)
    return np.full(len(x), 0.5)


def quantile(dist: Distribution, u: np.ndarray) -> np.ndarray:
    """The value of ``dist`` at probability ``u`` (the inverse of ``cdf``)."""
    from scipy import special

    u = np.asarray(u, dtype=float)
    f = dist.family
    if f == "beta":
        return special.betaincinv(*dist.beta, u)
    if f == "gamma":
        return special.gammaincinv(dist.gamma[0], u) * dist.gamma[1]
    if f == "lognormal":
        mu, s = dist.lognormal
        return np.exp(mu + s * special.ndtri(u))
    return np.full(len(u), dist.constant)


def normal_score(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """The standard normal score of values of ``dist`` (0 for a constant)."""
    from scipy import special

    u = np.clip(cdf(dist, x), 1e-12, 1 - 1e-12)  # keep the score finite at the tails
    return special.ndtri(u)


def resembling(dist: Distribution, like: np.ndarray, own: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """(values, normal scores) of members who resemble others of normal scores ``like``
    with strength ``rho``, from their own uniforms ``own`` (the Gaussian copula above)."""
    from scipy import special

    z = rho * like + np.sqrt(1 - rho * rho) * special.ndtri(own)
    return quantile(dist, np.clip(special.ndtr(z), 1e-12, 1 - 1e-12)), z  # no infinite value in a tail
