"""The learned blend wired into the bot (#15.2, #15.4, #15.5): who it ranks, what it says,
what it learns from, and that it is refitted off the event loop."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.app import App
from bot.core.clock import FixedClock
from bot.services.events import Answer, EventSpec
from tests.harness import Chat, Sent
from tests.services.recommendations.conftest import member
from tests.services.recommendations.test_service import ids_in


async def hosted(app: App, host: str, title: str, days: float, description: str) -> int:
    """A session created by ``host`` (its organiser) ``days`` from now."""
    author = await member(app, host)
    view = await app.features.events.create(author, EventSpec(
        title=title, start=app.clock.now() + timedelta(days=days), description=description),
        None)
    return view.id


async def regular_of_kim(app: App, clock: FixedClock) -> None:
    """maya goes to three of kim's sessions on unrelated topics, which then take place."""
    maya = await member(app, "maya")
    for n, (title, text) in enumerate((("Wheel throwing", "clay on the pottery wheel"),
                                       ("Street photography", "composition walk in town"),
                                       ("Rust ownership", "borrowing and lifetimes"))):
        event = await hosted(app, "kim", title, 1 + n, text)
        await app.features.events.rsvp(maya, event, Answer.GOING)
    clock.advance(timedelta(days=5))


async def test_a_regular_is_ranked_by_the_blend_and_told_the_feature_that_ranked(
    app: App, chat: Chat, clock: FixedClock
):
    await regular_of_kim(app, clock)
    # Nothing in maya's history is about knitting; only the organiser links her to kim's.
    sooner = await hosted(app, "ada", "Knitting basics", 1, "wool and needles for beginners")
    kims = await hosted(app, "kim", "Knitting night", 6, "wool and needles, bring a project")
    service = app.features.recommendations
    assert await service.refit() is False  # a tiny community: the fixed weights

    text = await chat.text("/recommend 2", who="maya")
    assert ids_in(text) == [kims, sooner], text
    line = next(x for x in text.splitlines() if f"#{kims} " in x)
    assert "from an organiser whose sessions you often attend" in line, text

    # A newcomer (no history) is still ranked by the hybrid: popular/soon, no organiser talk.
    newcomer = await chat.text("/recommend 2", who="lee")
    assert "organiser" not in newcomer and ids_in(newcomer)[0] == sooner


async def test_a_decline_and_a_thumbs_down_are_never_suggested_to_a_regular(
    app: App, chat: Chat, clock: FixedClock
):
    await regular_of_kim(app, clock)
    first = await hosted(app, "kim", "Knitting night", 2, "wool and needles")
    second = await hosted(app, "kim", "Glazing evening", 3, "glazes for stoneware")
    third = await hosted(app, "kim", "Darkroom printing", 4, "film photography")
    maya = await member(app, "maya")
    await app.features.events.rsvp(maya, first, Answer.NO)
    await chat.say(f"/recommend feedback {second} down", who="maya")

    shown = ids_in(await chat.text("/recommend 5", who="maya"))
    assert shown == [third]


async def test_the_digest_uses_the_blend_and_sends_nothing_without_a_clear_reason(
    app: App, chat: Chat, clock: FixedClock, sent: Sent
):
    await regular_of_kim(app, clock)
    kims = await hosted(app, "kim", "Knitting night", 6, "wool and needles")
    await hosted(app, "ada", "Chess club", 2, "openings and endgames")
    await chat.say("/profile digests=on", who="maya")
    assert await app.features.recommendations.send_digests() == 1
    await app.outbox.sweep()
    digest = sent.to("dm:maya")[0]
    assert f"#{kims} " in digest and "Chess club" not in digest, digest
    assert "from an organiser whose sessions you often attend" in digest


async def test_refits_run_in_a_thread_once_a_day_from_the_refresh_job(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
):
    from recommender import blend

    await regular_of_kim(app, clock)
    threads: list[str] = []
    real = blend.fit_blend

    def spy(*args, **kwargs):  # the real fit; records which thread ran it
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(blend, "fit_blend", spy)
    service = app.features.recommendations
    await service.refresh()
    await service.refresh()  # the same day: no second fit
    clock.advance(timedelta(days=1))
    await service.refresh()
    assert len(threads) == 2
    assert threading.main_thread().name not in threads


