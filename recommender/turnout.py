"""Predicted turnout: each member's show-up rate, shrunk to the community's (Beta-Binomial).

A member who said "going" to ``n`` past events and attended ``k`` of them has a show-up
rate drawn from a community prior ``Beta(a, b)``; ``a`` and ``b`` are fitted by maximum
marginal likelihood over all members' ``(k, n)`` (empirical Bayes). The posterior mean
``(k + a) / (n + a + b)`` is the member's calibrated probability of coming: a newcomer gets
the community mean, a member with a long record gets close to their own rate. An event's
turnout is a sum of independent Bernoullis (Poisson-binomial): its mean is the sum of the
probabilities, and its interval comes from the exact distribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MIN_HISTORY = 5  # past RSVP-going answers in the whole community before predicting


class NotEnoughHistory(ValueError):
    """Too few past events with RSVPs to learn how often members come."""


@dataclass(frozen=True, slots=True)
class Record:
    """A member's past: RSVP'd going ``said`` times, came ``came`` times."""

    member_id: int
    said: int
    came: int


@dataclass(frozen=True, slots=True)
class ShowUpModel:
    """The fitted prior and every known member's record."""

    a: float
    b: float
    records: Mapping[int, Record]

    @property
    def community_rate(self) -> float:
        """The prior mean: the show-up rate of a member with no history."""
        return self.a / (self.a + self.b)

    @property
    def strength(self) -> float:
        """How many past events the prior is worth."""
        return self.a + self.b

    def rate(self, member_id: int) -> float:
        """The posterior mean show-up probability of one member."""
        record = self.records.get(member_id)
        if record is None:
            return self.community_rate
        return (record.came + self.a) / (record.said + self.a + self.b)

    def predict(self, going: Sequence[int], maybe: Sequence[int] = (),
                maybe_weight: float = 0.0) -> Turnout:
        """Expected turnout of the members going (and, weighted, of those who said maybe)."""
        probs = [self.rate(m) for m in going]
        probs += [self.rate(m) * maybe_weight for m in maybe]
        return Turnout.of(probs)


@dataclass(frozen=True, slots=True)
class Turnout:
    """Expected attendance and an 80% interval."""

    expected: float
    low: int
    high: int
    members: int

    @classmethod
    def of(cls, probs: Sequence[float]) -> Turnout:
        """From each member's probability of coming (the Poisson-binomial distribution)."""
        dist = np.zeros(len(probs) + 1)
        dist[0] = 1.0
        for p in probs:
            dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
            dist[0] *= 1 - p
        cdf = np.cumsum(dist)
        low = int(np.searchsorted(cdf, 0.1 - 1e-12))
        high = int(np.searchsorted(cdf, 0.9 - 1e-12))
        return cls(float(sum(probs)), low, min(high, len(probs)), len(probs))


def fit(records: Sequence[Record], *, min_history: int = MIN_HISTORY) -> ShowUpModel:
    """Fit the community prior by maximum marginal likelihood (Beta-Binomial)."""
    useful = [r for r in records if r.said > 0]
    total = sum(r.said for r in useful)
    if total < min_history:
        raise NotEnoughHistory(f"predictions need at least {min_history} past RSVPs of ended "
                               f"events; there are {total}")
    # SciPy is imported by the first fit, not by every bot start (as in segments.py).
    from scipy.optimize import minimize
    from scipy.special import betaln

    k = np.asarray([r.came for r in useful], dtype=np.float64)
    n = np.asarray([r.said for r in useful], dtype=np.float64)
    pooled = float(np.clip(k.sum() / n.sum(), 0.02, 0.98))

    def nll(params: np.ndarray) -> float:
        a, b = np.exp(params)
        return float(-(betaln(k + a, n - k + b) - betaln(a, b)).sum())

    # Start from the pooled rate with the strength of ten events; bound the strength so a
    # community where everyone behaves alike cannot make the prior infinitely sure.
    start = np.log([pooled * 10, (1 - pooled) * 10])
    result = minimize(nll, start, method="L-BFGS-B", bounds=[(-4.0, 7.0), (-4.0, 7.0)])
    a, b = (float(x) for x in np.exp(result.x))
    return ShowUpModel(a, b, {r.member_id: r for r in records})
