"""The sentence encoder's life: loaded in its own process after start-up, TF-IDF until then.

The bot answers commands before the model is ready; the fallback is logged once. The model
runs in a child process (:mod:`recommender.remote`): importing torch in the bot's process
stalled every request while it loaded (G13). The recommender library (scikit-learn, scipy),
which ranking needs here, is imported in a thread on first use.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core import heap
from bot.core.clock import Clock
from config.settings import RecommenderSettings

if TYPE_CHECKING:
    from recommender import Encoder, LoadedEncoder

logger = logging.getLogger(__name__)

EncoderLoader = Callable[[], "Encoder"]
STEADY = timedelta(minutes=10)  # a model that lived this long died by accident, not by habit
FIRST_WAIT = timedelta(minutes=1)  # before loading a model again after its second quick death
LONGEST_WAIT = timedelta(hours=1)


class Model:
    """The encoder rankings use now, and its background load."""

    def __init__(self, clock: Clock, settings: RecommenderSettings,
                 loader: EncoderLoader | None = None) -> None:
        self._clock = clock
        self._settings = settings
        self._loader = loader
        self._fallback: Encoder | None = None
        self._imported = False
        self._encoder: Encoder | None = None
        self._loading: asyncio.Task[None] | None = None
        self._preload: asyncio.Task[None] | None = None
        self._said_fallback = False
        self._loaded_at: datetime | None = None
        self._quick_deaths = 0  # deaths in a row, each within STEADY of its load
        self._retry_at: datetime | None = None

    @property
    def wanted(self) -> bool:
        """Whether a sentence model is configured (else TF-IDF only)."""
        return self._settings.backend != "tfidf" or self._loader is not None

    @property
    def loaded(self) -> Encoder | None:
        """The sentence model (or its failed-load fallback) once in place."""
        return self._encoder

    def current(self) -> Encoder:
        """The model once loaded, TF-IDF until then (starting the load if wanted).

        A model whose process has ended is loaded again (TF-IDF meanwhile), so one crash of
        that process costs a few minutes of plainer suggestions, not every one until a
        restart of the bot. One that keeps dying soon after its load (out of memory, say)
        is loaded again after a wait that doubles each time, up to an hour: a reload costs
        the machine seconds of CPU and memory that the bot's members feel.
        """
        if self._encoder is not None:
            if getattr(self._encoder, "alive", True):
                return self._encoder
            self._died()
            return self.tfidf()
        if self.wanted:
            self.warm_up()
            if not self._said_fallback:
                self._said_fallback = True
                logger.info("recommendations use TF-IDF until the sentence model %s is loaded",
                            self._settings.model)
        return self.tfidf()

    def _died(self) -> None:
        """Let the dead model go and plan its reload."""
        now = self._clock.now()
        quick = self._loaded_at is not None and now - self._loaded_at < STEADY
        self._quick_deaths = self._quick_deaths + 1 if quick else 1
        wait = (timedelta(0) if self._quick_deaths == 1 else
                min(FIRST_WAIT * 2 ** (self._quick_deaths - 2), LONGEST_WAIT))
        self._retry_at = now + wait
        logger.warning("the sentence model's process ended; loading it again in %.0f s "
                       "(TF-IDF until it is back)", wait.total_seconds())
        _close(self._encoder)
        self._encoder, self._loading, self._said_fallback = None, None, True
        self.warm_up()

    def tfidf(self) -> Encoder:
        """Plain hashed term frequencies: a stable name, so vectors stay comparable."""
        if self._fallback is None:
            from recommender import TfidfEncoder

            self._fallback = TfidfEncoder()
        return self._fallback

    async def library(self) -> None:
        """Import the recommender (scikit-learn, scipy: ~2 s) in a thread, once."""
        if not self._imported:
            if "recommender" not in sys.modules:  # the process's first import: seconds
                with heap.quiet():  # no full GC passes over the import's objects (G13)
                    await asyncio.to_thread(importlib.import_module, "recommender")
            self._imported = True

    def install(self, encoder: Encoder) -> None:
        """Use an already loaded encoder (tests, the evaluation command)."""
        self._encoder = encoder

    def start(self) -> None:
        """Begin loading the model ``preload_seconds`` after start-up, off the connect path."""
        if not self.wanted or self._preload is not None or self._encoder is not None:
            return

        async def later() -> None:
            await asyncio.sleep(self._settings.preload_seconds)
            self.warm_up()

        self._preload = asyncio.create_task(later(), name="recommendations.preload")

    def warm_up(self) -> None:
        """Start loading the model (its own process) if that has not started (never blocks)."""
        if self._loading is not None or self._encoder is not None or not self.wanted:
            return
        if self._retry_at is not None and self._clock.now() < self._retry_at:
            return  # a model that keeps dying waits before its next load
        self._loading = asyncio.create_task(self._load(), name="recommendations.load")

    async def ready(self) -> Encoder:
        """Wait until the model is loaded (or has fallen back) and return the encoder."""
        self.warm_up()
        if self._loading is not None:
            await asyncio.shield(self._loading)
        return self.current()

    async def _load(self) -> None:
        started = self._clock.now()
        await self.library()
        if self._loader is not None:  # an in-process loader (tests, tools)
            encoder = await asyncio.to_thread(self._loader)
        else:
            # The model lives in a child process: importing torch here stalled every
            # request by up to 400 ms while it loaded, even from a thread (G13).
            from recommender.remote import start

            job = asyncio.ensure_future(asyncio.to_thread(
                start, self._settings.model, batch_size=self._settings.batch_size))
            try:
                loaded = await asyncio.shield(job)
            except asyncio.CancelledError:  # stopped while loading: end the child once up
                job.add_done_callback(_close_unused)
                raise
            encoder = loaded.encoder  # start() logged any fallback once
        self._encoder, self._loaded_at = encoder, self._clock.now()
        logger.info("recommendation encoder %s ready after %.1fs", encoder.name,
                    (self._clock.now() - started).total_seconds())

    async def aclose(self) -> None:
        """Stop the pending preload or load, and the model's process if it runs."""
        for task in (self._preload, self._loading):
            if task is not None and not task.done():
                task.cancel()
        _close(self._encoder)


def _close(encoder: object) -> None:
    """End a model's process (a :class:`recommender.remote.RemoteEncoder`); others: nothing."""
    close = getattr(encoder, "close", None)
    if callable(close):
        close()


def _close_unused(job: asyncio.Future[LoadedEncoder]) -> None:
    if not job.cancelled() and job.exception() is None:
        _close(job.result().encoder)
