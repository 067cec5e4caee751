"""Settings turned into the adapters' plain options (adapters never read config).

The platform libraries load only when a platform is configured, so the imports are local.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from config.settings import Settings

if TYPE_CHECKING:
    from bot.adapters.discord import DiscordOptions
    from bot.adapters.telegram import TelegramOptions


def discord_options(settings: Settings) -> DiscordOptions:
    """The Discord adapter's options from settings."""
    from bot.adapters.discord import DiscordOptions

    section = settings.discord
    assert section.token is not None
    return DiscordOptions(
        token=section.token.get_secret_value(), api_base_url=section.api_base_url,
        gateway_url=section.gateway_url, guild_id=section.guild_id,
        message_content=section.message_content, guild_ids=tuple(section.guild_ids),
        admin_roles=tuple(section.admin_roles), admin_ids=tuple(section.admin_ids),
        sync_commands=section.sync_commands, guild_ready_timeout=section.guild_ready_timeout,
    )


def telegram_options(settings: Settings) -> TelegramOptions:
    """The Telegram adapter's options from settings."""
    from bot.adapters.telegram import TelegramOptions

    section = settings.telegram
    assert section.token is not None
    return TelegramOptions(
        token=section.token.get_secret_value(), base_url=section.base_url,
        base_file_url=section.base_file_url, mode=section.mode,
        webhook_url=section.webhook_url, webhook_listen=section.webhook_listen,
        webhook_port=section.webhook_port,
        webhook_secret=(section.webhook_secret.get_secret_value()
                        if section.webhook_secret is not None else None),
        poll_timeout=section.poll_timeout, chat_ids=tuple(section.chat_ids),
        admin_ids=tuple(section.admin_ids),
        admin_cache_seconds=section.admin_cache_seconds,
    )
