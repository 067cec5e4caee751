"""A schedule in settings that makes no sense stops ``cohort run`` with one clear line (#14)."""

from pathlib import Path

import pytest

from tests.cli.test_console_process import cohort


@pytest.mark.parametrize(("setting", "value", "says"), [
    ("COHORT_POINTS__LEADERBOARD_CRON", "0 9 31 2 *", "points.leaderboard_cron: '0 9 31 2 *' "
                                                      "never fires"),
    ("COHORT_RECOMMENDER__DIGEST_CRON", "every monday", "recommender.digest_cron: "
                                                        "'every monday' is not a cron"),
    ("COHORT_SCHEDULER__CATCH_UP_HOURS", "-3", "scheduler.catch_up_hours "
                                               "(COHORT_SCHEDULER__CATCH_UP_HOURS): Input "
                                               "should be greater than 0"),
])
def test_a_nonsensical_schedule_is_refused_at_start(tmp_path: Path, setting: str, value: str,
                                                    says: str) -> None:
    result = cohort(tmp_path, "run", **{setting: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cohort: invalid setting "), result.stderr
    assert says in lines[0]
    assert not (tmp_path / "cohort.db").exists()  # nothing was stored
