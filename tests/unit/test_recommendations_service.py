"""Specification of the recommendation use cases, run against an in-memory store, the catalogue's
fake repository and a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from commerce.catalog.model import Availability, Product, ProductStatus
from commerce.errors import InvalidInput
from commerce.money import Money
from commerce.recommendations.model import ORDER_LINE_WEIGHT, RECOMMENDATIONS_TTL, UNIT_SOLD_WEIGHT, Trending
from commerce.recommendations.service import MAX_LIMIT, RecommendationService
from unit.fakes import FakeProductRepository, FixedClock
from unit.recommendation_fakes import FakeRecommendationStore

START = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def product(
    product_id: str,
    category_id: str = "audio",
    seller_id: str = "seller-1",
    status: ProductStatus = ProductStatus.ACTIVE,
    availability: Availability = Availability.IN_STOCK,
) -> Product:
    return Product(
        product_id=product_id,
        seller_id=seller_id,
        name=product_id.title(),
        description="",
        price=Money(1999, "USD"),
        category_id=category_id,
        created_at=START,
        updated_at=START,
        status=status,
        availability=availability,
    )


@dataclass
class World:
    service: RecommendationService
    store: FakeRecommendationStore
    products: FakeProductRepository
    clock: FixedClock
    orders: int = 0

    def list(self, *products: Product) -> None:
        for item in products:
            self.products.add(item)

    def archive(self, product_id: str) -> None:
        self.products.items[product_id] = replace(
            self.products.items[product_id], status=ProductStatus.ARCHIVED
        )

    def buy(self, customer_id: str, *product_ids: str, quantity: int = 1, at: datetime | None = None) -> str:
        """A confirmed order of ``product_ids``, each from its own seller as listed."""
        self.orders += 1
        order_id = f"order-{self.orders}"
        lines = [
            (pid, self.products.items[pid].seller_id if pid in self.products.items else "gone", quantity)
            for pid in product_ids
        ]
        assert self.service.record_order(order_id, customer_id, lines, at or self.clock())
        return order_id

    def view(self, customer_id: str, product_id: str, times: int = 1, at: datetime | None = None) -> None:
        for _ in range(times):
            self.service.record_view(customer_id, product_id, at or self.clock())


@pytest.fixture
def world() -> World:
    store, products, clock = FakeRecommendationStore(), FakeProductRepository(), FixedClock(START)
    return World(RecommendationService(store=store, products=products, clock=clock), store, products, clock)


# --------------------------------------------------------------------------------------------------- orders


def test_an_order_delivered_twice_is_learned_from_once(world: World) -> None:
    world.list(product("p1"), product("p2"))
    lines = [("p1", "seller-1", 1), ("p2", "seller-1", 1)]

    assert world.service.record_order("order-1", "ada", lines, START) is True
    assert world.service.record_order("order-1", "ada", lines, START) is False

    assert world.service.bought_together("p1") == [("p2", 1)]
    assert world.store.affinity_weights("ada").sellers == {"seller-1": 2 * ORDER_LINE_WEIGHT}


def test_an_order_without_lines_teaches_nothing(world: World) -> None:
    assert world.service.record_order("order-1", "ada", [], START) is False
    assert world.store.orders == set()


def test_an_order_leans_the_buyer_towards_the_categories_of_what_they_bought(world: World) -> None:
    world.list(product("p1", "audio", "s1"), product("p2", "kitchen", "s2"))

    world.buy("ada", "p1", "p2")

    assert world.store.affinity_weights("ada").categories == {"audio": 3, "kitchen": 3}


# ---------------------------------------------------------------------------------------------------- views


def test_a_view_leans_the_customer_lightly_towards_the_products_category_and_seller(world: World) -> None:
    world.list(product("p1", "audio", "s1"))

    assert world.service.record_view("ada", "p1") is True

    weights = world.store.affinity_weights("ada")
    assert (weights.categories, weights.sellers) == ({"audio": 1}, {"s1": 1})
    assert world.store.hourly[START] == {"p1": 1}


def test_a_view_of_a_product_the_caller_already_read_needs_no_lookup(world: World) -> None:
    listed = product("p1", "audio", "s1")
    world.list(listed)
    world.products.items.clear()  # the catalogue is not asked again

    assert world.service.record_view("ada", "p1", product=listed) is True
    assert world.store.affinity_weights("ada").categories == {"audio": 1}


def test_views_of_unknown_or_archived_products_are_ignored(world: World) -> None:
    world.list(product("p1"))
    world.archive("p1")

    assert world.service.record_view("ada", "p1") is False
    assert world.service.record_view("ada", "nope") is False

    assert not world.service.affinity("ada")
    assert not world.store.hourly


# ------------------------------------------------------------------------------------------------- affinity


def test_affinity_is_normalised_to_the_customers_favourite(world: World) -> None:
    world.list(product("p1", "audio", "s1"), product("p2", "kitchen", "s2"))
    world.buy("ada", "p1")  # audio 3, s1 3
    world.view("ada", "p2", times=6)  # kitchen 6, s2 6

    affinity = world.service.affinity("ada")

    assert affinity.categories == {"kitchen": 1.0, "audio": 0.5}
    assert affinity.sellers == {"s2": 1.0, "s1": 0.5}


def test_affinity_keeps_the_top_five_categories_and_sellers(world: World) -> None:
    for i in range(7):
        world.list(product(f"p{i}", f"cat{i}", f"s{i}"))
        world.view("ada", f"p{i}", times=10 - i)

    affinity = world.service.affinity("ada")

    assert list(affinity.categories) == [f"cat{i}" for i in range(5)]
    assert list(affinity.sellers) == [f"s{i}" for i in range(5)]
    assert affinity.categories["cat4"] == pytest.approx(6 / 10)


def test_a_customer_with_no_history_has_an_empty_affinity(world: World) -> None:
    affinity = world.service.affinity("stranger")

    assert not affinity
    assert (dict(affinity.categories), dict(affinity.sellers)) == ({}, {})


# ------------------------------------------------------------------------------------------ bought together


def test_bought_together_is_most_often_first(world: World) -> None:
    world.list(*(product(p) for p in ("p1", "a", "b", "c")))
    world.buy("u1", "p1", "a", "b")
    world.buy("u2", "p1", "b")
    world.buy("u3", "p1", "b", "c")
    world.buy("u4", "p1", "a")

    assert world.service.bought_together("p1") == [("b", 3), ("a", 2), ("c", 1)]
    assert world.service.bought_together("p1", limit=1) == [("b", 3)]
    assert world.service.bought_together("b") == [("p1", 3), ("a", 1), ("c", 1)]


@pytest.mark.parametrize("limit", [0, MAX_LIMIT + 1])
def test_a_list_longer_than_allowed_is_refused(world: World, limit: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.service.bought_together("p1", limit=limit)
    assert refused.value.code == "invalid_limit"


# ------------------------------------------------------------------------------------------------- trending


def test_trending_is_empty_before_the_first_refresh(world: World) -> None:
    assert world.service.trending() == []


def test_a_warm_function_reads_the_trending_list_once_a_minute_but_sees_its_own_refresh(world: World) -> None:
    world.list(product("kettle"), product("frother"))
    world.buy("u1", "kettle", at=START)
    world.service.refresh_trending(START)
    assert world.service.trending() == ["kettle"]

    world.store.saved_trending = Trending((), START)  # another function's refresh, unseen for a minute
    assert world.service.trending() == ["kettle"]

    world.buy("u2", "frother", quantity=5, at=START)
    world.service.refresh_trending(START)  # through this function: seen at once
    assert world.service.trending() == ["frother", "kettle"]


def test_recent_steady_sales_outrank_an_old_burst(world: World) -> None:
    world.list(product("steady"), product("burst"))
    world.buy("u0", "burst", quantity=10, at=START - timedelta(hours=20))  # 30 * 0.9**20 ~ 3.6
    for hours_ago in range(3):
        world.buy(f"u{hours_ago + 1}", "steady", at=START - timedelta(hours=hours_ago))  # 3 + 2.7 + 2.43

    stored = world.service.refresh_trending(START)

    assert [entry.product_id for entry in stored.products] == ["steady", "burst"]
    assert stored.products[1].score == pytest.approx(10 * UNIT_SOLD_WEIGHT * 0.9**20, rel=1e-5)
    assert world.service.trending() == ["steady", "burst"]


def test_activity_older_than_a_day_does_not_trend(world: World) -> None:
    world.list(product("old"))
    world.buy("u1", "old", at=START - timedelta(hours=24))

    assert world.service.refresh_trending(START).products == ()


def test_trending_keeps_only_active_products_a_customer_can_buy(world: World) -> None:
    world.list(
        product("in-stock"),
        product("low", availability=Availability.LOW_STOCK),
        product("sold-out", availability=Availability.OUT_OF_STOCK),
        product("archived"),
    )
    world.archive("archived")
    for pid in ("in-stock", "low", "sold-out"):
        world.view("u1", pid)
    world.buy("u2", "archived")
    world.buy("u3", "gone-from-catalogue")

    assert sorted(world.service.refresh_trending(START).product_ids()) == ["in-stock", "low"]


def test_the_refresh_stores_what_it_returns_with_when_it_was_computed(world: World) -> None:
    world.list(*(product(f"p{i:02d}") for i in range(30)))
    for i in range(30):
        world.view("u1", f"p{i:02d}", times=i + 1)

    stored = world.service.refresh_trending(START + timedelta(minutes=30), limit=20)

    assert world.store.trending() == stored
    assert len(stored) == 20
    assert stored.computed_at == START + timedelta(minutes=30)
    assert stored.product_ids() == [f"p{i:02d}" for i in range(29, 9, -1)]
    assert world.service.trending(limit=3) == ["p29", "p28", "p27"]


# ------------------------------------------------------------------------------------------- personal lists


@pytest.fixture
def shop(world: World) -> World:
    """Ada bought p1 (a day ago) and p2 (an hour ago); other customers' orders made pairs with them.
    All of it was recorded an hour before ``START``, when the personal lists are asked for."""
    world.clock.now = START - timedelta(hours=1)
    world.list(
        product("p1", "audio"),
        product("p2", "audio"),
        product("a", "audio"),
        product("b", "kitchen"),
        product("retired", "audio"),
        product("t-kitchen", "kitchen"),
        product("t-audio", "audio"),
    )
    world.buy("ada", "p1", at=START - timedelta(days=1))
    world.buy("ada", "p2")
    for customer in ("u1", "u2", "u3"):
        world.buy(customer, "p2", "a")
    world.buy("u4", "p1", "b")
    world.buy("u5", "p2", "b")
    for customer in ("u6", "u7", "u8", "u9"):
        world.buy(customer, "p1", "retired")
    world.archive("retired")
    # Trending: the kitchen product sells best, then a (already a candidate), then the audio one.
    world.view("u10", "t-kitchen", times=100)
    world.view("u10", "a", times=80)
    world.view("u10", "t-audio", times=60)
    world.service.refresh_trending(START)
    world.clock.now = START
    return world


def test_a_personal_list_starts_with_what_is_bought_with_the_customers_purchases(shop: World) -> None:
    recommended = shop.service.recommendations_for("ada", START)

    # a: 3 orders with p2; b: one with p1 and one with p2; never what Ada bought, never an archived one.
    assert recommended[:2] == ["a", "b"]
    assert not {"p1", "p2", "retired"} & set(recommended)


def test_a_personal_list_is_topped_up_with_trending_in_favourite_categories_first(shop: World) -> None:
    recommended = shop.service.recommendations_for("ada", START)

    # Ada leans to audio, so the audio product trending below the kitchen one comes first.
    assert recommended == ["a", "b", "t-audio", "t-kitchen"]


def test_a_customer_with_no_history_is_recommended_what_is_trending(shop: World) -> None:
    recommended = shop.service.recommendations_for("stranger", START)

    assert recommended[:3] == ["t-kitchen", "a", "t-audio"]
    assert recommended == shop.service.trending()


def test_only_the_ten_most_recent_purchases_are_considered(world: World) -> None:
    world.list(*(product(f"p{i:02d}") for i in range(11)), product("old-partner"), product("new-partner"))
    for i in range(11):  # p00 the oldest purchase, p10 the newest
        world.buy("ada", f"p{i:02d}", at=START - timedelta(hours=11 - i))
    world.buy("u1", "p00", "old-partner")
    world.buy("u2", "p10", "new-partner")

    assert world.service.recommendations_for("ada", START) == ["new-partner"]


def test_a_personal_list_is_cached_for_six_hours_then_computed_again(shop: World) -> None:
    first = shop.service.recommendations_for("ada", START)
    computed = shop.store.computations
    shop.list(product("c", "audio"))
    for customer in ("v1", "v2", "v3", "v4"):
        shop.buy(customer, "p2", "c")

    later = START + RECOMMENDATIONS_TTL - timedelta(seconds=1)
    assert shop.service.recommendations_for("ada", later) == first
    assert shop.store.computations == computed

    assert shop.service.recommendations_for("ada", START + RECOMMENDATIONS_TTL)[0] == "c"
    assert shop.store.computations == computed + 1


def test_the_cache_answers_any_shorter_list_without_computing(shop: World) -> None:
    full = shop.service.recommendations_for("ada", START)
    computed = shop.store.computations

    assert shop.service.recommendations_for("ada", START, limit=2) == full[:2]
    assert shop.store.computations == computed


def test_the_customers_own_order_invalidates_their_list(shop: World) -> None:
    shop.service.recommendations_for("ada", START)
    shop.clock.advance(minutes=5)

    shop.buy("ada", "a")

    recommended = shop.service.recommendations_for("ada", shop.clock() + timedelta(seconds=1))
    assert "a" not in recommended


def test_invalidating_a_list_makes_the_next_read_compute_it(shop: World) -> None:
    shop.service.recommendations_for("ada", START)
    computed = shop.store.computations
    shop.clock.advance(minutes=1)

    shop.service.invalidate_recommendations("ada")
    shop.service.recommendations_for("ada", shop.clock() + timedelta(seconds=1))

    assert shop.store.computations == computed + 1


def test_a_list_computed_while_an_order_was_recorded_is_not_cached(shop: World) -> None:
    """The list read the purchases before the order; caching it would hide the order for hours."""
    started = START + timedelta(minutes=1)
    shop.clock.now = started + timedelta(milliseconds=200)  # the order lands mid-computation
    shop.buy("ada", "a")

    shop.service.recommendations_for("ada", started)

    assert shop.store.cached_recommendations("ada", started) is None
