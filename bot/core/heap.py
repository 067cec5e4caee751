"""Keep the cyclic garbage collector's full passes short, so no request stalls behind one.

A full collection walks every tracked object while holding the GIL, and CPython starts one
whenever the objects that survived since the last one exceed a quarter of the old ones.
Measured (#17.6, G13): a bot process holds ~250,000 long-lived objects after start-up; with
torch imported in-process (~800,000) each full pass took 100-270 ms on the 2-core machine,
the import set one off every second or so, and every dashboard request over 150 ms while
the model loaded coincided with one. (The model now runs in its own process,
:mod:`recommender.remote`; scikit-learn and scipy still load here.)

Objects that live as long as the process (modules, classes, start-up's wiring) are moved out
of the collector's sight with :func:`gc.freeze`: once after start-up (:func:`settle`) and
after a heavy import, during which automatic collection waits (:func:`quiet`). Full passes
then walk only what requests and jobs allocated since (a few ms).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_quiet = 0  # heavy imports under way
_was_enabled = True  # whether automatic collection ran before the first of them
_settled = False


def settle() -> None:
    """Collect once, then freeze what survived: start-up is done, before serving.

    Once per process: what is frozen is never collected, so a second start in the same
    process (tests run many apps) must not freeze the first one's leftovers again.
    """
    global _settled
    with _lock:
        if _settled:
            return
        _settled = True
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Hold automatic collection while a heavy import runs, then freeze what it built.

    Only around an import that really runs (once per process), for the same reason as
    :func:`settle`. Nested or overlapping uses (two imports in threads) resume collection
    after the last. No collection runs at the end (it would be the very pass this avoids):
    the few cycles that became garbage meanwhile stay allocated, once.
    """
    global _quiet, _was_enabled
    with _lock:
        if _quiet == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _quiet += 1
    try:
        yield
    finally:
        with _lock:
            _quiet -= 1
            if _quiet == 0:
                gc.freeze()
                if _was_enabled:
                    gc.enable()
