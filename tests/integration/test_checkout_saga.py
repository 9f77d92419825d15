"""Checkout through the real state machine: the happy path, every failure point's
compensation, transient retries, and the last-units race."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from commerce.errors import Conflict
from commerce.payments.model import PaymentUnavailable
from localcloud import LocalCloud
from support import Actor, BusTap, card, checkout, fill_cart, settled, stock_of

Category = Callable[..., dict[str, Any]]


def cart_of(cloud: LocalCloud, customer: Actor) -> dict[str, Any]:
    response = cloud.request("GET", "/v1/cart", token=customer.token)
    assert response.status == 200, response.text
    return dict(response.json())


def simulator_payments(cloud: LocalCloud) -> dict[str, Any]:
    """The card processor's own record of every payment, by order id."""
    from commerce.adapters.payment_simulator import SimulatedCardProcessor
    from commerce.clock import system_clock

    processor = SimulatedCardProcessor(
        cloud.client("dynamodb"), cloud.ref("PaymentSimulatorTable"), system_clock
    )
    return {payment.order_id: payment for payment in processor.payments()}


# ---------------------------------------------------------------------- the happy path
def test_a_checkout_confirms_the_order_takes_the_money_sells_the_stock_and_empties_the_cart(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    earbuds = listed(available=5, price={"amount": 2500, "currency": "GBP"})
    fill_cart(cloud, customer, (earbuds["product_id"], 2))
    published = BusTap(cloud, "commerce.orders").arrived

    response = checkout(cloud, customer)

    assert response.status == 202, response.text
    order_id = response.json()["order_id"]
    assert response.headers["location"] == f"/v1/orders/{order_id}"
    assert response.json()["status"] == "pending"
    order = settled(cloud, customer, order_id)
    assert order["status"] == "confirmed"
    assert order["cancellation_reason"] is None
    assert order["lines"][0]["unit_price"] == {"amount": 2500, "currency": "GBP"}
    assert order["totals"]["subtotal"] == {"amount": 5000, "currency": "GBP"}
    assert order["totals"]["shipping"] == {"amount": 0, "currency": "GBP"}  # free from 45.00
    assert order["totals"]["tax"] == {"amount": 1000, "currency": "GBP"}  # 20 % in GB
    assert order["totals"]["total"] == {"amount": 6000, "currency": "GBP"}
    assert order["payment"]["status"] == "captured"
    assert order["payment"]["captured"] == {"amount": 6000, "currency": "GBP"}
    assert stock_of(cloud, earbuds["product_id"]) == (3, 0, 2)
    payment = simulator_payments(cloud)[order_id]
    assert (payment.held.amount, payment.taken.amount) == (0, 6000)
    cart = cart_of(cloud, customer)
    assert cart["lines"] == []
    confirmed = [e for e in published() if e["detail-type"] == "OrderConfirmed"]
    assert [e["detail"]["order_id"] for e in confirmed] == [order_id]
    assert confirmed[0]["detail"]["total"] == {"amount": 6000, "currency": "GBP"}


# ---------------------------------------------------------------------- failure points
def _release_then_commit(original: Callable[..., Any]) -> Callable[..., Any]:
    """The expiry job gets there first: the reservation is released before the commit."""

    def commit(self: Any, order_id: str) -> Any:
        self.release(order_id, "expired")
        return original(self, order_id)

    return commit


def _raise(error: Exception) -> Callable[..., Any]:
    def fail(*_: Any, **__: Any) -> Any:
        raise error

    return fail


def _break_publishing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bus refuses every event (as if it were deleted): the saga's direct putEvents fails."""
    from moto.events.exceptions import ResourceNotFoundException
    from moto.events.models import EventsBackend

    monkeypatch.setattr(
        EventsBackend, "put_events", _raise(ResourceNotFoundException("Event bus commerce does not exist."))
    )


FAILURE_POINTS: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], str, str | None]] = {
    # name: (how to make that step fail, the order's cancellation_reason, the payment left behind)
    "authorisation": (lambda m: None, "payment_declined", None),
    "confirmation": (
        lambda m: m.setattr("commerce.orders.model.Order.confirmed", _raise(RuntimeError("confirm crashed"))),
        "checkout_failed",
        "voided",
    ),
    "capture": (
        lambda m: m.setattr(
            "commerce.adapters.payment_simulator.SimulatedCardProcessor.capture",
            _raise(Conflict("The authorisation expired.", code="payment_not_capturable")),
        ),
        "checkout_failed",
        "voided",
    ),
    "commit": (
        lambda m: m.setattr(
            "commerce.inventory.service.InventoryService.commit",
            _release_then_commit(
                __import__("commerce.inventory.service").inventory.service.InventoryService.commit
            ),
        ),
        "reservation_expired",
        "refunded",
    ),
    "publish": (_break_publishing, "checkout_failed", "refunded"),
}


