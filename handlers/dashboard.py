"""``/dashboard``: a private single-use login link to the web dashboard, or log everyone out."""

from __future__ import annotations

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.model import Reply
from bot.services.dashboard import DashboardAccess
from bot.services.dashboard import texts as say


def commands(access: DashboardAccess) -> list[Command]:
    """The ``/dashboard`` command (admins)."""

    async def dashboard(ctx: Context) -> Reply:
        if ctx.get("action", str, "link") == "logout-all":
            return Reply(say.logged_out(await access.logout_all()), private=True)
        url = await access.issue(ctx.member, admin=ctx.is_admin)
        return Reply(say.login_link(url), private=True)

    return [Command(
        "dashboard", "Get a private login link to the web dashboard", dashboard, admin=True,
        options=(Option("action", OptionKind.CHOICE, "link (default) or logout-all",
                        choices=("link", "logout-all")),),
        example="/dashboard",
    )]
