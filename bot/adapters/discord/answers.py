"""Answering an interaction: follow-ups (ephemeral when private) and refreshing a post.

One failing answer is logged and never drops the answers after it (#12.5).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import discord

from bot.adapters.discord import translate
from bot.adapters.discord.messaging import NO_MENTIONS, file_of, view_of
from bot.adapters.discord.texts import FILE_FAILED
from bot.core.model import Reply

logger = logging.getLogger(__name__)


async def update_post(interaction: discord.Interaction, replies: Sequence[Reply]) -> None:
    """Refresh the post the clicked button sits on (its buttons stay)."""
    text = next((r.update_post for r in replies if r.update_post), None)
    if interaction.message is None or text is None:
        return
    try:
        await interaction.message.edit(content=translate.split_text(text)[0],
                                       allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        logger.info("discord: post %s not updated", interaction.message.id)


async def answer(interaction: discord.Interaction, replies: Sequence[Reply], *,
                 deferred_public: bool) -> None:
    """Follow up a deferred interaction; private replies are ephemeral.

    Each reply is sent on its own: one that fails is logged (a file that could not be
    sent is reported to the member) and never drops the replies after it.
    """
    try:
        if not replies or (deferred_public and replies[0].private):
            # The first follow-up would take the public "thinking" message's place.
            await interaction.delete_original_response()
    except discord.HTTPException:
        logger.exception("discord: could not answer interaction %s", interaction.id)
    for reply in replies:
        try:
            await follow_up(interaction, reply)
        except discord.HTTPException:
            logger.exception("discord: could not answer interaction %s", interaction.id)
            if reply.file is not None:
                with contextlib.suppress(discord.HTTPException):
                    await interaction.followup.send(
                        FILE_FAILED.format(name=reply.file.filename), ephemeral=True,
                        allowed_mentions=NO_MENTIONS)


async def follow_up(interaction: discord.Interaction, reply: Reply) -> None:
    """One reply as follow-up messages (long text split); buttons and file on the last."""
    parts = translate.split_text(reply.text)
    for index, part in enumerate(parts):
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS,
                                  "ephemeral": reply.private}
        if index == len(parts) - 1:
            view, file = view_of(reply), file_of(reply)
            if view is not None:
                kwargs["view"] = view
            if file is not None:
                kwargs["file"] = file
        await interaction.followup.send(part, **kwargs)