@pytest.mark.parametrize("point", list(FAILURE_POINTS))
def test_a_failure_at_any_step_cancels_the_order_and_undoes_everything(
    cloud: LocalCloud,
    actor: Callable[..., Actor],
    listed: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    point: str,
) -> None:
    break_step, reason, payment_left = FAILURE_POINTS[point]
    customer = actor("customer")
    product = listed(available=5)
    fill_cart(cloud, customer, (product["product_id"], 2))
    published = BusTap(cloud, "commerce.orders").arrived
    break_step(monkeypatch)
    method = card("pm_card_chargeDeclined") if point == "authorisation" else card()

    response = checkout(cloud, customer, payment_method=method)

    assert response.status == 202, response.text
    order_id = response.json()["order_id"]
    order = settled(cloud, customer, order_id)
    monkeypatch.undo()
    assert order["status"] == "cancelled"
    assert order["cancellation_reason"] == reason
    assert stock_of(cloud, product["product_id"]) == (5, 0, 0)
    payment = simulator_payments(cloud).get(order_id)
    assert (payment.status.value if payment else None) == payment_left
    if payment is not None:
        assert (payment.held.amount, payment.taken.amount) == (0, 0)
    assert order["payment"]["status"] == payment_left
    cart = cart_of(cloud, customer)
    assert [(line["product_id"], line["quantity"]) for line in cart["lines"]] == [(product["product_id"], 2)]
    assert "OrderConfirmed" not in [e["detail-type"] for e in published()] or point == "publish"


def test_a_reservation_failure_cancels_with_insufficient_stock_and_takes_no_money(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    product = listed(available=3)
    fill_cart(cloud, customer, (product["product_id"], 3))
    # Two units are sold elsewhere between filling the cart and paying.
    cloud.client("dynamodb").update_item(
        TableName=cloud.ref("InventoryTable"),
        Key={"pk": {"S": f"PRODUCT#{product['product_id']}"}, "sk": {"S": "WAREHOUSE#main"}},
        UpdateExpression="SET available = :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )

    order = settled(cloud, customer, checkout(cloud, customer).json()["order_id"])

    assert (order["status"], order["cancellation_reason"]) == ("cancelled", "insufficient_stock")
    assert order["payment"]["status"] is None
    assert order["order_id"] not in simulator_payments(cloud)
    assert stock_of(cloud, product["product_id"]) == (1, 0, 0)


def test_a_declined_customer_retries_at_once_with_another_card(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    product = listed(available=5)
    fill_cart(cloud, customer, (product["product_id"], 1))
    declined = checkout(cloud, customer, payment_method=card("pm_card_chargeDeclinedInsufficientFunds"))
    assert settled(cloud, customer, declined.json()["order_id"])["cancellation_reason"] == "payment_declined"

    retried = checkout(cloud, customer, payment_method=card("pm_card_mastercard"))

    assert retried.status == 202, retried.text
    assert retried.json()["order_id"] != declined.json()["order_id"]
    assert settled(cloud, customer, retried.json()["order_id"])["status"] == "confirmed"
    assert stock_of(cloud, product["product_id"]) == (4, 0, 1)


def test_a_transient_failure_is_retried_and_money_is_taken_once(
    cloud: LocalCloud,
    actor: Callable[..., Actor],
    listed: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from commerce.adapters.payment_simulator import SimulatedCardProcessor

    original = SimulatedCardProcessor.capture
    calls: list[str] = []

    def flaky_capture(self: SimulatedCardProcessor, order_id: str) -> Any:
        calls.append(order_id)
        if len(calls) == 1:
            raise PaymentUnavailable("The card network timed out.")
        return original(self, order_id)

    monkeypatch.setattr(SimulatedCardProcessor, "capture", flaky_capture)
    customer = actor("customer")
    product = listed(available=5, price={"amount": 1000, "currency": "USD"})
    fill_cart(cloud, customer, (product["product_id"], 1))

    order = settled(cloud, customer, checkout(cloud, customer).json()["order_id"])

    assert order["status"] == "confirmed"
    assert len(calls) == 2
    payment = simulator_payments(cloud)[order["order_id"]]
    assert payment.captured == payment.amount
    assert order["payment"]["captured"] == {"amount": payment.amount.amount, "currency": "USD"}


# ---------------------------------------------------------------------- the race for the last units
def test_thirty_customers_racing_for_the_last_ten_units_make_exactly_ten_orders(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    product = listed(available=10)
    customers = [actor("customer") for _ in range(30)]
    for customer in customers:
        fill_cart(cloud, customer, (product["product_id"], 1))

    with ThreadPoolExecutor(max_workers=16) as pool:
        accepted = list(pool.map(lambda c: checkout(cloud, c), customers))
    assert all(response.status == 202 for response in accepted), [r.text for r in accepted]
    orders = [
        settled(cloud, c, r.json()["order_id"], timeout=120) for c, r in zip(customers, accepted, strict=True)
    ]

    confirmed = [o for o in orders if o["status"] == "confirmed"]
    cancelled = [o for o in orders if o["status"] == "cancelled"]
    assert len(confirmed) == 10
    assert len(cancelled) == 20
    assert {o["cancellation_reason"] for o in cancelled} == {"insufficient_stock"}
    assert stock_of(cloud, product["product_id"]) == (0, 0, 10)
    payments = simulator_payments(cloud)
    assert all(o["order_id"] not in payments or payments[o["order_id"]].held.amount == 0 for o in cancelled)
    assert all(payments[o["order_id"]].taken == payments[o["order_id"]].amount for o in confirmed)
    assert sum(p.held.amount for p in payments.values()) == 0
