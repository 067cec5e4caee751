"""A console community on stdin/stdout, for trying Cohort with no token and for tests.

Meta-lines simulate people and places (errbot's text backend idea): ``:as NAME [admin]``,
``:in #CHANNEL``, ``:dm``, ``:advance DURATION`` (moves the bot's clock and runs the
scheduled sweeps), ``:wait DURATION``, ``:attach PATH``. Output is one block per message:
``[#general] …`` for channel posts, ``[#general · only NAME] …`` for private replies there
(ephemeral on Discord, a DM on Telegram), ``[dm → NAME] …`` for DMs, continuation lines indented,
flushed after every input line so another program can drive the bot.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.core import values
from bot.core.clock import Clock, OffsetClock
from bot.core.dispatch import Dispatcher, split_command_line
from bot.core.errors import UserError
from bot.core.model import Attachment, Incoming, Place, Platform, Reply, UserRef

logger = logging.getLogger(__name__)

META_HELP = (
    "Console lines: /command … runs a command; other text is a chat message.\n"
    ":as NAME [admin]  act as NAME   :in #CHANNEL / :dm  where you speak\n"
    ":advance 2h  move the clock and run due work   :wait 1s  pause\n"
    ":attach PATH  attach a file to the next command   :quit  leave"
)


class ConsoleMessenger:
    """Prints DMs and channel posts the way the console shows replies."""

    platform = Platform.CONSOLE

    def __init__(self, out: TextIO, export_dir: Path) -> None:
        self._out = out
        self._export_dir = export_dir

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """Print a DM."""
        self.show(f"dm → {user_id}", reply)
        return None

    async def send_place(self, place_id: str, reply: Reply) -> str | None:
        """Print a channel post."""
        self.show(f"#{place_id}", reply)
        return None

    def show(self, header: str, reply: Reply) -> None:
        """Write one message block and flush."""
        lines = reply.text.splitlines() or [""]
        block = [f"[{header}] {lines[0]}", *(f"  {line}" for line in lines[1:])]
        if reply.file is not None:
            self._export_dir.mkdir(parents=True, exist_ok=True)
            path = (self._export_dir / Path(reply.file.filename).name).resolve()
            path.write_bytes(reply.file.data)
            block.append(f"  file: {path}")
        if reply.buttons:
            block.append("  buttons: " + " | ".join(
                f"{b.label} ({b.action})" for b in reply.buttons))
        self._out.write("\n".join(block) + "\n")
        self._out.flush()


class ConsoleAdapter:
    """Reads lines, turns them into ``Incoming`` values, prints the replies."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        clock: Clock,
        messenger: ConsoleMessenger,
        stdin: TextIO,
        stdout: TextIO,
        *,
        interactive: bool,
        on_advance: Callable[[], Awaitable[object]],
        after_line: Callable[[], Awaitable[object]] | None = None,
        identity: str = "ada",
        admin: bool = True,
    ) -> None:
        self._dispatcher = dispatcher
        self._clock = clock
        self.messenger = messenger
        self._in = stdin
        self._out = stdout
        self._interactive = interactive
        self._on_advance = on_advance
        self._after_line = after_line
        self._name = identity
        self._admin = admin
        self._place = _channel("general")
        self._attachment: Attachment | None = None

    async def run(self) -> None:
        """Process lines until end of input or ``:quit``."""
        if self._interactive:
            self._note(f"Cohort console. You are {self._name} in #general. "
                       "Send /help, or :help for console lines.")
        while True:
            if self._interactive:
                self._out.write(f"{self._name}@{self._where()}> ")
                self._out.flush()
            line = await asyncio.to_thread(self._in.readline)
            if not line:
                return
            if line.strip() == ":quit":
                return
            try:
                await self.handle_line(line.rstrip("\n"))
            except UserError as exc:
                self._note(str(exc))
            if self._after_line is not None:
                # Deliver what the line caused at once (DMs, offers), as a live bot would.
                await self._after_line()
            self._out.flush()

    async def handle_line(self, line: str) -> None:
        """Handle one console line."""
        stripped = line.strip()
        if not stripped:
            return
        if stripped.startswith(":"):
            await self._meta(stripped)
            return
        command = split_command_line(stripped)
        author = UserRef(Platform.CONSOLE, self._name, self._name, handle=self._name)
        attachments = (self._attachment,) if self._attachment and command else ()
        if command:
            self._attachment = None
        incoming = Incoming(
            author=author,
            place=self._place,
            text=command[1] if command else stripped,
            source_id=uuid.uuid4().hex,
            received_at=self._clock.now(),
            command=command[0] if command else None,
            attachments=attachments,
            is_admin=self._admin,
        )
        for reply in await self._dispatcher.handle(incoming):
            self._show_reply(reply)

    def _show_reply(self, reply: Reply) -> None:
        header = f"dm → {self._name}" if self._place.is_direct else f"#{self._place.name}"
        if reply.private and not self._place.is_direct:
            header += f" · only {self._name}"  # what others in the channel would not see
        self.messenger.show(header, reply)

    async def _meta(self, line: str) -> None:
        word, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if word == "as":
            parts = rest.split()
            if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1] != "admin"):
                raise UserError("Usage: :as NAME [admin]")
            self._name = parts[0].lstrip("@").lower()[:32]
            self._admin = len(parts) == 2
            if self._place.is_direct:
                self._place = _dm(self._name)
        elif word == "in":
            name = rest.lstrip("#").lower()
            if not name or " " in name:
                raise UserError("Usage: :in #CHANNEL")
            self._place = _channel(name)
        elif word == "dm":
            self._place = _dm(self._name)
        elif word == "advance":
            delta = values.parse_duration(rest)
            if not isinstance(self._clock, OffsetClock):
                raise UserError(":advance needs the console clock.")
            self._clock.advance(delta)
            await self._on_advance()
        elif word == "wait":
            await asyncio.sleep(values.parse_duration(rest).total_seconds())
        elif word == "attach":
            self._attachment = _read_attachment(rest, self._dispatcher.limits.max_attachment)
            self._note(f"attached {self._attachment.filename} "
                       f"({self._attachment.size} bytes) to your next command")
        elif word == "help":
            self._note(META_HELP)
        else:
            raise UserError(f"Unknown console line :{word}. Send :help.")

    def _where(self) -> str:
        return "dm" if self._place.is_direct else f"#{self._place.name}"

    def _note(self, text: str) -> None:
        self._out.write("\n".join(f"* {line}" for line in text.splitlines()) + "\n")
        self._out.flush()


def _channel(name: str) -> Place:
    return Place(Platform.CONSOLE, name, name, is_direct=False, community_id="demo")


def _dm(name: str) -> Place:
    return Place(Platform.CONSOLE, f"dm:{name}", f"dm:{name}", is_direct=True)


def _read_attachment(path_text: str, limit: int) -> Attachment:
    if not path_text:
        raise UserError("Usage: :attach PATH")
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise UserError(f"No file at {path_text}.")
    size = path.stat().st_size
    if size > limit:
        raise UserError(f"{path.name} is too big ({size} bytes; the limit is {limit}).")
    return Attachment(path.name, path.read_bytes())
