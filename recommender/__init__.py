"""Cohort's recommender: a pure library. Vectors and plain values in, rankings out."""

from recommender.batch_results import Rankings
from recommender.catalog import Catalog, Item, UnknownItemError
from recommender.collaborative import CoAttendance, Interaction
from recommender.encoders import (
    Encoder,
    LoadedEncoder,
    TfidfEncoder,
    embed_with_cache,
    load_encoder,
    text_hash,
)
from recommender.hybrid import RankingWeights, Recommender
from recommender.profiles import MemberProfile
from recommender.reasons import Reason, ReasonKind, Recommendation
from recommender.sentence_encoder import (
    BUNDLED_MODEL_SHA256,
    ModelIntegrityError,
    SentenceTransformerEncoder,
)
from recommender.signals import ItemSignal, MemberSignals, MessageSignal, SignalKind, SignalWeights

__all__ = [
    "BUNDLED_MODEL_SHA256",
    "Catalog",
    "CoAttendance",
    "Encoder",
    "Interaction",
    "Item",
    "ItemSignal",
    "LoadedEncoder",
    "MemberProfile",
    "MemberSignals",
    "MessageSignal",
    "ModelIntegrityError",
    "RankingWeights",
    "Rankings",
    "Reason",
    "ReasonKind",
    "Recommendation",
    "Recommender",
    "SentenceTransformerEncoder",
    "SignalKind",
    "SignalWeights",
    "TfidfEncoder",
    "UnknownItemError",
    "embed_with_cache",
    "load_encoder",
    "text_hash",
]
