"""A sentence model whose process died is loaded again; TF-IDF answers meanwhile."""

from __future__ import annotations

import subprocess
import sys

from bot.core.clock import FixedClock
from bot.services.recommendations.model import Model
from config.settings import RecommenderSettings
from recommender import TfidfEncoder
from recommender.remote import RemoteEncoder
from tests.conftest import START


async def test_a_model_whose_process_died_is_loaded_again_with_tfidf_meanwhile() -> None:
    # A stand-in for the model process (RemoteEncoder holds a Popen, as remote.start makes).
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],  # noqa: ASYNC220
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    remote = RemoteEncoder(child, "minilm@test", 384)
    reloaded = TfidfEncoder()
    loads: list[int] = []

    def loader() -> TfidfEncoder:
        loads.append(1)
        return reloaded

    model = Model(FixedClock(START), RecommenderSettings(), loader=loader)
    model.install(remote)
    assert remote.alive and model.current() is remote
    child.kill()
    child.wait(10)
    assert not remote.alive
    meanwhile = model.current()
    assert meanwhile is model.tfidf() and meanwhile is not reloaded
    assert child.stdin is not None and child.stdin.closed  # the dead one was let go
    assert await model.ready() is reloaded
    assert loads == [1]
    assert model.current() is reloaded
    await model.aclose()
