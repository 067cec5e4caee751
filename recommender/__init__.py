"""Cohort's recommender: a pure library. Vectors and plain values in, rankings out.

Names load on first use (PEP 562): the bot imports ``recommender.segments`` and friends at
start, and importing everything here would bring scikit-learn and SciPy into every bot and
CLI process before it needs them (a second of a start's four).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, as the type checker sees them (aliases re-export)
    from recommender.batch_results import Rankings as Rankings
    from recommender.catalog import Catalog as Catalog
    from recommender.catalog import Item as Item
    from recommender.catalog import UnknownItemError as UnknownItemError
    from recommender.collaborative import CoAttendance as CoAttendance
    from recommender.collaborative import Interaction as Interaction
    from recommender.encoders import Encoder as Encoder
    from recommender.encoders import LoadedEncoder as LoadedEncoder
    from recommender.encoders import TfidfEncoder as TfidfEncoder
    from recommender.encoders import embed_with_cache as embed_with_cache
    from recommender.encoders import load_encoder as load_encoder
    from recommender.encoders import text_hash as text_hash
    from recommender.hybrid import RankingWeights as RankingWeights
    from recommender.hybrid import Recommender as Recommender
    from recommender.profiles import MemberProfile as MemberProfile
    from recommender.reasons import Reason as Reason
    from recommender.reasons import ReasonKind as ReasonKind
    from recommender.reasons import Recommendation as Recommendation
    from recommender.sentence_encoder import BUNDLED_MODEL_SHA256 as BUNDLED_MODEL_SHA256
    from recommender.sentence_encoder import ModelIntegrityError as ModelIntegrityError
    from recommender.sentence_encoder import (
        SentenceTransformerEncoder as SentenceTransformerEncoder,
    )
    from recommender.signals import ItemSignal as ItemSignal
    from recommender.signals import MemberSignals as MemberSignals
    from recommender.signals import MessageSignal as MessageSignal
    from recommender.signals import SignalKind as SignalKind
    from recommender.signals import SignalWeights as SignalWeights

_HOMES = {
    "batch_results": ("Rankings",),
    "catalog": ("Catalog", "Item", "UnknownItemError"),
    "collaborative": ("CoAttendance", "Interaction"),
    "encoders": ("Encoder", "LoadedEncoder", "TfidfEncoder", "embed_with_cache",
                 "load_encoder", "text_hash"),
    "hybrid": ("RankingWeights", "Recommender"),
    "profiles": ("MemberProfile",),
    "reasons": ("Reason", "ReasonKind", "Recommendation"),
    "sentence_encoder": ("BUNDLED_MODEL_SHA256", "ModelIntegrityError",
                         "SentenceTransformerEncoder"),
    "signals": ("ItemSignal", "MemberSignals", "MessageSignal", "SignalKind", "SignalWeights"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME_OF, key=str.lower)


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'recommender' has no attribute {name!r}")
    value = getattr(import_module(f"recommender.{module}"), name)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value
