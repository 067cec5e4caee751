"""Fixtures for challenges: the wired app with a real sandbox (no start-up self-check, to
keep the suite fast; the self-check has its own tests), helpers to build tests files."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import pytest

from bot.app import App, build, prepare, running
from bot.core.clock import FixedClock
from bot.core.model import Attachment
from bot.sandbox import SandboxConfig
from bot.services.challenges import JudgeGate
from config.settings import Settings
from storage import Database, Unit
from tests.harness import Chat
from tests.sandbox.conftest import require_bwrap

SUM_TESTS = [
    {"input": "1 2\n", "output": "3\n", "public": True},
    {"input": "40 2\n", "output": "42\n"},
    {"input": "-5 5\n", "output": "0\n"},
]
SUM_OK = "print(sum(map(int, input().split())))"
# Slot uids apart from the sandbox suite's (61000+), whose after-run sweep of its slot uid
# would kill this suite's runs when both suites run at the same time on one host.
CHALLENGE_UID = 61500


def json_tests(tests: Sequence[dict[str, object]] = SUM_TESTS, name: str = "tests.json"
               ) -> Attachment:
    return Attachment(name, json.dumps(tests).encode(), "application/json")


def zip_tests(files: dict[str, bytes], name: str = "tests.zip") -> Attachment:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, data in files.items():
            archive.writestr(entry, data)
    return Attachment(name, buffer.getvalue(), "application/zip")


def code_block(source: str) -> str:
    return f"```python\n{source}\n```"


@dataclass
class RecordingAwarder:
    """Stands in for the points ledger: idempotent per key, remembers every award."""

    awards: list[tuple[int, int, str, str]] = field(default_factory=list)

    async def award(self, unit: Unit, member_id: int, amount: int, reason: str,
                    key: str) -> bool:
        del unit
        if any(k == key for *_, k in self.awards):
            return False
        self.awards.append((member_id, amount, reason, key))
        return True


@pytest.fixture(autouse=True)
def _needs_bwrap(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("sandbox") is not None:
        require_bwrap()


@pytest.fixture
def gate() -> JudgeGate:
    return JudgeGate.local(SandboxConfig(slots=1, base_uid=CHALLENGE_UID), self_check=False)


@pytest.fixture
async def app(settings: Settings, clock: FixedClock, db: Database, gate: JudgeGate,
              request: pytest.FixtureRequest) -> AsyncIterator[App]:
    del db
    # A test that asks for ``awarder`` gets it wired in place of the points ledger.
    recording = (request.getfixturevalue("awarder") if "awarder" in request.fixturenames
                 else None)
    application = build(settings, clock, judge_gate=gate, awarder=recording)
    await prepare(application, seed_demo=False)
    async with running(application):
        yield application


@pytest.fixture
def awarder() -> RecordingAwarder:
    return RecordingAwarder()


async def create_sum(chat: Chat, extra: str = "", attachment: Attachment | None = None) -> int:
    """Create the 'sum of two numbers' challenge as an admin; returns its id."""
    reply = await chat.text(
        f'/challenge create title="Sum" difficulty=easy {extra} '
        "statement=Read two integers on one line and print their sum.",
        who="ada", admin=True, attachments=(attachment or json_tests(),),
    )
    assert reply.startswith("Created challenge #"), reply
    return int(reply.split("#", 1)[1].split(":", 1)[0])
