"""Analytics on a generated community with known structure (SQLite and PostgreSQL).

Stated tolerances:
- segments: the planted four are found (k = 4 by silhouette), adjusted Rand index >= 0.9,
  and each planted group's majority segment carries the planted name;
- show-up: the regulars' mean posterior rate is within 0.07 of the planted 0.8; the
  solvers' (few RSVPs each, so shrunk toward the community mean) within 0.15 of 0.25 and
  clearly below the regulars'; tomorrow's event is predicted within 2 members of the
  planted expectation 18.5, inside the 80% interval; on a member with 60 past events the
  model is within 0.05 of the planted rate;
- best time: the first slot is the planted Tuesday 18:00 UTC and the second Wednesday
  12:00 UTC, for 1-hour and 2-hour sessions.
"""

from __future__ import annotations

import csv
import io
import statistics
from datetime import timedelta

import pytest
from sklearn.metrics import adjusted_rand_score

from bot.app import App
from bot.core.errors import UserError
from bot.render.report import build_report
from bot.services.analytics import AnalyticsService
from recommender import turnout
from tests.harness import Chat, snapshot
from tests.services.analytics.generator import (
    BEST_SLOT,
    REGULAR_RATE,
    SECOND_SLOT,
    SOLVER_RATE,
    Truth,
    generate,
)

ADMIN = {"who": "ada", "admin": True}
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def truth(app: App) -> Truth:
    return await generate(app.db)


def analytics(app: App) -> AnalyticsService:
    assert app.features.analytics is not None
    return app.features.analytics


def assert_png(data: bytes) -> None:
    assert data.startswith(PNG)
    assert len(data) > 10_000  # a real chart, not an empty canvas
    assert data[12:16] == b"IHDR"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width >= 500 and height >= 300


async def test_planted_segments_are_recovered(app: App, truth: Truth):
    report = await analytics(app).segments()
    result = report.result
    assert result.k == 4
    ids = sorted(truth.segment)
    ari = adjusted_rand_score([truth.segment[m] for m in ids],
                              [result.labels.get(m, -1) for m in ids])
    assert ari >= 0.9
    for planted in ("regulars", "challenge solvers", "lurkers", "newcomers"):
        names = [result.name_of(m) for m in truth.ids(planted)]
        assert statistics.mode(names) == planted


async def test_planted_show_up_rates_are_predicted(app: App, truth: Truth):
    model = await analytics(app).show_up_model()
    regulars = statistics.mean(model.rate(m) for m in truth.ids("regulars"))
    solvers = statistics.mean(model.rate(m) for m in truth.ids("challenge solvers"))
    assert abs(regulars - REGULAR_RATE) <= 0.07
    assert abs(solvers - SOLVER_RATE) <= 0.15 and solvers < regulars - 0.3
    predicted = await analytics(app).predict(truth.upcoming)
    assert predicted is not None
    planted = 20 * REGULAR_RATE + 10 * SOLVER_RATE
    assert abs(predicted.turnout.expected - planted) <= 2.0
    assert predicted.turnout.low <= planted <= predicted.turnout.high
    # Calibration over time: each of the last four events, predicted from what came before.
    predicted_sum = actual_sum = 0.0
    for event_id in truth.past_events[-4:]:
        stats = await analytics(app).event(event_id)
        assert stats.prediction is not None
        predicted_sum += stats.prediction.expected
        actual_sum += stats.attended
    assert abs(predicted_sum - actual_sum) <= 0.15 * actual_sum


def test_a_long_record_is_learned_closely_and_a_newcomer_gets_the_mean():
    # Members differ (1 to 9 of 10), so the prior stays weak and a long record speaks.
    records = [turnout.Record(1, 60, 48)] + [turnout.Record(m, 10, 1 + m % 9)
                                             for m in range(2, 30)]
    model = turnout.fit(records)
    assert abs(model.rate(1) - 0.8) <= 0.05
    assert model.rate(999) == pytest.approx(model.community_rate)
    with pytest.raises(turnout.NotEnoughHistory):
        turnout.fit([turnout.Record(1, 2, 1)])


async def test_best_slot_is_the_planted_one(app: App, truth: Truth):
    del truth
    for hours in (1, 2):
        best = await analytics(app).best_times(timedelta(hours=hours))
        assert [s.start_hour for s in best.slots[:2]] == [BEST_SLOT, SECOND_SLOT]
        assert len(best.slots) == 3
        assert best.slots[0].regulars >= 24


async def test_event_stats_count_check_ins_and_voice(app: App, truth: Truth):
    last = truth.past_events[-1]
    stats = await analytics(app).event(last)
    assert stats.going == len(truth.going[last])
    assert stats.attended == len(truth.attended[last])
    assert stats.by_voice > 0 and stats.checked_in + stats.by_voice == stats.attended
    assert stats.attendance_rate == pytest.approx(len(truth.attended[last]) / stats.going)
    assert stats.no_show_rate == pytest.approx(1 - stats.attendance_rate)


