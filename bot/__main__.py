"""``python -m bot`` is the ``cohort`` command."""

from bot.cli import main

main()
