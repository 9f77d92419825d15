"""The recommendation store on a real (moto) DynamoDB table: orders counted exactly once however
they are delivered, pairs both ways, the per-order cap inside one transaction, hourly buckets read
back for trending, and caches that expire or are invalidated."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import from_item, to_item
from commerce.adapters.dynamodb_recommendations import (
    ACTIVITY_SHARDS,
    TRANSACTION_ATTEMPTS,
    DynamoDBRecommendationStore,
)
from commerce.catalog.model import Availability, Product
from commerce.money import Money
from commerce.recommendations.model import (
    MAX_PRODUCTS_PER_ORDER,
    ORDER_LINE_WEIGHT,
    RECOMMENDATIONS_TTL,
    UNIT_SOLD_WEIGHT,
    OrderActivity,
    Trending,
    TrendingProduct,
    hour_of,
    trending_hours,
)
from commerce.recommendations.ports import RecommendationsUnavailable
from commerce.recommendations.service import RecommendationService
from moto_table import dynamodb_table
from unit.fakes import FakeProductRepository, FixedClock

START = datetime(2025, 1, 15, 12, 30, tzinfo=UTC)


def product(product_id: str, category_id: str = "audio", seller_id: str = "seller-1") -> Product:
    return Product(
        product_id=product_id,
        seller_id=seller_id,
        name=product_id.title(),
        description="",
        price=Money(1999, "USD"),
        category_id=category_id,
        created_at=START,
        updated_at=START,
        availability=Availability.IN_STOCK,
    )


class CountingClient:
    """The boto3 client, counting the calls (and transaction items) the store makes."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**params: Any) -> Any:
            self.calls.append((name, len(params.get("TransactItems", [])) or 1))
            return method(**params)

        return call


