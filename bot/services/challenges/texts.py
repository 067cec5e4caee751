"""Every word the challenges feature says: replies to its commands, verdicts, announcements.

Used by ``handlers/challenges.py`` and by what the service posts through the outbox (late
verdict DMs, announcements), so a verdict reads the same on every path. Anything a member
or a program wrote is neutralised before it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import values
from bot.sandbox.verdicts import Verdict
from bot.services.challenges.judging import neutralise_block, neutralise_line
from bot.services.challenges.similarity import SimilarPair
from bot.services.challenges.views import (
    ChallengeStats,
    ChallengeView,
    SubmissionOutcome,
    SubmissionView,
    SubmitReceipt,
)

MAX_EXAMPLE_CHARS = 300
REPLY_LIMIT = 1900  # under Discord's 2000 characters; Telegram allows 4096

VERDICT_NAMES = {
    Verdict.AC: "Accepted",
    Verdict.WA: "Wrong answer",
    Verdict.TLE: "Time limit exceeded",
    Verdict.MLE: "Memory limit exceeded",
    Verdict.RE: "Runtime error",
    Verdict.CE: "Compile error",
    Verdict.OLE: "Output limit exceeded",
    Verdict.IE: "Internal error (the judge failed, not your code)",
}


def truncate(text: str, limit: int = REPLY_LIMIT) -> str:
    """Cut a reply to the platform limit."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime, zone: ZoneInfo) -> str:
    """``2026-11-23 10:00 UTC`` in the reader's zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


# Members.


def open_list(found: Sequence[ChallengeView], zone: ZoneInfo) -> str:
    """``/challenges``."""
    if not found:
        return "No challenge is open right now."
    lines = ["Open challenges:"]
    for c in found:
        until = f", until {when(c.closes_at, zone)}" if c.closes_at else ""
        lines.append(f"#{c.id} {c.title} — {c.difficulty}, "
                     f"{values.counted(c.points, 'point')}{until}")
    lines.append("Send /challenge ID to read one.")
    return truncate("\n".join(lines))


def challenge(view: ChallengeView, zone: ZoneInfo, now: datetime) -> str:
    """``/challenge ID``: the statement, its window and as many examples as fit."""
    head = (f"Challenge #{view.id}: {view.title}\n{view.difficulty} · {view.language} · "
            f"{values.counted(view.points, 'point')} (+{view.bonus} for the first solve) · "
            f"CPU {view.cpu_s:g} s · memory {view.memory_mib} MiB")
    if view.tags:
        head += " · tags: " + ", ".join(view.tags)
    if not view.accepting(now):
        window = ("Opens " + when(view.opens_at, zone) if view.opens_at > now
                  else "Closed.")
    elif view.closes_at is not None:
        window = (f"Open until {when(view.closes_at, zone)} "
                  f"({values.relative(view.closes_at, now)}).")
    else:
        window = "Open."
    parts = [head, window, "", view.statement]
    budget = 1500 - sum(map(len, parts))
    for example in view.examples:
        block = (f"\nExample {example.number}\nInput:\n"
                 f"{neutralise_block(example.input[:MAX_EXAMPLE_CHARS])}\nOutput:\n"
                 f"{neutralise_block(example.output[:MAX_EXAMPLE_CHARS])}")
        if len(block) > budget:
            break
        parts.append(block)
        budget -= len(block)
    parts.append(f"\nSubmit with /submit {view.id} followed by your code in a ``` block, "
                 "or attach a .py file.")
    return truncate("\n".join(parts))


def receipt(got: SubmitReceipt, *, is_direct: bool) -> str:
    """``/submit``: the verdict, or where the submission waits."""
    tip = "" if is_direct else "\nTip: send code to me in a DM so nobody can copy it."
    if got.outcome is None:
        where = f" (position {got.position} in the queue)" if got.position else ""
        return (f"Submission #{got.submission_id} is waiting for the judge{where}. "
                f"I'll send you the verdict by DM.{tip}")
    return truncate(render_outcome(got.outcome) + tip)


def submissions(found: Sequence[SubmissionView], zone: ZoneInfo) -> str:
    """``/submissions``."""
    if not found:
        return "You have no submissions yet. Send /challenges to find one."
    lines = ["Your latest submissions:"]
    lines += [f"#{s.id} · challenge #{s.challenge_id} "
              f"({neutralise_line(s.challenge_title, 60)}) · {when(s.created_at, zone)} · "
              f"{render_verdict(s)}" for s in found]
    return truncate("\n".join(lines))


def render_outcome(outcome: SubmissionOutcome) -> str:
    """The verdict message for a judged submission (the reply and the late DM)."""
    sub = outcome.submission
    lines = [f"Submission #{sub.id} to challenge #{sub.challenge_id} "
             f"({neutralise_line(sub.challenge_title, 80)}): {render_verdict(sub)}"]
    if sub.feedback:
        lines.append(sub.feedback)
    if outcome.newly_solved:
        earned = []
        if outcome.points:
            earned.append(f"+{values.counted(outcome.points, 'point')}")
        if outcome.bonus:
            earned.append(f"+{outcome.bonus} first-solve bonus")
        first = "First solve of this challenge! " if outcome.first_solve else ""
        lines.append(f"{first}Solved. {', '.join(earned)}".rstrip(". ") + ".")
    return truncate("\n".join(lines))


def render_verdict(sub: SubmissionView) -> str:
    """``Wrong answer on test 2 (CPU 0.03 s, memory 9.1 MiB)``."""
    if sub.verdict is None:
        return "waiting to be judged" if sub.status == "queued" else "being judged"
    name = VERDICT_NAMES[sub.verdict]
    if sub.verdict is Verdict.AC:
        name += f", {sub.tests_passed}/{sub.test_count} tests"
    elif sub.failed_test is not None:
        name += f" on test {sub.failed_test}"
    if sub.detail and sub.verdict not in (Verdict.AC, Verdict.WA, Verdict.CE):
        name += f" — {sub.detail}"
    figures = []
    if sub.cpu_s is not None and sub.verdict is not Verdict.CE:
        figures.append(f"CPU {sub.cpu_s:.2f} s")
    if sub.memory_mib is not None and sub.verdict is not Verdict.CE:
        figures.append(f"memory {sub.memory_mib:.1f} MiB")
    return name + (f" ({', '.join(figures)})" if figures else "")


def announcement(view: ChallengeView) -> str:
    """The post in every announcements channel when a challenge opens."""
    return (f"New coding challenge #{view.id}: {view.title} ({view.difficulty}, "
            f"{values.counted(view.points, 'point')}). Send /challenge {view.id} to read it.")


# Admins.


def created(view: ChallengeView, zone: ZoneInfo) -> str:
    """``/challenge create``."""
    opens = ("Queued: the scheduled rotation opens it." if view.status == "queued"
             else f"Opens {when(view.opens_at, zone)}.")
    return (f"Created challenge #{view.id}: {view.title} "
            f"({values.counted(view.test_count, 'test')}, "
            f"{len(view.examples)} shown as examples). {opens}")


def edited(view: ChallengeView) -> str:
    """``/challenge edit``."""
    return (f"Challenge #{view.id} updated ({values.counted(view.test_count, 'test')}). "
            f"Send /challenge rejudge {view.id} to judge old submissions again.")


def closed(view: ChallengeView) -> str:
    """``/challenge close``."""
    return f"Challenge #{view.id} ({view.title}) is closed."


def rejudging(challenge_id: int, count: int) -> str:
    """``/challenge rejudge``."""
    return (f"Rejudging {values.counted(count, 'submission')} of challenge #{challenge_id}; "
            "members "
            "whose verdict changes get a DM.")


def similar(challenge_id: int, pairs: Sequence[SimilarPair]) -> str:
    """``/challenge similar``: pairs of near-identical accepted submissions."""
    if not pairs:
        return f"No near-identical accepted submissions for challenge #{challenge_id}."
    lines = [f"Near-identical accepted submissions for challenge #{challenge_id} "
             "(comments, layout and names ignored):"]
    lines += [f"{round(p.ratio * 100)}% · #{p.first.submission_id} "
              f"{neutralise_line(p.first.member_name, 60)} ↔ #{p.second.submission_id} "
              f"{neutralise_line(p.second.member_name, 60)}" for p in pairs]
    return truncate("\n".join(lines))


def stats(found: ChallengeStats, zone: ZoneInfo) -> str:
    """``/challenge stats``: counts, verdicts and the leaderboard."""
    c = found.challenge
    verdicts = ", ".join(f"{v} {n}" for v, n in sorted(found.verdicts.items())) or "none yet"
    lines = [
        f"Challenge #{c.id} ({c.title}): {values.counted(found.submissions, 'submission')} "
        f"from {values.counted(found.members, 'member')}, {found.solves} solved. "
        f"In the judge queue: {found.queued}.",
        f"Verdicts: {verdicts}",
    ]
    if found.leaderboard:
        lines.append("Leaderboard:")
        lines += [f"{r.rank}. {neutralise_line(r.display_name, 60)} — "
                  f"{when(r.solved_at, zone)}, {r.attempts} "
                  f"attempt{'s' if r.attempts != 1 else ''}{' (first solve)' if r.first else ''}"
                  for r in found.leaderboard]
    return truncate("\n".join(lines))


def fence_unclosed() -> str:
    """A ``/submit`` whose ``` block is never closed (refused, not counted as an attempt)."""
    return "Your code block is not closed: end it with ``` and send it again."
