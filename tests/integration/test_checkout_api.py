"""POST /v1/checkout: the Idempotency-Key, the cart lock, and clear answers to bad requests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from commerce.orders.saga import FulfilmentSteps
from localcloud import LocalCloud
from support import ADDRESS, Actor, card, checkout, fill_cart, settled

Listed = Callable[..., dict[str, Any]]


@pytest.fixture
def shopper(cloud: LocalCloud, actor: Callable[..., Actor], listed: Listed) -> Actor:
    customer = actor("customer")
    fill_cart(cloud, customer, (listed(available=10)["product_id"], 2))
    return customer


@pytest.fixture
def held_reservation(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Holds every saga at its first step until the test sets the event."""
    release = threading.Event()
    original = FulfilmentSteps.reserve_stock

    def slow_reserve(self: FulfilmentSteps, order_id: str) -> Any:
        release.wait(20)
        return original(self, order_id)

    monkeypatch.setattr(FulfilmentSteps, "reserve_stock", slow_reserve)
    yield release
    release.set()


def test_the_same_key_returns_the_same_order(cloud: LocalCloud, shopper: Actor) -> None:
    first = checkout(cloud, shopper, key="order-1")
    again = checkout(cloud, shopper, key="order-1")

    assert (first.status, again.status) == (202, 202)
    assert again.json()["order_id"] == first.json()["order_id"]
    settled(cloud, shopper, first.json()["order_id"])
    assert checkout(cloud, shopper, key="order-1").json() == {
        "order_id": first.json()["order_id"],
        "status": "confirmed",
    }
    listed_orders = cloud.request("GET", "/v1/orders", token=shopper.token).json()["items"]
    assert [o["order_id"] for o in listed_orders] == [first.json()["order_id"]]


def test_racing_requests_with_one_key_make_one_order(cloud: LocalCloud, shopper: Actor) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: checkout(cloud, shopper, key="double-click"), range(8)))

    assert {r.status for r in responses} == {202}, [r.text for r in responses]
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert settled(cloud, shopper, responses[0].json()["order_id"])["status"] == "confirmed"


def test_the_same_key_with_another_body_is_refused(cloud: LocalCloud, shopper: Actor) -> None:
    first = checkout(cloud, shopper, key="k")

    reused = checkout(cloud, shopper, key="k", payment_method=card("pm_card_mastercard"))

    assert reused.status == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert reused.json()["order_id"] == first.json()["order_id"]


def test_a_cart_being_checked_out_is_locked(
    cloud: LocalCloud, shopper: Actor, held_reservation: threading.Event
) -> None:
    first = checkout(cloud, shopper, key="tab-1")
    assert first.status == 202, first.text
    order_id = first.json()["order_id"]

    second = checkout(cloud, shopper, key="tab-2")
    product_id = cloud.request("GET", "/v1/cart", token=shopper.token).json()["lines"][0]["product_id"]
    edit = cloud.request("PUT", f"/v1/cart/items/{product_id}", json={"quantity": 1}, token=shopper.token)
    cancel = cloud.request("POST", f"/v1/orders/{order_id}/cancel", token=shopper.token)

    assert (second.status, second.json()["code"]) == (409, "checkout_in_progress")
    assert (edit.status, edit.json()["code"]) == (409, "checkout_in_progress")
    assert (cancel.status, cancel.json()["code"]) == (409, "order_processing")
    held_reservation.set()
    assert settled(cloud, shopper, order_id)["status"] == "confirmed"
    assert cloud.request("GET", "/v1/cart", token=shopper.token).json()["lines"] == []


def test_a_saved_address_can_be_used_by_its_id(cloud: LocalCloud, shopper: Actor) -> None:
    saved = cloud.request("POST", "/v1/me/addresses", json=ADDRESS | {"city": "Bath"}, token=shopper.token)
    assert saved.status == 201, saved.text

    response = checkout(cloud, shopper, shipping_address={"address_id": saved.json()["address_id"]})

    assert response.status == 202, response.text
    assert settled(cloud, shopper, response.json()["order_id"])["shipping_address"]["city"] == "Bath"


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ({"payment_method": card(), "shipping_address": ADDRESS}, {}, 422, "idempotency_key_required"),
        ({"payment_method": card()}, {"Idempotency-Key": "a"}, 422, "shipping_address_required"),
        (
            {"payment_method": card(), "shipping_address": {"address_id": "nope"}},
            {"Idempotency-Key": "b"},
            422,
            "address_not_found",
        ),
        (
            {"payment_method": {"type": "bitcoin"}, "shipping_address": ADDRESS},
            {"Idempotency-Key": "c"},
            422,
            "unsupported_payment_method",
        ),
        (
            {"payment_method": {"type": "card"}, "shipping_address": ADDRESS},
            {"Idempotency-Key": "d"},
            422,
            "invalid_payment_method",
        ),
        (
            {"payment_method": {"type": "paypal"}, "shipping_address": ADDRESS},
            {"Idempotency-Key": "e"},
            422,
            "payment_method_not_supported",
        ),
        ({"shipping_address": ADDRESS}, {"Idempotency-Key": "f"}, 422, "validation_failed"),
        (
            {"payment_method": card(), "shipping_address": ADDRESS, "price": 1},
            {"Idempotency-Key": "g"},
            422,
            "validation_failed",
        ),
    ],
)
def test_bad_checkout_requests_get_a_clear_code(
    cloud: LocalCloud, shopper: Actor, body: dict[str, Any], headers: dict[str, str], status: int, code: str
) -> None:
    response = cloud.request("POST", "/v1/checkout", json=body, headers=headers, token=shopper.token)

    assert response.status == status, response.text
    assert response.json()["code"] == code
    assert response.headers["content-type"] == "application/problem+json"


def test_an_empty_cart_cannot_be_checked_out(cloud: LocalCloud, actor: Callable[..., Actor]) -> None:
    response = checkout(cloud, actor("customer"))

    assert (response.status, response.json()["code"]) == (422, "cart_empty")


def test_only_customers_check_out(cloud: LocalCloud, actor: Callable[..., Actor]) -> None:
    assert checkout(cloud, actor("seller")).status == 403
    anonymous = cloud.request("POST", "/v1/checkout", json={}, headers={"Idempotency-Key": "x"})
    assert anonymous.status == 401
