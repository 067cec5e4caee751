"""``/help``: what the caller may run, and how."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.commands import Command, Context, Option, OptionKind
from bot.core.errors import UserError
from bot.core.model import Reply

Catalog = Callable[[bool], Sequence[Command]]


def commands(catalog: Catalog) -> list[Command]:
    """The help command, reading the live command list through ``catalog``."""

    async def show(ctx: Context) -> Reply:
        visible = catalog(ctx.is_admin)
        name = ctx.get("command", str)
        if name is None:
            lines = ["Here is what I can do:"]
            lines += [f"/{c.name} — {c.help}" for c in visible]
            lines.append("Send /help NAME for the options of one command.")
            return Reply("\n".join(lines))
        words = name.lower().removeprefix("/").split()
        found = next((c for c in visible if c.name == words[0]), None)
        if found is None:
            raise UserError(f"There is no /{words[0]} you can use. Send /help for the list.")
        if found.is_group and len(words) > 1:
            sub = found.sub(words[1])
            if sub is None:
                raise UserError(f"/{found.name} has no `{words[1]}`.")
            return Reply(_describe(sub, f"{found.name} {sub.name}"))
        if found.is_group:
            lines = [f"/{found.name} — {found.help}"]
            lines += [
                f"  /{found.name} {s.name} — {s.help}" for s in found.subcommands
                if ctx.is_admin or not s.admin
            ]
            return Reply("\n".join(lines))
        return Reply(_describe(found, found.name))

    return [
        Command(
            "help", "List commands, or explain one", show,
            options=(Option("command", OptionKind.TEXT, "A command name, e.g. profile",
                            rest=True, max_length=64),),
            example="/help profile",
        )
    ]


def _describe(command: Command, path: str) -> str:
    usage = "/" + path + command.usage()[len("/" + command.name):]
    lines = [f"/{path} — {command.help}", f"Usage: {usage}"]
    for option in command.options:
        need = "required" if option.required else "optional"
        lines.append(f"  {option.name} ({option.kind}, {need}): {option.help}")
    if command.example:
        lines.append(f"Example: {command.example}")
    if command.admin:
        lines.append("Admins only.")
    return "\n".join(lines)
