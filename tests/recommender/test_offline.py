"""The strict protocol: leak-free by construction, and the hybrid against its baselines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from recommender.blend import FEEDBACK_WEIGHT, FIXED, Feedback, fit_blend, rank, training_set
from recommender.dataset import Dataset, DatasetInteraction, DatasetItem, DatasetJoin
from recommender.encoders import TfidfEncoder
from recommender.features import FEATURES, ItemTable, RsvpHistory, Snapshot, compute_features
from recommender.offline import STRICT_PROTOCOL, evaluate_strict, strict_split
from recommender.synthetic import SHAPES, synthetic_community
from tests.recommender.arrays import history_arrays

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def _leak_bait(members: int = 40, sessions: int = 40) -> Dataset:
    """Everyone trains on the same four sessions, then goes to one of two later hits.

    Every RSVP to a hit is made an hour before it starts, long after every cut-off: counted
    by mistake, popularity would put the hits on top for everyone.
    """
    items = [DatasetItem(f"a{n}", f"intro evening part {n}", T0 + timedelta(days=n))
             for n in range(4)]
    later = [DatasetItem(f"s{n}", f"session number {n} on subject {n * 7 % 13}",
                         T0 + timedelta(days=10, hours=5 * n)) for n in range(sessions)]
    hits = (later[7], later[23])
    rows: list[DatasetInteraction] = []
    for m in range(members):
        for item in items:
            assert item.time is not None
            rows.append(DatasetInteraction(f"m{m}", item.item_id, item.time, None,
                                           item.time - timedelta(days=1)))
        hit = hits[m % 2]
        assert hit.time is not None
        rows.append(DatasetInteraction(f"m{m}", hit.item_id, hit.time, None,
                                       hit.time - timedelta(hours=1)))
    return Dataset(tuple(items + later), tuple(rows))


def test_popularity_learns_nothing_from_rsvps_made_after_the_cut_off(monkeypatch):
    data = _leak_bait()
    encoder = TfidfEncoder([i.text for i in data.items])
    strict = evaluate_strict(data, encoder, k=10)
    assert strict.users == 40
    assert strict.ndcg("popularity") < 0.3  # chance: one relevant among 40 candidates

    # The data set has teeth: a snapshot that knows every RSVP lifts popularity near 1.
    honest = RsvpHistory.snapshot

    def leaky(self: RsvpHistory, table: ItemTable, now: float) -> Snapshot:
        return Snapshot(now, honest(self, table, float("inf")).known, honest(self, table, now).past)

    monkeypatch.setattr(RsvpHistory, "snapshot", leaky)
    assert evaluate_strict(data, encoder, k=10).ndcg("popularity") > 0.6


def _join_bait(joined_after_cut_off: bool) -> Dataset:
    """Each member joins one group and later goes to its only session, their one hit.

    Nothing else tells the hits apart (they start together and no RSVP to them is known by
    any cut-off), so only the join can lift them: made before the cut-off it should, made
    after it must not.
    """
    intro = [DatasetItem(f"a{n}", f"intro evening part {n}", T0 + timedelta(days=n), "intro")
             for n in range(4)]
    later = [DatasetItem(f"s{n}", f"session number {n} on subject {n * 7 % 13}",
                         T0 + timedelta(days=10), f"g{n}") for n in range(40)]
    rows: list[DatasetInteraction] = []
    joins: list[DatasetJoin] = []
    for m in range(40):
        rows += [DatasetInteraction(f"m{m}", a.item_id, a.time, None, a.time - timedelta(days=1))
                 for a in intro if a.time is not None]
        hit = later[(7 * m) % 40]
        assert hit.time is not None
        rows.append(DatasetInteraction(f"m{m}", hit.item_id, hit.time, None,
                                       hit.time - timedelta(hours=1)))
        when = hit.time - timedelta(hours=2) if joined_after_cut_off else T0 - timedelta(days=9)
        joins.append(DatasetJoin(f"m{m}", hit.group, when))
    return Dataset(tuple(intro + later), tuple(rows), tuple(joins))


def test_a_group_join_counts_only_once_it_was_made():
    late, early = _join_bait(joined_after_cut_off=True), _join_bait(joined_after_cut_off=False)
    encoder = TfidfEncoder([i.text for i in late.items])
    assert evaluate_strict(late, encoder, k=10).ndcg("hybrid") < 0.4  # chance: 1 of 40
    assert evaluate_strict(early, encoder, k=10).ndcg("hybrid") > 0.9  # the join has teeth


def test_the_split_holds_out_the_last_fifth_by_start_and_skips_light_members():
    rows = [DatasetInteraction("ann", f"i{n}", T0 + timedelta(days=n)) for n in range(10)]
    rows += [DatasetInteraction("bob", f"i{n}", T0 + timedelta(days=n)) for n in range(4)]
    split = strict_split(list(reversed(rows)))
    assert set(split.cutoffs) == {"ann"}
    assert split.held_out["ann"] == {"i8", "i9"}
    assert split.cutoffs["ann"] == T0 + timedelta(days=7)


def test_a_members_own_rsvp_never_counts_towards_popularity():
    starts = np.array([0.0, 86400.0 * 10])
    table = ItemTable.build(["alpha talk", "beta talk"], np.eye(2, dtype=np.float32), starts)
    log = RsvpHistory(member=np.array([0, 0, 1]), item=np.array([0, 1, 1]),
                         created=np.array([-1.0, 5.0, 6.0]), n_members=2)
    feats = compute_features(table, log.snapshot(table, 86400.0), np.array([0, 1]),
                             np.array([1]))
    pop = feats[FEATURES.index("popularity")][:, 0]
    assert pop.tolist() == pytest.approx([np.log1p(1), np.log1p(1)])  # the other one's RSVP


def test_rsvps_are_read_against_the_time_since_announcement():
    """Two sessions with one other RSVP each: announced 10 days and 1 day before `now`."""
    day = 86400.0
    starts = np.array([0.0, 20 * day, 20 * day, 20 * day, 20 * day])
    announced = np.array([np.nan, 0.0, 9 * day, 15 * day, np.nan])
    table = ItemTable.build(["alpha talk", "beta talk", "gamma talk", "delta talk", "eps talk"],
                            np.eye(5, dtype=np.float32), starts, announced=announced)
    log = RsvpHistory(member=np.array([0, 1, 1, 1]), item=np.array([0, 1, 2, 4]),
                      created=np.array([-1.0, 9.5 * day, 9.5 * day, 9.5 * day]), n_members=2)
    feats = compute_features(table, log.snapshot(table, 10 * day), np.array([0]),
                             np.array([1, 2, 3, 4]))
    momentum = feats[FEATURES.index("momentum")][0]
    # Per day since announcement: 10 days for one, 1 for the other; unknown -> first RSVP.
    assert momentum.tolist() == pytest.approx([np.log1p(1 / 11), np.log1p(1 / 2), 0.0,
                                               np.log1p(1 / 1.5)])
    # Half the window is ahead of the first, nearly all of the second's; the third is not
    # announced yet (all ahead), the fourth's announcement is unknown (no claim: 0).
    ahead = feats[FEATURES.index("ahead")][0]
    assert ahead.tolist() == pytest.approx([0.5, 10 / 11, 1.0, 0.0])


@pytest.fixture(scope="module")
def community():
    return synthetic_community(users=90, weeks=12, seed=5, shape="campus").dataset


def test_the_report_prints_the_protocol_and_every_method(community):
    report = evaluate_strict(community, TfidfEncoder([i.text for i in community.items]))
    assert [m.method for m in report.methods] == ["popularity", "tfidf", "embeddings", "hybrid"]
    assert report.description[: len(STRICT_PROTOCOL)] == STRICT_PROTOCOL
    assert report.users > 30
    hybrid = report.ndcg("hybrid")
    assert hybrid > report.ndcg("popularity")
    best = max(report.methods[:3], key=lambda m: m.ndcg)
    assert hybrid >= best.ndcg_low  # never clearly worse than the best baseline (G9)
    assert report.as_dict()["ratio"] == pytest.approx(report.ratio)


def test_the_blend_learns_from_history_and_explains_its_picks(community):
    table, log, starts = history_arrays(community)
    at = float(np.quantile(starts, 0.7))
    x, y, weights = training_set(table, log, at)
    assert np.all(weights == 1.0)  # no explicit feedback: every example counts the same
    blend = fit_blend(x, y)
    assert blend.learned and blend is not FIXED
    assert fit_blend(x[:10], y[:10]) is FIXED  # too little history: fixed weights
    members = np.arange(10)
    cands = np.flatnonzero(starts > at)
    ranked = rank(blend, compute_features(table, log.snapshot(table, at), members, cands), cands, 5)
    assert ranked.items.shape == (10, 5) and ranked.contributions.shape == (10, 5, len(FEATURES))
    assert np.all(np.diff(ranked.scores, axis=1) <= 1e-6)
    assert all(set(r) <= set(FEATURES) for r in ranked.reasons())


def test_a_community_six_weeks_old_already_learns_its_blend():
    """Weekly lookbacks and short histories count: the first weeks are not fixed weights."""
    table, log, starts = history_arrays(synthetic_community(seed=2).dataset)
    at = float(starts.min()) + 6 * 7 * 86400.0
    x, y, _ = training_set(table, log, at)
    assert fit_blend(x, y).learned
    # The same weeks seen only through four-week steps and long histories: too little.
    old_y = training_set(table, log, at, lookbacks_days=(14.0, 28.0, 42.0, 56.0),
                         min_history=4)[1]
    assert int(old_y.sum()) < int(y.sum()) / 3


def test_thumbs_and_declines_are_labelled_examples_never_sampled_away(community):
    table, log, starts = history_arrays(community)
    at = float(np.quantile(starts, 0.7))
    recent = np.flatnonzero((starts > at - 14 * 86400) & (starts <= at))
    went = set(zip(log.member.tolist(), log.item.tolist(), strict=True))
    regulars = np.flatnonzero(np.bincount(log.member, minlength=log.n_members) >= 12)
    pairs = [(int(m), int(i)) for m in regulars for i in recent if (m, i) not in went][:60]
    refused, liked = pairs[:40], pairs[40:]
    said = Feedback(
        member=np.array([m for m, _ in pairs]),
        item=np.array([i for _, i in pairs]),
        created=np.full(len(pairs), at - 3600.0),
        label=np.array([0] * len(refused) + [1] * len(liked)),
    )
    _, plain_y, _ = training_set(table, log, at)
    x, y, weights = training_set(table, log, at, feedback=said)
    told = weights == FEEDBACK_WEIGHT
    # Every lookback keeps every refusal (never sampled away) and every 👍 as a positive.
    assert told.sum() >= len(pairs) and np.sum(y[told] == 0) >= len(refused)
    assert np.sum(y[told] == 1) >= len(liked) and y.sum() > plain_y.sum()
    # Feedback given after the refit time is not known to it.
    later = Feedback(said.member, said.item, np.full(len(pairs), at + 3600.0), said.label)
    assert not np.any(training_set(table, log, at, feedback=later)[2] == FEEDBACK_WEIGHT)
    assert fit_blend(x, y, weights).learned


def test_generated_shapes_differ_and_look_like_real_communities():
    meetups = synthetic_community(seed=1, users=60, weeks=8).dataset
    campus = synthetic_community(seed=1, users=60, weeks=8, shape="campus").dataset
    assert len({i.group for i in meetups.items}) < len({i.group for i in campus.items})
    for data in (meetups, campus):
        texts = [i.text for i in data.items]
        assert len(set(texts)) < len(texts)  # recurring series reuse their text
        assert all(i.created is not None and i.created < i.timestamp for i in data.interactions)
        # Sessions are announced days ahead; their RSVPs come between announcement and start.
        announced = {i.item_id: i.created for i in data.items}
        assert all(a is not None and i.time is not None and a < i.time - timedelta(days=2)
                   for i in data.items for a in [i.created])
        assert all(announced[i.item_id] <= i.known_at for i in data.interactions)
        assert all(i.group for i in data.items)
    # The planted chances are what the RSVPs were drawn from.
    community = synthetic_community(seed=1, users=60, weeks=8)
    row = {item.item_id: n for n, item in enumerate(community.dataset.items)}
    went = np.zeros(community.chance.shape, dtype=bool)
    for it in community.dataset.interactions:
        went[row[it.item_id], int(it.user_id[1:])] = True
    assert community.chance[went].mean() > 5 * community.chance[~went].mean()


def test_generated_joins_are_a_membership_log_apart_from_attendance():
    community = synthetic_community(seed=4, users=80, weeks=10, shape="campus")
    data = community.dataset
    group_of = {i.item_id: i.group for i in data.items}
    first_join: dict[tuple[str, str], datetime] = {}
    for j in data.joins:
        first_join.setdefault((j.user_id, j.group), j.created)
    assert len(first_join) == len(data.joins)  # a group is joined once
    came = {(i.user_id, group_of[i.item_id]) for i in data.interactions}
    joined_first = [(i.user_id, group_of[i.item_id]) in first_join
                    and first_join[i.user_id, group_of[i.item_id]] <= i.known_at
                    for i in data.interactions]
    # RSVPs go to groups joined earlier far more often than membership alone would give.
    groups = {i.group for i in data.items}
    density = len(first_join) / (80 * len(groups))
    assert np.mean(joined_first) > 1.5 * density
    assert len(set(first_join) - came) > len(first_join) / 4  # joined, never came
    # Joins draw on their own generator: the RSVPs of a seed are what they were without them.
    plain = synthetic_community(seed=4, users=80, weeks=10,
                                shape=replace(SHAPES["campus"], idle_joins=0.0)).dataset
    assert plain.interactions == data.interactions and len(plain.joins) < len(data.joins)
