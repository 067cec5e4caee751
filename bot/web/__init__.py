"""The organisers' web dashboard: a Starlette app over the same services as the commands.

Nothing here is imported by the composition root; :mod:`bot.cli` builds the app with
:func:`create_app` and serves it with :func:`serving` next to the adapters.
"""

from bot.web.app import create_app
from bot.web.server import serving

__all__ = ["create_app", "serving"]
