"""The ``cohort`` command line (also ``python -m bot``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import typer

from bot.adapter_options import discord_options, telegram_options
from bot.adapters.console import ConsoleAdapter, ConsoleMessenger
from bot.app import App, build, prepare, running
from bot.core.clock import OffsetClock
from bot.core.errors import StartupFailed, UserError
from bot.core.model import Platform
from bot.runtime import ScheduleError
from bot.startup import enter_with_retries
from config.settings import Settings, SettingsError, load_settings

cli = typer.Typer(help="Cohort: a community assistant for technical learning communities.",
                  no_args_is_help=False, add_completion=False)
db_cli = typer.Typer(help="Database commands.")
demo_cli = typer.Typer(help="The demo community.")
config_cli = typer.Typer(help="Configuration.")
points_cli = typer.Typer(help="Points.")
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(config_cli, name="config")
cli.add_typer(points_cli, name="points")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="A TOML settings file (cohort.toml)")
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """One line on stderr, then exit ``code`` (2: a setting to fix; never a traceback)."""
    typer.echo(f"cohort: {message}", err=True)
    return typer.Exit(code)


def _settings(config: Path | None, *, quiet: bool = False) -> Settings:
    """Load settings and set up logging (to stderr, so console output stays clean)."""
    if config is not None and not config.is_file():
        raise fail(f"no settings file at {config}")
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        raise fail(str(exc)) from None
    level = settings.log_level.upper()
    if quiet and "log_level" not in settings.model_fields_set:
        level = "WARNING"  # a console chat should not drown in start-up logs
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return settings


@cli.callback(invoke_without_command=True)
def _default(ctx: typer.Context) -> None:
    """With no subcommand, ``cohort`` is ``cohort run``."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@cli.command()
def run(
    config: ConfigOption = None,
    with_console: Annotated[
        bool, typer.Option("--console", help="Also chat on this terminal")
    ] = False,
) -> None:
    """Start every configured adapter; the console when no token is set."""
    settings = _settings(config, quiet=True)
    if settings.has_platform_token:
        # A server process: its start-up and shutdown belong in the log.
        logging.getLogger().setLevel(settings.log_level.upper())
        try:
            code = asyncio.run(_platforms(settings, with_console=with_console))
        except StartupFailed as exc:
            # A refused token is a setting to fix (2); an API still unreachable after the
            # retries is not (1).
            raise fail(str(exc), 1 if exc.transient else 2) from None
        raise typer.Exit(code)
    raise typer.Exit(asyncio.run(_console(settings, None, demo=True, linger=5.0, web=True)))


@cli.command()
def web(config: ConfigOption = None) -> None:
    """Serve only the organisers' dashboard (a separate process on a shared PostgreSQL)."""
    settings = _settings(config)
    from bot.web.server import serve_alone

    try:
        code = asyncio.run(serve_alone(build(settings)))
    except OSError as exc:
        raise fail(f"the dashboard cannot listen on {settings.web.host}:{settings.web.port}: "
                   f"{exc.strerror or exc}", 1) from None
    raise typer.Exit(code)


def dashboard(app: App, *, required: bool = False) -> contextlib.AbstractAsyncContextManager[
        str | None]:
    """The dashboard served next to the bot (starlette loads only when it is enabled)."""
    if not app.settings.web.enabled:
        return _nothing()
    from bot.web.server import dashboard as serve_dashboard

    return serve_dashboard(app, required=required)