async def test_the_bot_learns_the_blend_from_its_own_database(
    app: App, chat: Chat, monkeypatch: pytest.MonkeyPatch
):
    """A generated community stored as events and RSVPs: the refit learns real weights.

    Members' declared interests (their planted topics) reach the training examples, so the
    interest feature's weight is learned, not borrowed.
    """
    from recommender import blend
    from recommender.features import F, ItemTable
    from recommender.synthetic import synthetic_community
    from storage.rows.events import EventRow, RsvpRow

    community = synthetic_community(users=100, weeks=12, seed=3)
    data = community.dataset
    fitted: list[blend.LinearBlend] = []
    real = blend.fit_blend

    def spy(*args, **kwargs):
        fitted.append(real(*args, **kwargs))
        return fitted[-1]

    monkeypatch.setattr(blend, "fit_blend", spy)
    tables: list[ItemTable] = []
    real_examples = blend.training_set

    def examples(table: ItemTable, *args, **kwargs):
        tables.append(table)
        return real_examples(table, *args, **kwargs)

    monkeypatch.setattr(blend, "training_set", examples)
    now = app.clock.now()
    last = max(i.time for i in data.items if i.time is not None)
    shift = now + timedelta(days=14) - last  # the data's last fortnight is still upcoming
    members = {u: (await member(app, u)).member_id
               for u in dict.fromkeys(i.user_id for i in data.interactions)}
    hosts = {g: (await member(app, f"host {g}")).member_id for g in {i.group for i in data.items}}
    async with app.db.unit() as unit:
        events = {}
        for item in data.items:
            assert item.time is not None
            row = await unit.events.add(EventRow(
                title=item.text.split(":")[0], description=item.text,
                starts_at=item.time + shift, created_at=(item.created or item.time) + shift,
                created_by=hosts[item.group], status="scheduled"))
            events[item.item_id] = row.id
        for it in data.interactions:
            made = it.known_at + shift
            if made <= now:  # nothing from the future is in the database
                await unit.rsvps.add(RsvpRow(
                    event_id=events[it.item_id], member_id=members[it.user_id], status="going",
                    queued_at=made, created_at=made, updated_at=made))
        for u, member_id in members.items():
            await unit.members.update(member_id,
                                      interests=", ".join(community.favourite_topics[u]))
    service = app.features.recommendations
    assert await service.refit() is True
    assert fitted[-1].coef[F["interest"]] > 0  # learned from what members declared
    # Sessions are announced when they were created: what their RSVPs per day count from.
    announced = sorted((i.created or i.time) + shift for i in data.items if i.time)
    assert sorted(tables[-1].announced) == pytest.approx([a.timestamp() for a in announced])
    regular = max(members, key=lambda u: sum(i.user_id == u for i in data.interactions))
    text = await chat.text("/recommend 5", who=regular)
    assert len(ids_in(text)) == 5 and "·" in text  # ranked by the blend, with reasons


async def test_refit_on_an_empty_community_keeps_the_fixed_weights(app: App, chat: Chat):
    assert await app.features.recommendations.refit() is False
    assert await app.features.recommendations.refresh() == 0
    assert "Nothing to suggest right now" in await chat.text("/recommend", who="maya")


async def test_a_declared_interest_moves_a_regulars_learned_ranking(
    app: App, chat: Chat, clock: FixedClock
):
    """The blend's interest feature is fed: what a regular says they are into ranks."""
    await regular_of_kim(app, clock)
    chess = await hosted(app, "ada", "Chess club", 1, "chess openings and endgames")
    knitting = await hosted(app, "ada", "Knitting night", 3, "wool and needles")
    # Knitting is on a weekday maya keeps (habit); nothing says she likes chess.
    assert ids_in(await chat.text("/recommend 2", who="maya")) == [knitting, chess]

    await chat.say('/profile interests="chess"', who="maya")
    text = await chat.text("/recommend 2", who="maya")
    assert ids_in(text) == [chess, knitting], text
    assert "organiser" not in text  # still the blend's ranking, not the hybrid's


@pytest.mark.parametrize("learned", [False, True])
def test_the_digests_fast_ranking_picks_what_the_full_feature_block_picks(monkeypatch, learned):
    """`LearnedRanker.rank` (factored scores, blocks on two threads, exclusions as
    coordinates, declared interests per block) against the straightforward reference: every
    feature of every (member, candidate) pair, one weighted sum, one mask, one top-k."""
    import asyncio

    import numpy as np

    import bot.services.recommendations.learned as learned_module
    from benchmarks.community import generate
    from bot.services.recommendations.blend_reasons import DeclaredInterests
    from recommender.blend import rank
    from recommender.features import FeatureSpace

    community = generate(400, 60, 120, seed=3)
    inputs = community.inputs
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((30, inputs.table.semantic.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    declared = DeclaredInterests(tuple(f"topic {n}" for n in range(30)), vectors, {
        m: tuple(int(i) for i in rng.choice(30, 1 + m % 2, replace=False))
        for m in community.member_ids if m % 3})
    ranker = learned_module.LearnedRanker(FixedClock(community.now))
    if learned:
        assert asyncio.run(ranker.refit(inputs))
    monkeypatch.setattr(learned_module, "CHUNK", 64)  # several blocks on both workers
    fast = ranker.rank(inputs, community.member_ids, community.candidates, 5,
                       community.exclude, declared)
    assert len(fast) > 100

    snap = inputs.log.snapshot(inputs.table, community.now.timestamp())
    rows = np.array([inputs.row_of_member[int(m)] for m in fast.member_ids])
    cands = np.array(sorted(inputs.row_of_event[c] for c in community.candidates))
    said = np.zeros((inputs.log.n_members, inputs.table.semantic.shape[1]), np.float32)
    said[rows] = declared.block(fast.member_ids.tolist())
    space = FeatureSpace.build(inputs.table, snap, cands, said)
    mask = np.asarray(snap.known[rows][:, cands].todense()) > 0  # own RSVPs
    column = {int(inputs.event_ids[c]): n for n, c in enumerate(cands)}
    position = {int(r): n for n, r in enumerate(rows)}
    feedback = inputs.feedback
    for who, item, label in zip(feedback.member, feedback.item, feedback.label, strict=True):
        if label == 0 and int(who) in position and int(inputs.event_ids[item]) in column:
            mask[position[int(who)], column[int(inputs.event_ids[item])]] = True
    for n, member_id in enumerate(fast.member_ids.tolist()):
        for event in community.exclude.get(member_id, ()):
            if event in column:
                mask[n, column[event]] = True
    blend = learned_module._with_interest(ranker.blend)
    full = rank(blend, space.block(rows), cands, 5, exclude=mask)
    expected = np.where(full.items >= 0, inputs.event_ids[np.maximum(full.items, 0)], -1)
    assert np.array_equal(fast.item_ids, expected)
    np.testing.assert_allclose(fast.scores, full.scores, atol=1e-4)
