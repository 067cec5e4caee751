"""Protocol-level emulators of the Discord API and the Telegram Bot API, for tests.

The real discord.py and python-telegram-bot talk to them over HTTP/WebSocket on 127.0.0.1
(ephemeral ports); nothing in either library is mocked or patched beyond its documented or
class-level URL settings.

Discord (:mod:`tests.emulators.discord_api`)::

    async with DiscordEmulator() as emu:
        guild = emu.add_guild("Test Community")
        general = emu.add_channel(guild, "general")
        maya = emu.add_member(guild, "maya")
        with emu.patch_discord_py():  # Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY
            client = discord.Client(intents=..., guild_ready_timeout=0.05)
            task = asyncio.create_task(client.start(emu.token))
            ...
            await emu.send_message_create(guild, general, maya, "hello")
            sent = await emu.wait_for(SentMessage, lambda m: m.channel_id == general.id)

Telegram (:mod:`tests.emulators.telegram_api`)::

    async with TelegramEmulator() as tg:
        maya = tg.add_user("Maya", username="maya")
        app = (ApplicationBuilder().token(tg.token).base_url(tg.base_url)
               .base_file_url(tg.base_file_url).job_queue(None).build())
        ...
        tg.push_command(tg.private_chat(maya), maya, "start", "payload")
        reply = await tg.wait_for(SentMessage, lambda m: m.chat_id == maya.id)
"""