async def _platforms(settings: Settings, *, with_console: bool) -> int:
    """Discord and/or Telegram (and optionally the console) in one process until SIGTERM.

    Shutdown order: the adapters stop receiving (Telegram finishes the updates it fetched),
    then the scheduler stops and the interaction log is flushed. Outbox rows are durable, so
    whatever was not sent yet goes out after the next start.
    """
    log = logging.getLogger(__name__)
    app = build(settings)
    await prepare(app, seed_demo=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    hooks = app.presence
    async with running(app), dashboard(app), contextlib.AsyncExitStack() as stack:
        if settings.discord.token is not None:
            from bot.adapters.discord import DiscordAdapter

            discord_adapter = await enter_with_retries(stack, lambda: DiscordAdapter(
                app.dispatcher, hooks, app.clock, discord_options(settings)), settings)
            app.platforms.add_messenger(discord_adapter.messenger)
            app.platforms.add_roles(discord_adapter.roles)
        if settings.telegram.token is not None:
            from bot.adapters.telegram import TelegramAdapter

            telegram_adapter = await enter_with_retries(stack, lambda: TelegramAdapter(
                app.dispatcher, hooks, app.clock, telegram_options(settings)), settings)
            app.platforms.add_messenger(telegram_adapter.messenger)
            if telegram_adapter.username:
                app.platforms.add_deep_link(Platform.TELEGRAM, telegram_adapter.deep_link)
        if with_console:
            messenger = ConsoleMessenger(sys.stdout, settings.data_dir / "exports")
            console_adapter = ConsoleAdapter(
                app.dispatcher, app.clock, messenger, sys.stdin, sys.stdout,
                interactive=sys.stdin.isatty(), on_advance=app.scheduler.run_all)
            task = asyncio.create_task(console_adapter.run())
            task.add_done_callback(lambda _: stop.set())
        log.info("cohort is running; send SIGTERM or press Ctrl+C to stop")
        await stop.wait()
        log.info("stopping")
    return 0


@cli.command()
def console(
    script: Annotated[Path | None, typer.Option(help="Read lines from FILE")] = None,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Do not seed the demo")] = False,
    linger: Annotated[float, typer.Option(help="Seconds to drain output at the end")] = 5.0,
    config: ConfigOption = None,
) -> None:
    """Chat with the bot on this terminal, or run a script of console lines."""
    settings = _settings(config, quiet=True)
    if script is not None and not script.is_file():
        raise typer.BadParameter(f"no script at {script}")
    raise typer.Exit(asyncio.run(_console(settings, script, demo=not no_demo, linger=linger)))


async def _console(settings: Settings, script: Path | None, *, demo: bool, linger: float,
                   web: bool = False) -> int:
    clock = OffsetClock()
    app = build(settings, clock)
    await prepare(app, seed_demo=demo)
    stdin = script.open(encoding="utf-8") if script is not None else sys.stdin
    interactive = script is None and sys.stdin.isatty()
    messenger = ConsoleMessenger(sys.stdout, settings.data_dir / "exports")
    try:
        async with running(app), dashboard(app) if web else _nothing():
            app.platforms.add_messenger(messenger)
            adapter = ConsoleAdapter(
                app.dispatcher, clock, messenger, stdin, sys.stdout,
                interactive=interactive, on_advance=app.scheduler.run_all,
                after_line=app.outbox.sweep,
            )
            await adapter.run()
            try:
                await asyncio.wait_for(app.drain(), timeout=max(linger, 0.1))
            except TimeoutError:
                logging.getLogger(__name__).warning("stopped draining after %.1f s", linger)
    finally:
        if stdin is not sys.stdin:
            stdin.close()
    return 0


@contextlib.asynccontextmanager
async def _nothing() -> AsyncIterator[str | None]:
    yield None


@db_cli.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply database migrations."""
    settings = _settings(config)

    async def upgrade() -> str | None:
        app = build(settings)
        await app.db.upgrade()
        revision = await app.db.revision()
        await app.db.dispose()
        return revision

    typer.echo(f"database at revision {asyncio.run(upgrade())}")


@demo_cli.command("reset")
def demo_reset(config: ConfigOption = None) -> None:
    """Delete everything and seed the demo community again."""
    settings = _settings(config)

    async def reset() -> None:
        app = build(settings)
        await app.db.upgrade()
        await app.db.wipe()
        await prepare(app, seed_demo=True)
        await app.db.dispose()

    asyncio.run(reset())
    typer.echo("demo community reset")


@points_cli.command("import")
def points_import(
    file: Annotated[Path, typer.Argument(help="CSV: platform,user_id,points[,name,reason,at]")],
    config: ConfigOption = None,
) -> None:
    """Import members' points (another bot's export, a spreadsheet); all lines or none."""
    settings = _settings(config)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from None

    async def run() -> str:
        app = build(settings)
        try:
            await app.db.upgrade()
            report = await app.features.points.import_points(data, app.directory.identify)
        finally:
            await app.db.dispose()
        return (f"{report.lines:,} lines: {report.added:,} awards added for "
                f"{report.members:,} members" + ("" if report.added else
                                                 " (this file was imported before)"))

    try:
        typer.echo(asyncio.run(run()))
    except UserError as exc:
        raise fail(str(exc), 1) from None


@config_cli.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Print the effective settings with secrets masked."""
    settings = _settings(config)
    typer.echo(json.dumps(settings.masked(), indent=2, default=str))