@dataclass
class Stack:
    client: Any
    table: str
    spy: CountingClient
    store: DynamoDBRecommendationStore
    service: RecommendationService
    products: FakeProductRepository
    clock: FixedClock
    sleeps: list[float] = field(default_factory=list)

    def items(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        while True:
            response = self.client.scan(**params)
            found.extend(from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self.client.get_item(TableName=self.table, Key=to_item({"pk": pk, "sk": sk}))
        return from_item(response["Item"]) if "Item" in response else None

    def list(self, *products: Product) -> None:
        for item in products:
            self.products.add(item)


@pytest.fixture
def stack() -> Iterator[Stack]:
    with dynamodb_table("recommendations") as (client, table):
        spy = CountingClient(client)
        sleeps: list[float] = []
        store = DynamoDBRecommendationStore(spy, table, sleep=sleeps.append)
        products, clock = FakeProductRepository(), FixedClock(START)
        service = RecommendationService(store=store, products=products, clock=clock)
        yield Stack(client, table, spy, store, service, products, clock, sleeps)


def lines(*product_ids: str, quantity: int = 1) -> list[tuple[str, str, int]]:
    return [(pid, "seller-1", quantity) for pid in product_ids]


# --------------------------------------------------------------------------------------------------- orders


def test_the_same_order_delivered_twice_counts_once(stack: Stack) -> None:
    stack.list(product("p1", "audio"), product("p2", "kitchen"))

    assert stack.service.record_order("order-1", "ada", lines("p1", "p2", quantity=2), START) is True
    before = stack.items()
    assert stack.service.record_order("order-1", "ada", lines("p1", "p2", quantity=2), START) is False

    assert stack.items() == before
    assert stack.store.bought_with("p1") == {"p2": 1}
    affinity = stack.item("CUSTOMER#ada", "AFFINITY")
    assert affinity is not None
    assert (affinity["c#audio"], affinity["c#kitchen"], affinity["s#seller-1"]) == (
        3,
        3,
        2 * ORDER_LINE_WEIGHT,
    )
    assert {p.product_id for p in stack.store.purchases("ada")} == {"p1", "p2"}
    assert stack.store.activity([START], START)[hour_of(START)] == {
        "p1": 2 * UNIT_SOLD_WEIGHT,
        "p2": 2 * UNIT_SOLD_WEIGHT,
    }
    marker = stack.item("ORDER#order-1", "RECORDED")
    assert marker is not None
    assert marker["expires_at"] > START.timestamp() + 29 * 86400


def test_pairs_are_counted_in_both_directions(stack: Stack) -> None:
    stack.list(product("p1"), product("p2"), product("p3"))

    stack.service.record_order("order-1", "ada", lines("p1", "p2"), START)
    stack.service.record_order("order-2", "bob", lines("p2", "p1", "p3"), START)

    assert stack.store.bought_with("p1") == {"p2": 2, "p3": 1}
    assert stack.store.bought_with("p2") == {"p1": 2, "p3": 1}
    assert stack.store.bought_with("p3") == {"p1": 1, "p2": 1}
    assert stack.service.bought_together("p1") == [("p2", 2), ("p3", 1)]


def test_a_big_order_records_its_first_eight_products_in_one_transaction_under_the_limit(
    stack: Stack,
) -> None:
    ids = [f"p{i:02d}" for i in range(20)]
    stack.list(*(product(pid, f"cat{pid}") for pid in ids))

    assert stack.service.record_order("order-1", "ada", lines(*ids), START) is True

    n = MAX_PRODUCTS_PER_ORDER
    transactions = [size for name, size in stack.spy.calls if name == "transact_write_items"]
    assert transactions == [3 + n + n + n * (n - 1)]
    assert transactions[0] <= 100
    kept = set(ids[:n])
    assert {p.product_id for p in stack.store.purchases("ada")} == kept
    for pid in ids:
        assert set(stack.store.bought_with(pid)) == (kept - {pid} if pid in kept else set())
    assert set(stack.store.affinity_weights("ada").categories) == {f"cat{pid}" for pid in kept}


def test_concurrent_deliveries_of_the_same_order_count_once(stack: Stack) -> None:
    stack.list(product("p1"), product("p2"), product("p3"))
    barrier = threading.Barrier(10)

    def deliver(_: int) -> bool:
        barrier.wait()
        return stack.service.record_order("order-1", "ada", lines("p1", "p2", "p3"), START)

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(deliver, range(10)))

    assert outcomes.count(True) == 1
    assert stack.store.bought_with("p1") == {"p2": 1, "p3": 1}
    assert stack.store.affinity_weights("ada").sellers == {"seller-1": 3 * ORDER_LINE_WEIGHT}
    assert stack.store.activity([START], START)[hour_of(START)] == {"p1": 3, "p2": 3, "p3": 3}


def test_a_later_order_of_the_same_product_is_the_last_purchase(stack: Stack) -> None:
    stack.list(product("p1"))

    stack.service.record_order("order-1", "ada", lines("p1"), START - timedelta(days=3))
    stack.service.record_order("order-2", "ada", lines("p1"), START)

    [purchase] = stack.store.purchases("ada")
    assert purchase.last_bought_at == START
    assert stack.item("CUSTOMER#ada", "BOUGHT#p1") == {
        "pk": "CUSTOMER#ada",
        "sk": "BOUGHT#p1",
        "product_id": "p1",
        "orders": 2,
        "last_bought_at": "2025-01-15T12:30:00.000Z",
    }


def test_a_transaction_cancelled_by_conflicts_is_tried_again_then_reported_unavailable(stack: Stack) -> None:
    conflict = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
        },
        "TransactWriteItems",
    )

    class Conflicting:
        attempts = 0

        def transact_write_items(self, **_: Any) -> None:
            self.attempts += 1
            raise conflict

    client = Conflicting()
    store = DynamoDBRecommendationStore(client, stack.table, sleep=stack.sleeps.append)
    activity = OrderActivity.of("order-1", "ada", lines("p1"), {}, START, START)

    with pytest.raises(RecommendationsUnavailable):
        store.record_order(activity)
    assert client.attempts == TRANSACTION_ATTEMPTS
    assert len(stack.sleeps) == TRANSACTION_ATTEMPTS - 1


def test_a_transaction_refused_for_another_reason_is_raised_as_it_is(stack: Stack) -> None:
    invalid = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "ValidationError"}],
        },
        "TransactWriteItems",
    )

    class Refusing:
        def transact_write_items(self, **_: Any) -> None:
            raise invalid

    store = DynamoDBRecommendationStore(Refusing(), stack.table, sleep=stack.sleeps.append)

    with pytest.raises(ClientError) as raised:
        store.record_order(OrderActivity.of("order-1", "ada", lines("p1"), {}, START, START))
    assert raised.value is invalid
    assert stack.sleeps == []


# ---------------------------------------------------------------------------------------------------- views


def test_a_view_is_two_plain_writes(stack: Stack) -> None:
    stack.list(product("p1", "audio", "s1"))
    stack.spy.calls.clear()

    assert stack.service.record_view("ada", "p1", START) is True

    assert stack.spy.calls == [("update_item", 1), ("update_item", 1)]
    weights = stack.store.affinity_weights("ada")
    assert (weights.categories, weights.sellers) == ({"audio": 1}, {"s1": 1})


