"""Why the Telegram adapter could not start, as one line a new user can act on."""

from __future__ import annotations

from telegram.error import BadRequest, InvalidToken, NetworkError

from bot.core.errors import StartupFailed


def startup_failure(exc: BaseException, api: str) -> BaseException:
    """A start-up error as one readable line: a refused token or webhook, or no network."""
    if isinstance(exc, InvalidToken):
        return StartupFailed("telegram: the token was refused; check COHORT_TELEGRAM__TOKEN "
                             "(BotFather > /mybots > API Token)", transient=False)
    if isinstance(exc, BadRequest):
        return StartupFailed(f"telegram: the Bot API refused the start ({exc})",
                             transient=False)
    if isinstance(exc, NetworkError | OSError | TimeoutError):
        return StartupFailed(f"telegram: cannot reach {api} ({exc})", transient=True)
    if isinstance(exc, RuntimeError | ValueError):
        return StartupFailed(f"telegram: {exc}", transient=False)
    return exc
