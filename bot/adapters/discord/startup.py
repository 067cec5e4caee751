"""Why the Discord adapter could not start, as one line a new user can act on."""

from __future__ import annotations

import aiohttp
import discord

from bot.core.errors import StartupFailed

REFUSED_LOGIN = ("discord: the token was refused; check COHORT_DISCORD__TOKEN "
                 "(Developer Portal > your application > Bot > Reset Token)")


def startup_failure(exc: BaseException, api: str) -> BaseException:
    """A start-up error as one readable line: a refused token, or an unreachable API.

    Anything else (a cancellation, a bug) is returned as it is.
    """
    if isinstance(exc, discord.LoginFailure):
        return StartupFailed(REFUSED_LOGIN, transient=False)
    if isinstance(exc, discord.ConnectionClosed) and exc.code == 4004:  # gateway auth failed
        return StartupFailed(REFUSED_LOGIN, transient=False)
    if isinstance(exc, discord.HTTPException) and exc.status < 500 and exc.status != 429:
        return StartupFailed(f"discord: the API refused the start ({exc})", transient=False)
    if isinstance(exc, discord.ClientException):
        return StartupFailed(f"discord: {exc}", transient=False)
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError | discord.DiscordException):
        return StartupFailed(f"discord: cannot reach {api} ({exc or type(exc).__name__})",
                             transient=True)
    return exc
