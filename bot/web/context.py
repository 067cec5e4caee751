"""What every page handler holds: the bot's services, settings, templates and clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.core import values
from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.services.dashboard import DashboardAccess, WebSession
from bot.services.members import MemberDirectory
from bot.web.figure_cache import FigureCache
from bot.web.runner import CommandRunner
from config.settings import Settings
from handlers import Features

HERE = Path(__file__).parent


def environment() -> Environment:
    """Jinja2 with autoescaping (every value a member typed is escaped)."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["pct"] = lambda v: "—" if v is None else f"{v:.0%}"
    return env


@dataclass(slots=True)
class Web:
    """The dashboard's view of the running bot."""

    settings: Settings
    clock: Clock
    features: Features
    access: DashboardAccess
    directory: MemberDirectory
    runner: CommandRunner
    templates: Environment
    figures: FigureCache

    async def member(self, who: WebSession) -> Member:
        """The logged-in member (their time zone shows every time)."""
        found = await self.directory.get(who.member_id)
        if found is None:
            raise UserError("Your member record is gone; ask for a new link.")
        return found

    def local(self, moment: datetime, timezone: str) -> str:
        """A time in the organiser's zone, e.g. ``Tue 24 Nov 18:00 CET``."""
        try:
            zone = values.zone(timezone)
        except UserError:
            zone = values.zone("UTC")
        here = moment.astimezone(zone)
        return f"{here:%a %d %b %Y %H:%M} {here.tzname()}"

    def render(self, request: Request, name: str, data: dict[str, Any], *,
               status: int = 200) -> HTMLResponse:
        """A page from its template."""
        page = self.templates.get_template(name).render(
            community=self.settings.community_name, path=request.url.path, **data)
        return HTMLResponse(page, status_code=status,
                            headers={"Cache-Control": "no-store",
                                     "X-Frame-Options": "DENY",
                                     "Referrer-Policy": "no-referrer"})