async def test_funnel_matches_the_planted_history(app: App, truth: Truth):
    funnel = await analytics(app).funnel(timedelta(days=120))
    total = funnel.total
    assert total.events == len(truth.past_events)
    assert total.rsvp == sum(len(truth.going[e]) for e in truth.past_events)
    assert total.attended == sum(len(truth.attended[e]) for e in truth.past_events)
    assert total.challenge_attended == sum(len(truth.attended[e]) for e in truth.linked)
    assert total.solved == sum(len(s) for s in truth.solved_linked.values())
    assert 0 < total.came_back <= total.closed_attended
    assert {g.name for g in funnel.by_organiser} == {"ada", "grace"}
    python = next(g for g in funnel.by_tag if g.name == "python")
    assert python.solved == total.solved  # only python workshops have challenges
    only_rust = await analytics(app).funnel(timedelta(days=120), "rust")
    assert only_rust.total.solved == 0 and only_rust.total.events == 6


async def test_stats_commands_answer_with_text_and_real_charts(app: App, chat: Chat,
                                                               truth: Truth):
    lines = {
        f"/stats event {truth.past_events[-1]}": "attendance rate",
        f"/stats event {truth.upcoming}": "Predicted turnout",
        "/stats community 8w": "Active members",
        "/stats segments": "challenge solvers",
        "/stats funnel 120d": "Per tag",
        "/stats funnel 120d python": "tagged python",
        "/stats besttime 90m": "Tue 19:00 CET (Tue 18:00 UTC)",
    }
    await chat.say("/profile timezone=Europe/Berlin", who="ada")
    for line, expected in lines.items():
        [reply] = await chat.say(line, **ADMIN)
        assert expected in reply.text, (line, reply.text)
        assert reply.file is not None and reply.file.content_type == "image/png"
        assert_png(reply.file.data)
    attendees = await chat.text(f"/event attendees {truth.upcoming}", **ADMIN)
    assert "Predicted turnout: 1" in attendees and "of 30 going" in attendees


async def test_export_sends_the_funnel_rows_as_csv(chat: Chat, truth: Truth):
    [reply] = await chat.say("/stats export 120d", **ADMIN)
    assert reply.file is not None and reply.file.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(reply.file.data.decode())))
    assert len(rows) == sum(len(truth.going[e]) for e in truth.past_events)
    assert sum(int(r["attended"]) for r in rows) == sum(
        len(truth.attended[e]) for e in truth.past_events)
    assert all(not r["title"].startswith("=") for r in rows)


async def test_community_figures(app: App, truth: Truth):
    stats = await analytics(app).community(timedelta(weeks=8))
    assert stats.events_held == 8
    assert stats.challenges_solved > 0 and stats.messages > 0
    assert sum(stats.weekly_new) >= 1  # newcomers joined in the last two weeks
    assert stats.retention[-1] == [None, None, None, None]  # the current week is not over
    known = [v for row in stats.retention for v in row if v is not None]
    assert known and all(0 <= v <= 1 for v in known)
    del truth


async def test_report_is_one_self_contained_html_file(app: App, truth: Truth):
    from tests.services.analytics.generator import START

    seen: list[tuple[str, int, int]] = []
    page = await build_report(analytics(app), START, title="Test <community>",
                              progress=lambda s, d, t: seen.append((s, d, t)))
    assert page.startswith("<!doctype html>") and "Test &lt;community&gt;" in page
    assert page.count("data:image/png;base64,") == 4 + len(truth.past_events)
    assert "http://" not in page.replace("https://meet.example.org", "")
    assert seen[-1][1] == seen[-1][2]


async def test_too_little_data_and_bad_input_change_nothing(app: App, chat: Chat):
    await chat.say("/profile timezone=Europe/Berlin", who="ada")
    await app.interactions.flush()
    before = await snapshot(app.db)
    cases = {
        "/stats event 999": "no event #999",
        "/stats event abc": "Usage: /stats event",
        "/stats community 1h": "at least a day",
        "/stats community 30d": "No activity",
        "/stats segments": "Not enough data for segments",
        "/stats funnel": "No event",
        "/stats export": "No event",
        "/stats besttime": "Not enough activity",
        "/stats besttime 2d": "between 5 minutes and 24 hours",
    }
    for line, expected in cases.items():
        replies = await chat.say(line, **ADMIN)
        assert expected in replies[0].text, (line, replies[0].text)
        assert all(r.file is None for r in replies)
    reply = await chat.text("/stats community", who="maya")
    assert "admins only" in reply
    await app.interactions.flush()
    assert await snapshot(app.db) == before
    with pytest.raises(UserError, match="at least a day"):
        await build_report(analytics(app), app.clock.now() - timedelta(hours=2))


async def test_unknown_tag_and_an_event_without_history(app: App, chat: Chat, truth: Truth):
    reply = await chat.text("/stats funnel 120d cobol", **ADMIN)
    assert "No event tagged `cobol`" in reply
    stats = await analytics(app).event(truth.upcoming)
    assert not stats.ended and stats.attendance_rate is None and stats.waitlist == 1


def test_cohort_report_writes_the_html_file(tmp_path, monkeypatch):
    import asyncio

    from typer.testing import CliRunner

    from bot.cli import cli
    from storage import Database

    url = f"sqlite+aiosqlite:///{tmp_path}/report.db"

    async def seed() -> None:
        db = Database(url)
        await db.upgrade()
        await generate(db)
        await db.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("COHORT_DATABASE_URL", url)
    monkeypatch.setenv("COHORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "--since", "2026-09-01", "--until",
                                      "2026-11-23T10:00", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.count("data:image/png;base64,") >= 10 and "Learning funnel" in page
    bad = CliRunner().invoke(cli, ["report", "--since", "yesterday", "--out", str(out)])
    assert bad.exit_code == 2 and "--since must be a date" in bad.output
