"""The ``cohort`` command line (also ``python -m bot``)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.adapters.console import ConsoleAdapter, ConsoleMessenger
from bot.app import build, prepare, running
from bot.core.clock import OffsetClock
from config.settings import Settings, load_settings

cli = typer.Typer(help="Cohort: a community assistant for technical learning communities.",
                  no_args_is_help=False, add_completion=False)
db_cli = typer.Typer(help="Database commands.")
demo_cli = typer.Typer(help="The demo community.")
config_cli = typer.Typer(help="Configuration.")
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(config_cli, name="config")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="A TOML settings file (cohort.toml)")
]


def _settings(config: Path | None, *, quiet: bool = False) -> Settings:
    """Load settings and set up logging (to stderr, so console output stays clean)."""
    if config is not None and not config.is_file():
        raise typer.BadParameter(f"no settings file at {config}")
    settings = load_settings(config)
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
def run(config: ConfigOption = None) -> None:
    """Start every configured adapter; the console when no token is set."""
    settings = _settings(config, quiet=True)
    if settings.has_platform_token:
        typer.echo(
            "Discord/Telegram tokens are set, but this build has only the console adapter. "
            "Unset COHORT_DISCORD__TOKEN / COHORT_TELEGRAM__TOKEN to use the console.",
            err=True,
        )
        raise typer.Exit(2)
    raise typer.Exit(asyncio.run(_console(settings, None, demo=True, linger=5.0)))


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


async def _console(settings: Settings, script: Path | None, *, demo: bool, linger: float) -> int:
    clock = OffsetClock()
    app = build(settings, clock)
    await prepare(app, seed_demo=demo)
    stdin = script.open(encoding="utf-8") if script is not None else sys.stdin
    interactive = script is None and sys.stdin.isatty()
    messenger = ConsoleMessenger(sys.stdout, settings.data_dir / "exports")
    try:
        async with running(app):
            app.outbox.register(messenger)
            adapter = ConsoleAdapter(
                app.dispatcher, clock, messenger, stdin, sys.stdout,
                interactive=interactive, on_advance=app.scheduler.run_all,
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


@config_cli.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Print the effective settings with secrets masked."""
    settings = _settings(config)
    typer.echo(json.dumps(settings.masked(), indent=2, default=str))


def main() -> None:
    """Entry point of the ``cohort`` console script."""
    cli()