def test_any_category_or_seller_id_survives_as_an_affinity_counter(stack: Stack) -> None:
    odd = "home & garden.outdoor #1 ü"
    stack.list(product("p1", odd, "seller with spaces"))

    stack.service.record_view("ada", "p1", START)
    stack.service.record_view("ada", "p1", START)

    assert stack.service.affinity("ada").categories == {odd: 1.0}
    assert stack.store.affinity_weights("ada").sellers == {"seller with spaces": 2}


# ------------------------------------------------------------------------------------------------- trending


def test_hourly_buckets_are_read_back_for_trending(stack: Stack) -> None:
    ids = [f"p{i:02d}" for i in range(24)]  # enough products to land in every shard
    stack.list(*(product(pid) for pid in ids))
    for age, pid in enumerate(ids):
        for _ in range(2):
            stack.service.record_view("ada", pid, START - timedelta(hours=age))
    stack.service.record_order("order-1", "bob", lines("p00", quantity=2), START)

    buckets = stack.store.activity(trending_hours(START), START)

    assert len(buckets) == 24
    assert buckets[hour_of(START)] == {"p00": 2 + 2 * UNIT_SOLD_WEIGHT}
    for age, pid in enumerate(ids[1:], start=1):
        assert buckets[hour_of(START) - timedelta(hours=age)] == {pid: 2}
    shards = {item["pk"] for item in stack.items() if item["pk"].startswith("ACTIVITY#")}
    assert len({pk.rsplit("#", 1)[1] for pk in shards}) == ACTIVITY_SHARDS

    trending = stack.service.refresh_trending(START)
    assert trending.product_ids()[:3] == ["p00", "p01", "p02"]
    assert stack.service.trending(limit=2) == ["p00", "p01"]


def test_activity_past_its_expiry_is_ignored_even_before_ttl_deletes_it(stack: Stack) -> None:
    stack.list(product("p1"))
    stack.service.record_view("ada", "p1", START)

    nine_days_later = START + timedelta(days=9)

    assert stack.store.activity([START], nine_days_later) == {hour_of(START): {}}
    assert stack.store.activity([START], START) == {hour_of(START): {"p1": 1}}


def test_trending_is_empty_before_the_first_refresh_and_round_trips_after(stack: Stack) -> None:
    assert stack.store.trending() == Trending()

    saved = Trending(
        (TrendingProduct("p1", 12.345678, "audio"), TrendingProduct("p2", 0.5, "kitchen")), START
    )
    stack.store.save_trending(saved)

    assert stack.store.trending() == saved


# --------------------------------------------------------------------------------------------- cached lists


def test_an_expired_cached_list_is_ignored(stack: Stack) -> None:
    assert stack.store.cache_recommendations("ada", ["p1", "p2"], START, START + RECOMMENDATIONS_TTL)

    assert stack.store.cached_recommendations("ada", START + RECOMMENDATIONS_TTL - timedelta(seconds=1)) == [
        "p1",
        "p2",
    ]
    assert stack.store.cached_recommendations("ada", START + RECOMMENDATIONS_TTL) is None
    assert stack.item("CUSTOMER#ada", "RECOMMENDATIONS") is not None  # moto never deletes it


def test_a_list_computed_before_an_invalidation_is_not_cached(stack: Stack) -> None:
    stack.store.invalidate_recommendations("ada", START)

    assert stack.store.cached_recommendations("ada", START) is None
    assert not stack.store.cache_recommendations(
        "ada", ["p1"], START - timedelta(seconds=1), START + RECOMMENDATIONS_TTL
    )
    assert not stack.store.cache_recommendations("ada", ["p1"], START, START + RECOMMENDATIONS_TTL)
    assert stack.store.cache_recommendations(
        "ada", ["p1"], START + timedelta(seconds=1), START + RECOMMENDATIONS_TTL
    )
    assert stack.store.cached_recommendations("ada", START + timedelta(seconds=1)) == ["p1"]


def test_a_personal_list_is_cached_and_the_customers_next_order_invalidates_it(stack: Stack) -> None:
    stack.list(product("p1"), product("p2"), product("p3"))
    stack.clock.now = START - timedelta(hours=1)
    stack.service.record_order("order-1", "bob", lines("p1", "p2", "p3"), stack.clock())
    stack.service.record_order("order-2", "ada", lines("p1"), stack.clock())

    assert stack.service.recommendations_for("ada", START) == ["p2", "p3"]
    stack.spy.calls.clear()
    assert stack.service.recommendations_for("ada", START + timedelta(hours=1)) == ["p2", "p3"]
    assert stack.spy.calls == [("get_item", 1)]

    stack.clock.now = START + timedelta(hours=2)
    stack.service.record_order("order-3", "ada", lines("p2"), stack.clock())

    assert stack.service.recommendations_for("ada", START + timedelta(hours=2, seconds=1)) == ["p3"]
