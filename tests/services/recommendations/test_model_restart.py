"""A sentence model whose process died is loaded again; TF-IDF answers meanwhile."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

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


class Mortal(TfidfEncoder):
    """An encoder whose process can be declared dead (as RemoteEncoder.alive reports)."""

    alive = True


async def test_a_model_that_keeps_dying_soon_after_loading_waits_longer_each_time() -> None:
    clock = FixedClock(START)
    made: list[Mortal] = []

    def loader() -> Mortal:
        made.append(Mortal())
        return made[-1]

    model = Model(clock, RecommenderSettings(), loader=loader)
    assert await model.ready() is made[0]
    made[0].alive = False  # the first death: loaded again at once
    assert model.current() is model.tfidf()
    assert await model.ready() is made[1]

    clock.advance(timedelta(minutes=1))
    made[1].alive = False  # died a minute after its load: wait a minute
    assert model.current() is model.tfidf()
    clock.advance(timedelta(seconds=59))
    assert await model.ready() is model.tfidf() and len(made) == 2
    clock.advance(timedelta(seconds=2))
    assert await model.ready() is made[2]

    made[2].alive = False  # again at once after its load: two minutes
    assert model.current() is model.tfidf()
    clock.advance(timedelta(seconds=119))
    assert await model.ready() is model.tfidf() and len(made) == 3
    clock.advance(timedelta(seconds=2))
    assert await model.ready() is made[3]

    clock.advance(timedelta(minutes=11))  # this one lived: its death is an accident
    made[3].alive = False
    assert model.current() is model.tfidf()
    assert await model.ready() is made[4]
    await model.aclose()
