"""G10: a burst of group messages through the real Telegram adapter, vs a bare PTB app.

    python benchmarks/bench_hotpath.py [--messages 10000] [--users 200] [--database URL]

Same Telegram emulator on 127.0.0.1, same burst (``--messages`` group messages from
``--users`` members, pushed at once when the client is polling, timed from the push;
privacy mode off as Cohort needs), back to back:
1. raw: a bare python-telegram-bot ``Application`` with one empty ``MessageHandler``: the
   fastest the library itself takes updates off ``getUpdates``;
2. Cohort: the running app (``running()``: interaction log, scheduler) with the real
   ``TelegramAdapter``; done when every message is logged (the interaction rows are in the
   database) and every member's first message is awarded (the ledger rows are there: the
   rest of each member's burst falls in the chat cooldown).
Prints messages/s for both and the ratio (goal >= 0.5x), and how many were lost (goal 0).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parents[1]))

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from benchmarks.summary import record
from bot.adapters.telegram import TelegramAdapter, TelegramOptions
from bot.app import build, prepare, running
from bot.core.clock import SystemClock
from config.settings import Settings
from tests.emulators.telegram_api import TelegramEmulator

console = Console()
STALL = 15.0  # seconds without a new logged message: the rest are lost
TEXTS = ["anyone up for pairing on the parser tonight?", "just pushed the fix, tests pass",
         "the meetup slides are in #resources", "thanks, that explanation really helped!"]


def study_group(tg: TelegramEmulator, users: int) -> tuple[Any, list[Any]]:
    """The community's group and its members (the bot serves only its community's groups)."""
    people = [tg.add_user(f"Member {i}", username=f"member{i}") for i in range(users)]
    return tg.add_group("Busy study group", members=people), people


def burst(tg: TelegramEmulator, group: Any, people: list[Any], messages: int) -> None:
    """Queue the burst in the group before anyone polls."""
    users = len(people)
    for n in range(messages):
        tg.push_message(group, people[n % users], f"{TEXTS[n % len(TEXTS)]} ({n})")


async def raw(messages: int, users: int) -> float:
    """Messages/s of a bare PTB application with an empty handler."""
    async with TelegramEmulator(privacy_mode=False) as tg:
        seen = 0
        done = asyncio.Event()

        async def empty(_update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
            nonlocal seen
            seen += 1
            if seen == messages:
                done.set()

        app = (ApplicationBuilder().token(tg.token).base_url(tg.base_url)
               .base_file_url(tg.base_file_url).job_queue(None).build())
        app.add_handler(MessageHandler(filters.ALL, empty))
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        started = time.perf_counter()
        group, people = study_group(tg, users)
        burst(tg, group, people, messages)
        await asyncio.wait_for(done.wait(), timeout=600)
        elapsed = time.perf_counter() - started
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    return messages / elapsed


async def cohort(url: str, tmp: Path, messages: int, users: int) -> tuple[float, int, int]:
    """Messages/s through the running app and the real adapter; messages logged; awards."""
    settings = Settings(database_url=url, data_dir=tmp / "data",
                        _toml_file=tmp / "absent.toml")  # type: ignore[call-arg]
    app = build(settings, SystemClock())
    await prepare(app, seed_demo=False)
    await app.db.wipe()
    async with TelegramEmulator(privacy_mode=False) as tg, running(app):
        group, people = study_group(tg, users)
        adapter = TelegramAdapter(app.dispatcher, app.presence, app.clock, TelegramOptions(
            token=tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url,
            poll_timeout=1, chat_ids=(group.id,)))
        async with adapter:
            app.platforms.add_messenger(adapter.messenger)
            started = time.perf_counter()
            burst(tg, group, people, messages)
            done, progressed = (0, 0), time.perf_counter()
            while time.perf_counter() - progressed < STALL:  # a lost message never comes
                await asyncio.sleep(0.25)
                async with app.db.engine.connect() as connection:
                    now = tuple((await connection.execute(text(
                        "SELECT (SELECT COUNT(*) FROM interactions), "
                        "(SELECT COUNT(*) FROM point_awards WHERE kind = 'message')"))).one())
                if now > done:
                    done, progressed = now, time.perf_counter()
                if done >= (messages, users):  # all logged, each member's first one awarded
                    break
            elapsed = progressed - started
            logged, awarded = done
    await app.db.wipe()
    await app.db.dispose()
    return messages / elapsed, logged, awarded


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite+aiosqlite:///{tmp}/bench.db"
        raw_rate = await raw(args.messages, args.users)
        ours, logged, awarded = await cohort(url, Path(tmp), args.messages, args.users)
    kind = url.split(":", 1)[0]
    ratio = ours / raw_rate
    lost = args.messages - logged + args.users - awarded  # unlogged, or a first message unscored
    table = Table(title=f"G10: {args.messages:,} group messages from {args.users} members "
                        f"through the Telegram emulator ({kind})")
    for column in ("path", "messages/s", "ratio", "logged", "awarded", "lost", "goal"):
        table.add_column(column)
    table.add_row("bare python-telegram-bot, empty handler", f"{raw_rate:,.0f}", "1.00", "", "",
                  "", "")
    table.add_row("Cohort: real adapter, logged and scored", f"{ours:,.0f}", f"{ratio:.2f}",
                  f"{logged:,}", f"{awarded:,} of {args.users:,}", str(lost), ">= 0.5x, 0 lost")
    console.print(table)
    record("G10", f"hot path, {args.messages:,} group messages ({kind})", f"{ours:,.0f} msg/s",
           f"{ratio:.2f}x", ">= 0.5x, 0 lost", ratio >= 0.5 and lost == 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--database", help="a database URL (default: a temporary SQLite file)")
    asyncio.run(main(parser.parse_args()))
