"""Inventory through the local cloud: the API, reservations on real DynamoDB transactions,
the expiry schedule and the stock events on the bus."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commerce import bootstrap
from commerce.errors import Conflict
from commerce.ids import new_id
from commerce.inventory.model import InsufficientStock, Line, ReservationStatus
from localcloud import LocalCloud
from support import Actor, BusTap, new_product


@pytest.fixture
def seller(actor: Callable[..., Actor]) -> Actor:
    return actor("seller")


@pytest.fixture
def product_id(cloud: LocalCloud, seller: Actor, category: Callable[..., dict[str, Any]]) -> str:
    response = cloud.request(
        "POST", "/v1/products", json=new_product(category("Audio")["category_id"]), token=seller.token
    )
    return str(response.json()["product_id"])


def stock(cloud: LocalCloud, product_id: str) -> dict[str, Any]:
    response = cloud.request("GET", f"/v1/inventory/{product_id}")
    assert response.status == 200, response.text
    return dict(response.json())


def set_stock(cloud: LocalCloud, seller: Actor, product_id: str, available: int, **extra: Any) -> Any:
    return cloud.request(
        "PUT", f"/v1/inventory/{product_id}", json={"available": available, **extra}, token=seller.token
    )


def totals(cloud: LocalCloud, product_id: str) -> tuple[int, int, int]:
    level = bootstrap.inventory_service().stock.levels([product_id])[product_id]
    return level.available, level.reserved, level.sold


# ---------------------------------------------------------------------- the API
def test_a_seller_sets_and_adjusts_stock_that_anyone_can_read(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    assert stock(cloud, product_id) == {
        "product_id": product_id,
        "available": 0,
        "reserved": 0,
        "in_stock": False,
        "by_warehouse": [],
    }
    assert set_stock(cloud, seller, product_id, 12).status == 200
    restock = cloud.request(
        "POST",
        f"/v1/inventory/{product_id}/adjustments",
        json={"delta": 8, "reason": "delivery from supplier", "warehouse_id": "east"},
        token=seller.token,
    )
    assert restock.status == 200
    body = stock(cloud, product_id)
    assert body["available"] == 20
    assert {w["warehouse_id"]: w["available"] for w in body["by_warehouse"]} == {"main": 12, "east": 8}
    ledger = cloud.request("GET", f"/v1/inventory/{product_id}/movements", token=seller.token).json()["items"]
    assert [(m["kind"], m["delta_available"], m["reason"]) for m in ledger] == [
        ("restock", 8, "delivery from supplier"),
        ("set", 12, "stock take"),
    ]


def test_a_write_off_beyond_the_stock_is_refused_and_changes_nothing(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    set_stock(cloud, seller, product_id, 3)
    response = cloud.request(
        "POST",
        f"/v1/inventory/{product_id}/adjustments",
        json={"delta": -4, "reason": "damaged"},
        token=seller.token,
    )
    assert response.status == 409
    assert response.json()["code"] == "stock_would_go_negative"
    assert stock(cloud, product_id)["available"] == 3
    assert (
        len(cloud.request("GET", f"/v1/inventory/{product_id}/movements", token=seller.token).json()["items"])
        == 1
    )


def test_only_the_products_seller_changes_its_stock(
    cloud: LocalCloud, actor: Callable[..., Actor], product_id: str
) -> None:
    rival, customer = actor("seller"), actor("customer")
    assert set_stock(cloud, rival, product_id, 5).status == 403
    assert set_stock(cloud, customer, product_id, 5).status == 403
    assert cloud.request("PUT", f"/v1/inventory/{product_id}", json={"available": 5}).status == 401
    assert cloud.request("GET", f"/v1/inventory/{product_id}/movements", token=rival.token).status == 403
    assert stock(cloud, product_id)["available"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"available": -1},
        {"available": 1.5},
        {"available": "3"},
        {"available": 1, "warehouse_id": "Main St"},
        {},
    ],
)
def test_invalid_stock_updates_are_422(cloud: LocalCloud, seller: Actor, product_id: str, body: Any) -> None:
    response = cloud.request("PUT", f"/v1/inventory/{product_id}", json=body, token=seller.token)
    assert response.status == 422


def test_stock_of_an_unknown_product_is_404(cloud: LocalCloud, seller: Actor) -> None:
    missing = new_id()
    assert cloud.request("GET", f"/v1/inventory/{missing}").status == 404
    assert set_stock(cloud, seller, missing, 1).status == 404


# ---------------------------------------------------------------------- reservations
def test_reservations_under_contention_never_oversell(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    # GIVEN 20 units
    set_stock(cloud, seller, product_id, 20)
    service = bootstrap.inventory_service()

    # WHEN 60 orders try to reserve one unit each, 16 at a time, through real DynamoDB transactions
    def attempt(i: int) -> bool:
        try:
            service.reserve(f"order-{i}", [Line(product_id, 1)])
        except InsufficientStock:
            return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(60)))

    # THEN exactly 20 succeed, nothing is negative and no unit was created or lost
    assert outcomes.count(True) == 20
    assert totals(cloud, product_id) == (0, 20, 0)
    # AND committing half and releasing the rest keeps available + reserved + sold at 20
    winners = [i for i, won in enumerate(outcomes) if won]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda i: service.commit(f"order-{i}"), winners[:10]))
        list(pool.map(lambda i: service.release(f"order-{i}", "payment_declined"), winners[10:]))
    assert totals(cloud, product_id) == (10, 0, 10)


def test_a_reservation_takes_every_line_or_none(
    cloud: LocalCloud, seller: Actor, product_id: str, category: Callable[..., dict[str, Any]]
) -> None:
    other = cloud.request(
        "POST", "/v1/products", json=new_product(category("Books")["category_id"]), token=seller.token
    ).json()["product_id"]
    set_stock(cloud, seller, product_id, 5)
    set_stock(cloud, seller, other, 1)
    service = bootstrap.inventory_service()
    with pytest.raises(InsufficientStock) as raised:
        service.reserve("order-x", [Line(product_id, 2), Line(other, 2)])
    assert raised.value.shortages[0].product_id == other
    assert totals(cloud, product_id) == (5, 0, 0)
    assert service.stock.get_reservation("order-x") is None


def test_reserve_commit_and_release_are_idempotent(cloud: LocalCloud, seller: Actor, product_id: str) -> None:
    set_stock(cloud, seller, product_id, 10)
    service = bootstrap.inventory_service()
    first = service.reserve("order-1", [Line(product_id, 3)])
    again = service.reserve("order-1", [Line(product_id, 3)])
    assert again == first
    assert totals(cloud, product_id) == (7, 3, 0)
    with pytest.raises(Conflict) as mismatch:
        service.reserve("order-1", [Line(product_id, 4)])
    assert mismatch.value.code == "reservation_mismatch"
    service.commit("order-1")
    service.commit("order-1")
    assert totals(cloud, product_id) == (7, 0, 3)
    with pytest.raises(Conflict) as too_late:
        service.release("order-1")
    assert too_late.value.code == "reservation_committed"
    service.reserve("order-2", [Line(product_id, 2)])
    service.release("order-2", "customer_request")
    service.release("order-2", "customer_request")
    assert totals(cloud, product_id) == (7, 0, 3)


def test_a_line_is_served_from_warehouses_in_priority_order(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    set_stock(cloud, seller, product_id, 2, warehouse_id="east", priority=1)
    set_stock(cloud, seller, product_id, 10, warehouse_id="west", priority=5)
    reservation = bootstrap.inventory_service().reserve("order-1", [Line(product_id, 5)])
    assert {(a.warehouse_id, a.quantity) for a in reservation.allocations} == {("east", 2), ("west", 3)}
    by_warehouse = {w["warehouse_id"]: w for w in stock(cloud, product_id)["by_warehouse"]}
    assert (by_warehouse["east"]["available"], by_warehouse["west"]["available"]) == (0, 7)


def test_the_schedule_releases_reservations_nobody_settled_in_time(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    # GIVEN two reservations, one of which has passed its 15 minutes
    set_stock(cloud, seller, product_id, 10)
    service = bootstrap.inventory_service()
    service.reserve("stale", [Line(product_id, 4)])
    service.reserve("fresh", [Line(product_id, 1)])
    past = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    cloud.client("dynamodb").update_item(
        TableName=cloud.ref("InventoryTable"),
        Key={"pk": {"S": "RESERVATION#stale"}, "sk": {"S": "RESERVATION"}},
        UpdateExpression="SET expires_at = :t, open_expires_at = :t",
        ExpressionAttributeValues={":t": {"N": str(past)}},
    )
    # WHEN the EventBridge schedule fires
    cloud.fire_schedule("JobsFunctionReleaseExpiredReservations")
    # THEN only the stale one is released, with its reason
    stale, fresh = service.stock.get_reservation("stale"), service.stock.get_reservation("fresh")
    assert stale is not None and fresh is not None
    assert (stale.status, stale.release_reason) == (ReservationStatus.RELEASED, "expired")
    assert fresh.status is ReservationStatus.RESERVED
    assert totals(cloud, product_id) == (9, 1, 0)


# ---------------------------------------------------------------------- events
@pytest.fixture
def captured_events(cloud: LocalCloud) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    tap = BusTap(cloud, "commerce.inventory")
    yield tap.new
    tap.close()


def test_stock_changes_publish_back_in_stock_low_and_out_of_stock_events(
    cloud: LocalCloud,
    seller: Actor,
    product_id: str,
    captured_events: Callable[[], list[dict[str, Any]]],
) -> None:
    set_stock(cloud, seller, product_id, 10, low_stock_threshold=5)
    assert [e["detail-type"] for e in captured_events()] == ["BackInStock"]
    service = bootstrap.inventory_service()
    service.reserve("order-1", [Line(product_id, 6)])
    low = captured_events()
    assert [e["detail-type"] for e in low] == ["StockLow"]
    assert low[0]["detail"]["available"] == 4
    assert low[0]["detail"]["product_id"] == product_id
    service.reserve("order-2", [Line(product_id, 4)])
    assert [e["detail-type"] for e in captured_events()] == ["OutOfStock"]
    service.release("order-2")
    assert [e["detail-type"] for e in captured_events()] == ["BackInStock"]
    service.commit("order-1")
    assert captured_events() == [], "a commit does not change what is available"
