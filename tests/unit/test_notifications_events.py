"""Reading the bus events the notifications queue carries: what follows the contract
(events/schemas/) is read, anything else is refused as unreadable (bound for the dead-letter queue)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from commerce.api.schemas.notifications import parse_customer_event
from commerce.money import Money
from commerce.notifications.model import (
    BackInStock,
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderLine,
    OrderRefunded,
    OrderShipped,
    UnreadableEvent,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "events" / "schemas"
ORDER = "01JD3Q8Z6V8Y4WJ1M5T9K2C7RA"
PRODUCT = "01JD3Q8Z6V8Y4WJ1M5T9K2C7RB"
USD = {"amount": 15998, "currency": "USD"}

DETAILS: dict[str, dict[str, Any]] = {
    "OrderConfirmed": {
        "order_id": ORDER,
        "customer_id": "c-1",
        "total": USD,
        "lines": [{"product_id": PRODUCT, "seller_id": "s-1", "quantity": 2}],
        "seller_ids": ["s-1"],
        "confirmed_at": "2025-01-15T12:00:00.000Z",
    },
    "OrderShipped": {
        "order_id": ORDER,
        "customer_id": "c-1",
        "seller_id": "s-1",
        "carrier": "DHL",
        "tracking_number": "1Z999AA10123456784",
        "product_ids": [PRODUCT],
        "order_status": "shipped",
    },
    "OrderDelivered": {
        "order_id": ORDER,
        "customer_id": "c-1",
        "seller_id": "s-1",
        "product_ids": [PRODUCT],
        "delivered_at": "2025-01-16T09:30:00.000Z",
        "order_status": "delivered",
    },
    "OrderCancelled": {
        "order_id": ORDER,
        "customer_id": "c-1",
        "cancellation_reason": "payment_declined",
        "was_confirmed": False,
        "total": USD,
        "seller_ids": [],
    },
    "OrderRefunded": {
        "order_id": ORDER,
        "customer_id": "c-1",
        "amount": {"amount": 500, "currency": "USD"},
        "refunded_total": {"amount": 500, "currency": "USD"},
        "payment_status": "partially_refunded",
    },
}
STOCK = {
    "product_id": PRODUCT,
    "available": 3,
    "previously_available": 0,
    "low_stock_threshold": 5,
    "warehouse_id": "main",
    "occurred_at": "2025-01-15T12:00:00.000Z",
}


def envelope(detail_type: str, detail: Any, source: str | None = None, event_id: str = "evt-1") -> str:
    """The event as an EventBridge rule puts it on a queue."""
    return json.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": detail_type,
            "source": source or ("commerce.inventory" if detail_type == "BackInStock" else "commerce.orders"),
            "account": "123456789012",
            "time": "2025-01-15T12:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
    )


@pytest.mark.parametrize("detail_type", sorted(DETAILS))
def test_the_samples_follow_the_published_contract(detail_type: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")  # comes with aws-sam-translator
    schema = json.loads((SCHEMAS / "orders.json").read_text())
    jsonschema.validate(DETAILS[detail_type], {**schema, "$ref": f"#/$defs/{detail_type}"})
    jsonschema.validate(STOCK, json.loads((SCHEMAS / "inventory.json").read_text()))


def test_each_order_event_is_read_into_its_domain_event() -> None:
    usd = Money(15998, "USD")
    assert parse_customer_event(envelope("OrderConfirmed", DETAILS["OrderConfirmed"])) == OrderConfirmed(
        "evt-1", ORDER, "c-1", usd, (OrderLine(PRODUCT, 2),)
    )
    shipped = parse_customer_event(envelope("OrderShipped", DETAILS["OrderShipped"]))
    assert shipped == OrderShipped(
        "evt-1", ORDER, "c-1", "s-1", "DHL", "1Z999AA10123456784", (PRODUCT,), "shipped"
    )
    delivered = parse_customer_event(envelope("OrderDelivered", DETAILS["OrderDelivered"]))
    assert isinstance(delivered, OrderDelivered)
    assert delivered.delivered_at.isoformat() == "2025-01-16T09:30:00+00:00"
    assert parse_customer_event(envelope("OrderCancelled", DETAILS["OrderCancelled"])) == OrderCancelled(
        "evt-1", ORDER, "c-1", usd, "payment_declined", False
    )
    assert parse_customer_event(envelope("OrderRefunded", DETAILS["OrderRefunded"])) == OrderRefunded(
        "evt-1", ORDER, "c-1", Money(500, "USD"), Money(500, "USD"), "partially_refunded"
    )


def test_back_in_stock_is_read_with_its_event_id() -> None:
    assert parse_customer_event(envelope("BackInStock", STOCK, event_id="evt-9")) == BackInStock(
        "evt-9", PRODUCT, 3
    )


def test_fields_a_producer_adds_later_are_ignored() -> None:
    detail = {**DETAILS["OrderRefunded"], "refund_id": "r-1", "reason": "damaged"}
    assert isinstance(parse_customer_event(envelope("OrderRefunded", detail)), OrderRefunded)


def test_a_cancellation_without_a_reason_or_with_a_new_reason_is_still_read() -> None:
    for reason in (None, "payment_action_expired"):
        detail = {**DETAILS["OrderCancelled"], "cancellation_reason": reason}
        event = parse_customer_event(envelope("OrderCancelled", detail))
        assert isinstance(event, OrderCancelled)
        assert event.reason == reason


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param("", id="empty"),
        pytest.param("[1, 2]", id="not-an-object"),
        pytest.param(json.dumps({"detail-type": "OrderConfirmed", "detail": {}}), id="no-id-nor-source"),
        pytest.param(envelope("OrderConfirmed", {"order_id": ORDER}), id="detail-missing-fields"),
        pytest.param(envelope("OrderConfirmed", "a string"), id="detail-not-an-object"),
        pytest.param(
            envelope(
                "OrderConfirmed", {**DETAILS["OrderConfirmed"], "total": {"amount": 1.5, "currency": "USD"}}
            ),
            id="float-money",
        ),
        pytest.param(
            envelope(
                "OrderConfirmed", {**DETAILS["OrderConfirmed"], "total": {"amount": 1, "currency": "XXX"}}
            ),
            id="unknown-currency",
        ),
        pytest.param(
            envelope("OrderShipped", {**DETAILS["OrderShipped"], "tracking_number": ""}), id="no-tracking"
        ),
        pytest.param(envelope("StockLow", STOCK, source="commerce.inventory"), id="an-event-nobody-is-told"),
        pytest.param(
            envelope("OrderConfirmed", DETAILS["OrderConfirmed"], source="evil.source"), id="wrong-source"
        ),
        pytest.param("[" * 100_000, id="deeply-nested"),
    ],
)
def test_anything_else_is_unreadable(body: str) -> None:
    with pytest.raises(UnreadableEvent) as raised:
        parse_customer_event(body)
    assert raised.value.code in {"unreadable_event", "unknown_event_type"}


def test_an_unreadable_detail_names_its_offending_fields() -> None:
    with pytest.raises(UnreadableEvent) as raised:
        parse_customer_event(envelope("OrderConfirmed", {"order_id": ORDER}))
    assert {error.field for error in raised.value.errors} >= {"customer_id", "total"}