@cli.command("eval-recommender")
def eval_recommender(
    items: Annotated[Path, typer.Option(help="items.csv: item_id,text[,time][,group][,created]")],
    interactions: Annotated[Path, typer.Option(
        help="interactions.csv: user_id,item_id,timestamp[,rating][,created][,kind] "
             "(kind join: item_id names a group)")],
    k: Annotated[int, typer.Option(min=1, max=100, help="Cut-off of Recall@k and NDCG@k")] = 10,
    model: Annotated[str | None, typer.Option(
        help="Sentence model (package name or local path), or tfidf; default from settings"
    )] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    protocol: Annotated[str, typer.Option(
        help="strict (leak-free, default) or leave-last-out (old, leaks the future)"
    )] = "strict",
    config: ConfigOption = None,
) -> None:
    """Score the recommender offline: popularity, TF-IDF, embeddings and the hybrid."""
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.table import Table

    from recommender.dataset import DatasetError
    from recommender.offline import PROTOCOLS, evaluate_files

    settings = _settings(config, quiet=True)
    spec = model or ("tfidf" if settings.recommender.backend == "tfidf"
                     else settings.recommender.model)
    for path in (items, interactions):
        if not path.is_file():
            raise typer.BadParameter(f"no file at {path}")
    if protocol not in PROTOCOLS:
        raise typer.BadParameter(f"--protocol must be one of {', '.join(PROTOCOLS)}")
    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=as_json) as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=max(total, 1))
            progress.update(tasks[stage], completed=done, total=max(total, 1))

        try:
            result = evaluate_files(items, interactions, k=k, encoder_spec=spec,
                                    protocol=protocol, progress=report)
        except (DatasetError, ValueError) as exc:
            err.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
            raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    table = Table(title=f"{result.users} users, {result.candidates} candidate sessions, "
                        f"encoder {result.encoder}")
    for column in ("method", f"recall@{k}", f"ndcg@{k}", "ndcg 95%", "coverage"):
        table.add_column(column)
    for m in result.methods:
        table.add_row(m.method, f"{m.recall:.3f}", f"{m.ndcg:.3f}",
                      f"{m.ndcg_low:.3f}-{m.ndcg_high:.3f}", f"{m.coverage:.2f}")
    out = Console()
    out.print(f"protocol: {result.protocol}", highlight=False)
    for line in result.description:
        out.print(f"  - {line}", highlight=False, markup=False)
    out.print(table)
    out.print(f"hybrid / best baseline (ndcg@{k}): {result.ratio:.2f}x", highlight=False)


@cli.command("report")
def report(
    since: Annotated[str, typer.Option(help="Start of the period, e.g. 2026-09-01")],
    out: Annotated[Path, typer.Option(help="Where to write the HTML file")] = Path(
        "report.html"),
    until: Annotated[str | None, typer.Option(
        help="End of the period (default: now), e.g. 2026-11-23")] = None,
    timezone: Annotated[str, typer.Option(help="Time zone for times in the report")] = "UTC",
    config: ConfigOption = None,
) -> None:
    """Write the organisers' figures and charts for a period to one self-contained HTML file."""
    from datetime import UTC, datetime

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.core.clock import FixedClock, SystemClock
    from bot.core.errors import UserError
    from bot.render.report import build_report

    def moment(text: str, name: str) -> datetime:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise typer.BadParameter(f"{name} must be a date like 2026-09-01") from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    start = moment(since, "--since")
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK) or out.is_dir():
        raise fail(f"cannot write the report to {out}: "
                   f"{'it is a folder' if out.is_dir() else 'its folder is missing or read-only'}")
    clock = FixedClock(moment(until, "--until")) if until else SystemClock()
    if start >= clock.now():
        raise typer.BadParameter("--since must be before the end of the period")
    settings = _settings(config, quiet=True)
    err = Console(stderr=True)

    async def make() -> str:
        app = build(settings, clock)
        try:
            await app.db.upgrade()
            analytics = app.features.analytics
            assert analytics is not None
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task("building the report", total=None)

                def step(stage: str, done: int, total: int) -> None:
                    bar.update(task, description=stage, completed=done, total=total)

                return await build_report(analytics, start, title=settings.community_name,
                                          timezone=timezone, progress=step)
        finally:
            await app.db.dispose()

    try:
        page = asyncio.run(make())
    except UserError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out} ({len(page) // 1024} KiB)")


def main() -> None:
    """Entry point of the ``cohort`` console script."""
    try:
        cli()
    except ScheduleError as exc:  # a cron in settings that makes no sense, found by build()
        typer.echo(f"cohort: invalid setting {exc}", err=True)
        raise SystemExit(2) from None
