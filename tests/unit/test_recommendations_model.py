"""The recommendation rules: what an order teaches, how affinity is normalised, how trending decays
and how a personal list is composed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce.recommendations.model import (
    MAX_PRODUCTS_PER_ORDER,
    ORDER_LINE_WEIGHT,
    TRENDING_DECAY,
    UNIT_SOLD_WEIGHT,
    OrderActivity,
    Purchase,
    PurchasedLine,
    Trending,
    TrendingProduct,
    Weights,
    affinity_of,
    compose,
    hour_of,
    most_recent,
    ranked_counts,
    trending_hours,
    trending_scores,
)

NOW = datetime(2025, 1, 15, 12, 34, 56, tzinfo=UTC)
HOUR = timedelta(hours=1)


def order(lines: list[tuple[str, str, int]], categories: dict[str, str] | None = None) -> OrderActivity:
    return OrderActivity.of("o-1", "c-1", lines, categories or {}, NOW, NOW)


# ------------------------------------------------------------------------------------ what an order teaches


def test_an_order_counts_every_two_distinct_products_as_bought_together_in_both_directions() -> None:
    activity = order([("p1", "s1", 1), ("p2", "s1", 2), ("p3", "s2", 1)])

    assert set(activity.pairs) == {
        ("p1", "p2"),
        ("p2", "p1"),
        ("p1", "p3"),
        ("p3", "p1"),
        ("p2", "p3"),
        ("p3", "p2"),
    }


def test_a_product_on_two_lines_is_one_product_and_never_its_own_partner() -> None:
    activity = order([("p1", "s1", 1), ("p1", "s1", 2), ("p2", "s1", 1)])

    assert activity.products == ("p1", "p2")
    assert set(activity.pairs) == {("p1", "p2"), ("p2", "p1")}
    assert activity.activity == {"p1": 3 * UNIT_SOLD_WEIGHT, "p2": UNIT_SOLD_WEIGHT}


def test_a_one_product_order_has_no_pairs() -> None:
    assert order([("p1", "s1", 4)]).pairs == ()


def test_an_order_teaches_about_its_first_distinct_products_only() -> None:
    lines = [(f"p{i:02d}", f"s{i:02d}", 1) for i in range(20)]
    activity = order(lines, {f"p{i:02d}": f"cat{i:02d}" for i in range(20)})

    assert activity.products == tuple(f"p{i:02d}" for i in range(MAX_PRODUCTS_PER_ORDER))
    assert len(activity.pairs) == MAX_PRODUCTS_PER_ORDER * (MAX_PRODUCTS_PER_ORDER - 1)
    assert set(activity.activity) == set(activity.products)
    assert set(activity.affinity.sellers) == {f"s{i:02d}" for i in range(MAX_PRODUCTS_PER_ORDER)}
    assert set(activity.affinity.categories) == {f"cat{i:02d}" for i in range(MAX_PRODUCTS_PER_ORDER)}


def test_the_cap_keeps_an_order_inside_one_dynamodb_transaction() -> None:
    n = MAX_PRODUCTS_PER_ORDER
    # marker + tombstone + affinity, then a purchase and an activity counter per product, and the pairs.
    assert 3 + n + n + n * (n - 1) <= 100


def test_every_line_leans_the_customer_towards_its_category_and_seller() -> None:
    activity = order(
        [("p1", "s1", 5), ("p2", "s1", 1), ("p3", "s2", 1)], {"p1": "audio", "p2": "audio", "p3": "kitchen"}
    )

    assert activity.affinity == Weights(
        {"audio": 2 * ORDER_LINE_WEIGHT, "kitchen": ORDER_LINE_WEIGHT},
        {"s1": 2 * ORDER_LINE_WEIGHT, "s2": ORDER_LINE_WEIGHT},
    )
    # Trending counts units sold, affinity counts lines: five of one thing is one choice.
    assert activity.activity["p1"] == 5 * UNIT_SOLD_WEIGHT


def test_a_product_gone_from_the_catalogue_still_counts_for_its_seller_pairs_and_activity() -> None:
    activity = order([("gone", "s1", 1), ("p2", "s2", 1)], {"p2": "audio"})

    assert activity.affinity == Weights({"audio": ORDER_LINE_WEIGHT}, {"s1": 3, "s2": 3})
    assert ("gone", "p2") in activity.pairs
    assert "gone" in activity.activity


@pytest.mark.parametrize("line", [("p1", "s1", 0), ("", "s1", 1)])
def test_a_line_that_sold_nothing_is_a_bug(line: tuple[str, str, int]) -> None:
    with pytest.raises(ValueError, match="not an order line"):
        order([line])


def test_lines_are_the_events_tuples() -> None:
    assert order([PurchasedLine("p1", "s1", 1)]).products == order([("p1", "s1", 1)]).products


def test_times_without_a_timezone_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        hour_of(datetime(2025, 1, 15, 12))


def test_activity_lands_in_the_utc_hour_it_happened() -> None:
    from zoneinfo import ZoneInfo

    paris = datetime(2025, 1, 15, 13, 59, 59, tzinfo=ZoneInfo("Europe/Paris"))

    assert hour_of(paris) == datetime(2025, 1, 15, 12, tzinfo=UTC)


# ------------------------------------------------------------------------------------------------- affinity


def test_affinity_divides_each_weight_by_the_largest_of_its_kind() -> None:
    affinity = affinity_of(Weights({"audio": 12, "kitchen": 3}, {"s1": 2, "s2": 8}))

    assert affinity.categories == {"audio": 1.0, "kitchen": 0.25}
    assert affinity.sellers == {"s2": 1.0, "s1": 0.25}


def test_affinity_keeps_the_top_five_of_each_kind_ties_by_id() -> None:
    weights = Weights({f"cat{i}": 10 - i for i in range(8)} | {"a-tie": 6}, {"only": 1})

    affinity = affinity_of(weights)

    assert list(affinity.categories) == ["cat0", "cat1", "cat2", "cat3", "a-tie"]
    assert all(0 < weight <= 1 for weight in affinity.categories.values())
    assert affinity.sellers == {"only": 1.0}


def test_no_history_is_an_empty_affinity() -> None:
    assert not affinity_of(Weights())
    assert not affinity_of(Weights({"audio": 0}, {}))


# ------------------------------------------------------------------------------------------------- trending


def test_trending_sums_the_last_24_hours_each_hour_of_age_costing_a_tenth() -> None:
    current = hour_of(NOW)
    buckets = {current: {"a": 10}, current - HOUR: {"a": 10, "b": 30}, current - 23 * HOUR: {"c": 100}}

    scores = dict(trending_scores(buckets, NOW))

    assert scores["a"] == pytest.approx(10 + 10 * TRENDING_DECAY)
    assert scores["b"] == pytest.approx(30 * TRENDING_DECAY)
    assert scores["c"] == pytest.approx(100 * TRENDING_DECAY**23)


def test_trending_ignores_buckets_outside_the_window() -> None:
    current = hour_of(NOW)
    buckets = {current - 24 * HOUR: {"old": 1000}, current + HOUR: {"future": 1000}, current: {"now": 1}}

    assert trending_scores(buckets, NOW) == [("now", 1.0)]


def test_a_steady_seller_outranks_yesterdays_burst() -> None:
    current = hour_of(NOW)
    buckets = {current - age * HOUR: {"steady": 5} for age in range(6)}
    buckets[current - 22 * HOUR] = {"burst": 100}

    assert [product for product, _ in trending_scores(buckets, NOW)] == ["steady", "burst"]


def test_trending_ties_are_ordered_by_id() -> None:
    assert [p for p, _ in trending_scores({hour_of(NOW): {"b": 3, "a": 3, "c": 4}}, NOW)] == ["c", "a", "b"]


def test_the_window_is_the_current_hour_and_the_23_before_it() -> None:
    hours = trending_hours(NOW)

    assert len(hours) == 24
    assert hours[0] == datetime(2025, 1, 15, 12, tzinfo=UTC)
    assert hours[-1] == datetime(2025, 1, 14, 13, tzinfo=UTC)


# -------------------------------------------------------------------------------------------------- ranking


def test_counts_rank_most_first_then_by_id() -> None:
    assert ranked_counts({"b": 2, "a": 2, "c": 5}) == [("c", 5), ("a", 2), ("b", 2)]
    assert ranked_counts({"b": 2, "a": 2, "c": 5}, 1) == [("c", 5)]


def test_most_recent_purchases_come_first_and_only_so_many() -> None:
    purchases = [Purchase(f"p{i}", NOW - i * HOUR) for i in range(12)]

    recent = most_recent(reversed(purchases), 10)

    assert [p.product_id for p in recent] == [f"p{i}" for i in range(10)]


def trending_of(*entries: tuple[str, str]) -> Trending:
    return Trending(tuple(TrendingProduct(p, 1.0, c) for p, c in entries), NOW)


def test_a_personal_list_is_bought_together_then_trending_in_favourite_categories_then_trending() -> None:
    trending = trending_of(("t1", "kitchen"), ("t2", "audio"), ("a", "audio"), ("t3", "garden"))

    chosen = compose(["a", "b"], trending, ["audio"], exclude=["bought"], limit=10)

    assert chosen == ["a", "b", "t2", "t1", "t3"]


def test_a_personal_list_never_shows_what_was_bought_nor_a_product_twice() -> None:
    trending = trending_of(("bought", "audio"), ("t1", "audio"), ("t1", "audio"))

    assert compose(["bought", "a", "a"], trending, ["audio"], exclude={"bought"}, limit=10) == ["a", "t1"]


def test_a_personal_list_stops_at_its_limit() -> None:
    trending = trending_of(("t1", "audio"), ("t2", "audio"))

    assert compose(["a", "b"], trending, [], exclude=(), limit=3) == ["a", "b", "t1"]
