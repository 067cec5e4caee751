"""Command declarations → discord.py application commands with typed options.

discord.py reads a command's options from its callback's signature, so each declared command
gets a generated callback whose ``__signature__`` lists one typed parameter per option
(``inspect.signature`` honours ``__signature__``; discord.py then calls the callback as
``callback(interaction, **values)``). Descriptions go through the public
``app_commands.describe``; no private API is touched.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal

import discord
from discord import app_commands

from bot.core.commands import Command, Option, OptionKind, Where

# Runs one invocation: (interaction, "event create", option values by name).
Runner = Callable[[discord.Interaction, str, Mapping[str, Any]], Awaitable[None]]

MAX_CHOICES = 25  # Discord's limit for an option's choices
MAX_STRING = 6000  # Discord's limit for a string option's max_length
ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)


def annotation(option: Option) -> Any:
    """The type discord.py turns into the option's Discord type, bounds and choices."""
    kind = option.kind
    if kind is OptionKind.INTEGER:
        if option.min_value is None and option.max_value is None:
            return int
        return app_commands.Range[int, option.min_value, option.max_value]
    if kind is OptionKind.BOOLEAN:
        return bool
    if kind is OptionKind.MEMBER:
        return discord.User  # a Member in a guild, a User in a DM
    if kind is OptionKind.FILE:
        return discord.Attachment  # option type 11; Discord resolves the uploaded file
    if kind is OptionKind.CHOICE and len(option.choices) <= MAX_CHOICES:
        return Literal[option.choices]
    if kind is OptionKind.TEXT:
        return app_commands.Range[str, None, min(option.max_length, MAX_STRING)]
    return str  # durations, dates and long choice lists are typed as text and parsed by us


def leaf(spec: Command, path: str, run: Runner, *,
         admin_gate: discord.Permissions | None = ADMIN_PERMISSIONS,
         ) -> app_commands.Command[Any, Any, None]:
    """One application command (or subcommand) for a declared leaf command."""
    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=discord.Interaction)]
    for option in spec.options:
        parameters.append(inspect.Parameter(
            option.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=annotation(option),
            default=inspect.Parameter.empty if option.required else None,
        ))

    async def callback(interaction: discord.Interaction[Any], /, **values: Any) -> None:
        await run(interaction, path, values)

    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    described = app_commands.describe(**{o.name: o.help for o in spec.options})(callback)
    command: app_commands.Command[Any, Any, None] = app_commands.Command(
        name=spec.name, description=spec.help, callback=described)
    if spec.where is Where.GROUP:
        command.guild_only = True
    elif spec.where is Where.DM:
        command.allowed_contexts = app_commands.AppCommandContext(
            guild=False, dm_channel=True, private_channel=True)
    if spec.admin and admin_gate is not None:
        # Only top-level commands carry permissions on Discord; the dispatcher checks again.
        command.default_permissions = admin_gate
    return command


def group(spec: Command, run: Runner, *,
          admin_gate: discord.Permissions | None = ADMIN_PERMISSIONS) -> app_commands.Group:
    """An application command group with one subcommand per declared subcommand."""
    guild_only = all(sub.where is Where.GROUP for sub in spec.subcommands)
    made = app_commands.Group(
        name=spec.name, description=spec.help, guild_only=guild_only,
        default_permissions=admin_gate if spec.admin else None,
    )
    for sub in spec.subcommands:
        made.add_command(leaf(sub, f"{spec.name} {sub.name}", run))
    return made


def build(
    commands: Sequence[Command], run: Runner, *, role_admins: bool = False,
) -> list[app_commands.Command[Any, Any, None] | app_commands.Group]:
    """Every declared command as a discord.py application command.

    Discord hides a command whose ``default_member_permissions`` a member lacks, and a bot
    cannot grant it to a role (only a server's admins can, by hand). With admin roles or ids
    configured (``role_admins``) admin commands are therefore registered for everyone and
    the bot alone decides; otherwise Discord hides them from all but Manage Server.
    """
    gate = None if role_admins else ADMIN_PERMISSIONS
    built: list[app_commands.Command[Any, Any, None] | app_commands.Group] = []
    for spec in commands:
        built.append(group(spec, run, admin_gate=gate) if spec.is_group
                     else leaf(spec, spec.name, run, admin_gate=gate))
    return built
