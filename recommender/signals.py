"""What a member did, as plain values: the input to a profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SignalKind(StrEnum):
    """How a member touched a session."""

    ATTENDED = "attended"
    RSVPED = "rsvped"
    RATED = "rated"
    LIKED = "liked"  # 👍 on a recommendation
    DISLIKED = "disliked"  # 👎 on a recommendation
    DECLINED = "declined"  # answered "not going"


# Never recommend a session the member already holds, refused or thumbed down.
EXCLUDING_KINDS = frozenset(
    {SignalKind.ATTENDED, SignalKind.RSVPED, SignalKind.DISLIKED, SignalKind.DECLINED}
)


@dataclass(frozen=True, slots=True)
class ItemSignal:
    """One member action on one session; `rating` is on a 1-5 scale for `RATED`."""

    item_id: int
    kind: SignalKind
    at: datetime
    rating: float | None = None


@dataclass(frozen=True, slots=True)
class MessageSignal:
    """A recent message text of the member (held only where the community stores text)."""

    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class MemberSignals:
    """Everything the recommender may know about one member."""

    member_id: int
    interests: tuple[str, ...] = ()
    messages: tuple[MessageSignal, ...] = ()
    items: tuple[ItemSignal, ...] = ()


@dataclass(frozen=True, slots=True)
class SignalWeights:
    """How much each signal pulls a profile, and how fast item and message signals fade."""

    attended: float = 1.0
    rsvped: float = 0.8
    rated: float = 1.0
    liked: float = 1.2
    disliked: float = -1.0
    declined: float = -0.3
    interest: float = 1.0
    message: float = 0.3
    half_life_days: float = 120.0

    def of(self, signal: ItemSignal, now: datetime) -> float:
        """Decayed weight of an item signal; ratings map 1..5 onto -0.6..+1."""
        base = {
            SignalKind.ATTENDED: self.attended,
            SignalKind.RSVPED: self.rsvped,
            SignalKind.RATED: self.rated,
            SignalKind.LIKED: self.liked,
            SignalKind.DISLIKED: self.disliked,
            SignalKind.DECLINED: self.declined,
        }[signal.kind]
        if signal.kind is SignalKind.RATED:
            base *= ((signal.rating if signal.rating is not None else 3.0) - 2.5) / 2.5
        return base * self.decay(signal.at, now)

    def decay(self, at: datetime, now: datetime) -> float:
        """Halves every `half_life_days`; future-dated signals (RSVPs) count in full."""
        age_days = max(0.0, (now - at).total_seconds() / 86400.0)
        return float(0.5 ** (age_days / self.half_life_days))
