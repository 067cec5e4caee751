"""Process infrastructure: the scheduler and scheduler leadership between processes.

May import ``bot.core``, ``storage`` and APScheduler (this package is its only importer);
never services, handlers or adapters.
"""

from bot.runtime.leadership import Leadership
from bot.runtime.periodic import JobRuns, ScheduleError
from bot.runtime.scheduler import Scheduler

__all__ = ["JobRuns", "Leadership", "ScheduleError", "Scheduler"]
