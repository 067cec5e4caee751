"""Long-lived objects leave the collector's full passes; heavy imports run without them (G13)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.core import heap


class Node:
    """A container that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()  # the frozen objects go back to the oldest generation
    if enabled:
        gc.enable()
    else:
        gc.disable()


def walked(obj: object) -> bool:
    """Whether a collection pass of any generation would walk ``obj``."""
    return any(o is obj for generation in range(3) for o in gc.get_objects(generation))


def test_quiet_holds_collection_and_freezes_what_the_import_built() -> None:
    gc.enable()
    with heap.quiet():
        assert not gc.isenabled()
        built = [Node() for _ in range(100)]
    assert gc.isenabled()
    assert not walked(built) and not walked(built[0])
    assert gc.get_freeze_count() >= len(built)


def test_overlapping_imports_resume_collection_after_the_last() -> None:
    gc.enable()
    first, second = heap.quiet(), heap.quiet()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second import still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_collection_turned_off_before_stays_off() -> None:
    gc.disable()
    with heap.quiet():
        pass
    assert not gc.isenabled()


def test_quiet_resumes_collection_when_the_import_fails() -> None:
    gc.enable()
    with pytest.raises(ImportError), heap.quiet():
        raise ImportError("no torch")
    assert gc.isenabled()


def test_settle_collects_garbage_cycles_then_freezes_the_survivors(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_settled", False)  # as in a process that has not started yet
    kept = Node()
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    heap.settle()
    assert gone() is None  # the cycle was collected, not frozen
    assert not walked(kept)


def test_settle_freezes_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_settled", False)
    heap.settle()
    later = Node()  # a second app started in the same process (tests)
    heap.settle()
    assert walked(later)  # still collectable once it is dropped
