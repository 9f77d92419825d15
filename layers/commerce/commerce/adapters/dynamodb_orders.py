"""Orders in one DynamoDB table.

| pk                          | sk              | what                                          |
|-----------------------------|-----------------|-----------------------------------------------|
| ORDER#<order_id>            | ORDER           | the whole order, ``version`` for concurrency  |
| ORDER#<order_id>            | SELLER#<seller> | index entry: the seller can list this order   |
| CHECKOUT#<customer>#<key>   | CHECKOUT        | an Idempotency-Key's record (expires in 24 h) |

GSIs (sparse): ``by_customer`` (customer_id, order_id) over order items, so a customer's
history is one Query, newest first (order ids are ULIDs); ``by_seller`` (seller_key,
order_id) over the index entries, written when the order is confirmed, so sellers never
see checkouts that failed. An order is one item (at most 50 lines: a few KB), so every
change is one conditional write and reading it is one GetItem.

``by_payment_day`` (payment_day, order_id), KEYS_ONLY and sparse: an order with a payment carries
``payment_day`` = ``<day of its last change, UTC>#<shard>`` (``PAYMENT_DAY_SHARDS`` shards by a
stable hash of the order id, so one busy day's writes spread over several partitions); the daily
payment reconciliation reads a day back shard by shard.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import (
    condition_failed,
    decode_cursor,
    encode_cursor,
    from_item,
    invalid_cursor,
    money_from_item,
    money_to_item,
    to_item,
    transaction_cancel_reasons,
)
from commerce.adapters.dynamodb_carts import checkout_lock
from commerce.clock import isoformat
from commerce.orders.model import (
    CancellationReason,
    CustomerAction,
    Fulfilment,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderPayment,
    OrderRefund,
    OrderStatus,
    RefundDestination,
    RefundStatus,
    Shipment,
    ShippingAddress,
    Totals,
)
from commerce.orders.ports import CheckoutClaim, CheckoutConflict, CheckoutRecord, OrderRepository, StaleOrder
from commerce.payments.model import NextAction, PaymentMethod, PaymentMethodKind, PaymentStatus

__all__ = [
    "KEY_LIFETIME",
    "PAYMENT_DAY_SHARDS",
    "DynamoDBOrderRepository",
    "order_from_image",
    "order_from_item",
    "payment_day",
]

#: How long an Idempotency-Key is remembered (as Stripe does).
KEY_LIFETIME = timedelta(hours=24)

#: How many partitions of ``by_payment_day`` one day's orders are spread over.
PAYMENT_DAY_SHARDS = 8


def _order_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}}


def _record_key(customer_id: str, key: str) -> dict[str, Any]:
    return {"pk": {"S": f"CHECKOUT#{customer_id}#{key}"}, "sk": {"S": "CHECKOUT"}}


def _time(value: datetime | None) -> str | None:
    return isoformat(value) if value is not None else None


def _to_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _line(line: OrderLine) -> dict[str, Any]:
    return {
        "product_id": line.product_id,
        "seller_id": line.seller_id,
        "name": line.name,
        "unit_price": money_to_item(line.unit_price),
        "quantity": line.quantity,
    }


def _to_line(values: dict[str, Any]) -> OrderLine:
    price = money_from_item(values["unit_price"])
    assert price is not None
    return OrderLine(
        values["product_id"], values["seller_id"], values["name"], price, int(values["quantity"])
    )


def _fulfilment(fulfilment: Fulfilment) -> dict[str, Any]:
    shipment = fulfilment.shipment
    return {
        "seller_id": fulfilment.seller_id,
        "status": fulfilment.status.value,
        "product_ids": [line.product_id for line in fulfilment.lines],
        "shipment": None
        if shipment is None
        else {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "shipped_at": isoformat(shipment.shipped_at),
        },
        "delivered_at": _time(fulfilment.delivered_at),
    }


def _to_fulfilment(values: dict[str, Any], lines: tuple[OrderLine, ...]) -> Fulfilment:
    shipment = values.get("shipment")
    return Fulfilment(
        seller_id=values["seller_id"],
        lines=tuple(line for line in lines if line.seller_id == values["seller_id"]),
        status=FulfilmentStatus(values["status"]),
        shipment=None
        if not shipment
        else Shipment(
            shipment["carrier"], shipment["tracking_number"], datetime.fromisoformat(shipment["shipped_at"])
        ),
        delivered_at=_to_time(values.get("delivered_at")),
    )


def _payment(payment: OrderPayment) -> dict[str, Any]:
    return {
        "method": payment.method.kind.value,
        "token": payment.method.token,
        "status": payment.status.value if payment.status else None,
        "reference": payment.reference,
        "provider": payment.provider,
        "authorized": money_to_item(payment.authorized),
        "captured": money_to_item(payment.captured),
        "refunded": money_to_item(payment.refunded),
        "next_action": None
        if payment.next_action is None
        else {
            "type": payment.next_action.type,
            "client_secret": payment.next_action.client_secret,
            "url": payment.next_action.url,
        },
        "refunds": [_refund(refund) for refund in payment.refunds],
    }


def _refund(refund: OrderRefund) -> dict[str, Any]:
    return {
        "refund_id": refund.refund_id,
        "amount": money_to_item(refund.amount),
        "destination": refund.destination.value,
        "reason": refund.reason,
        "requested_by": refund.requested_by,
        "requested_at": isoformat(refund.requested_at),
        "status": refund.status.value,
        "completed_at": _time(refund.completed_at),
    }


def _to_refund(values: dict[str, Any]) -> OrderRefund:
    amount = money_from_item(values["amount"])
    assert amount is not None
    return OrderRefund(
        refund_id=values["refund_id"],
        amount=amount,
        destination=RefundDestination(values["destination"]),
        reason=values["reason"],
        requested_by=values["requested_by"],
        requested_at=datetime.fromisoformat(values["requested_at"]),
        status=RefundStatus(values["status"]),
        completed_at=_to_time(values.get("completed_at")),
    )


def _to_next_action(values: dict[str, Any] | None) -> NextAction | None:
    if not values:
        return None
    return NextAction(values["type"], values.get("client_secret"), values.get("url"))


def _to_payment(values: dict[str, Any]) -> OrderPayment:
    return OrderPayment(
        method=PaymentMethod(PaymentMethodKind(values["method"]), values.get("token")),
        status=PaymentStatus(values["status"]) if values.get("status") else None,
        reference=values.get("reference"),
        provider=values.get("provider"),
        authorized=money_from_item(values.get("authorized")),
        captured=money_from_item(values.get("captured")),
        refunded=money_from_item(values.get("refunded")),
        next_action=_to_next_action(values.get("next_action")),
        refunds=tuple(_to_refund(refund) for refund in values.get("refunds", [])),
    )


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _shard(order_id: str) -> int:
    """Stable across processes and deployments (unlike ``hash``)."""
    return zlib.crc32(order_id.encode()) % PAYMENT_DAY_SHARDS


def payment_day(order: Order) -> str | None:
    """The order's key in ``by_payment_day``; ``None`` (not indexed) until it has a payment."""
    if order.payment.status is None:
        return None
    return f"{order.updated_at.astimezone(UTC):%Y-%m-%d}#{_shard(order.order_id)}"


def _order_item(order: Order) -> dict[str, Any]:
    totals = order.totals
    return to_item(
        _drop_none(
            {
                "pk": f"ORDER#{order.order_id}",
                "sk": "ORDER",
                "order_id": order.order_id,
                "customer_id": order.customer_id,
                "status": order.status.value,
                "lines": [_line(line) for line in order.lines],
                "fulfilments": [_fulfilment(f) for f in order.fulfilments],
                "totals": {
                    "subtotal": money_to_item(totals.subtotal),
                    "shipping": money_to_item(totals.shipping),
                    "tax": money_to_item(totals.tax),
                    "total": money_to_item(totals.total),
                    "tax_rate_basis_points": totals.tax_rate_basis_points,
                },
                "shipping_address": {
                    "full_name": order.shipping_address.full_name,
                    "line1": order.shipping_address.line1,
                    "line2": order.shipping_address.line2,
                    "city": order.shipping_address.city,
                    "region": order.shipping_address.region,
                    "postal_code": order.shipping_address.postal_code,
                    "country": order.shipping_address.country,
                    "phone": order.shipping_address.phone,
                },
                "payment": _payment(order.payment),
                "created_at": isoformat(order.created_at),
                "updated_at": isoformat(order.updated_at),
                "confirmed_at": _time(order.confirmed_at),
                "cancelled_at": _time(order.cancelled_at),
                "cancellation_reason": order.cancellation_reason.value if order.cancellation_reason else None,
                "cancellation_detail": order.cancellation_detail,
                "customer_action": None
                if order.customer_action is None
                else {
                    "task_token": order.customer_action.task_token,
                    "until": isoformat(order.customer_action.until),
                },
                "version": order.version,
                "payment_day": payment_day(order),
            }
        )
    )


def order_from_item(item: dict[str, Any]) -> Order:
    """An order from its stored item (also from a stream record's image)."""
    values = from_item(item)
    lines = tuple(_to_line(line) for line in values["lines"])
    totals = values["totals"]
    address = values["shipping_address"]
    reason = values.get("cancellation_reason")
    money = {name: money_from_item(totals[name]) for name in ("subtotal", "shipping", "tax", "total")}
    return Order(
        order_id=values["order_id"],
        customer_id=values["customer_id"],
        status=OrderStatus(values["status"]),
        lines=lines,
        fulfilments=tuple(_to_fulfilment(f, lines) for f in values["fulfilments"]),
        totals=Totals(
            subtotal=money["subtotal"],  # type: ignore[arg-type]
            shipping=money["shipping"],  # type: ignore[arg-type]
            tax=money["tax"],  # type: ignore[arg-type]
            total=money["total"],  # type: ignore[arg-type]
            tax_rate_basis_points=int(totals.get("tax_rate_basis_points", 0)),
        ),
        shipping_address=ShippingAddress(
            full_name=address["full_name"],
            line1=address["line1"],
            line2=address.get("line2"),
            city=address["city"],
            region=address.get("region"),
            postal_code=address["postal_code"],
            country=address["country"],
            phone=address.get("phone"),
        ),
        payment=_to_payment(values["payment"]),
        created_at=datetime.fromisoformat(values["created_at"]),
        updated_at=datetime.fromisoformat(values["updated_at"]),
        confirmed_at=_to_time(values.get("confirmed_at")),
        cancelled_at=_to_time(values.get("cancelled_at")),
        cancellation_reason=CancellationReason(reason) if reason else None,
        cancellation_detail=values.get("cancellation_detail"),
        customer_action=CustomerAction(
            values["customer_action"]["task_token"],
            datetime.fromisoformat(values["customer_action"]["until"]),
        )
        if values.get("customer_action")
        else None,
        version=int(values["version"]),
    )


class DynamoDBOrderRepository(OrderRepository):
    def __init__(self, client: Any, table_name: str, carts_table: str | None = None) -> None:
        self._client = client
        self._table = table_name
        self._carts_table = carts_table

    # ------------------------------------------------------------------ checkout
    def place(self, order: Order, claim: CheckoutClaim) -> None:
        if self._carts_table is None:  # pragma: no cover - a wiring mistake
            raise RuntimeError("placing orders needs the carts table")
        record = claim.record
        now_epoch = int(claim.now.timestamp())
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": _order_item(order),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                **_record_key(record.customer_id, record.key),
                                **to_item(
                                    {
                                        "order_id": record.order_id,
                                        "request_digest": record.request_digest,
                                        "created_at": isoformat(claim.now),
                                        "expires_at": now_epoch + int(KEY_LIFETIME.total_seconds()),
                                    }
                                ),
                            },
                            "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
                            "ExpressionAttributeValues": {":now": {"N": str(now_epoch)}},
                        }
                    },
                    checkout_lock(self._carts_table, claim.cart, order.order_id, claim.now, claim.lock_until),
                ]
            )
        except ClientError as error:
            if transaction_cancel_reasons(error):
                raise CheckoutConflict(order.order_id) from None
            raise

    def checkout_record(self, customer_id: str, key: str) -> CheckoutRecord | None:
        response = self._client.get_item(
            TableName=self._table, Key=_record_key(customer_id, key), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        if int(values["expires_at"]) <= int(datetime.now(UTC).timestamp()):
            return None  # forgotten (TTL deletes late)
        return CheckoutRecord(customer_id, key, values["order_id"], values["request_digest"])

    # ------------------------------------------------------------------ orders
    def get(self, order_id: str) -> Order | None:
        response = self._client.get_item(TableName=self._table, Key=_order_key(order_id), ConsistentRead=True)
        return order_from_item(response["Item"]) if "Item" in response else None

    def save(self, before: Order, after: Order) -> None:
        put = {
            "Put": {
                "TableName": self._table,
                "Item": _order_item(after),
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(before.version)}},
            }
        }
        newly_confirmed = before.confirmed_at is None and after.confirmed_at is not None
        if not newly_confirmed:
            try:
                self._client.put_item(**put["Put"])
            except ClientError as error:
                if condition_failed(error):
                    raise StaleOrder(after.order_id) from None
                raise
            return
        entries = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            "pk": f"ORDER#{after.order_id}",
                            "sk": f"SELLER#{seller_id}",
                            "seller_key": seller_id,
                            "order_id": after.order_id,
                        }
                    ),
                }
            }
            for seller_id in after.seller_ids
        ]
        try:
            self._client.transact_write_items(TransactItems=[put, *entries])
        except ClientError as error:
            if transaction_cancel_reasons(error):
                raise StaleOrder(after.order_id) from None
            raise

    def _page(
        self, index: str, key_name: str, key: str, limit: int, cursor: str | None
    ) -> tuple[list[str], str | None]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": f"{key_name} = :key",
            "ExpressionAttributeValues": {":key": {"S": key}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            state = decode_cursor(cursor, {"after"})
            after = state.get("after")
            if not isinstance(after, str):
                raise invalid_cursor()
            params["ExclusiveStartKey"] = {
                key_name: {"S": key},
                "order_id": {"S": after},
                "pk": {"S": f"ORDER#{after}"},
                "sk": {"S": "ORDER" if index == "by_customer" else f"SELLER#{key}"},
            }
        response = self._client.query(**params)
        ids = [str(item["order_id"]["S"]) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return ids, (encode_cursor({"after": last["order_id"]["S"]}) if last and ids else None)

    def _orders(self, order_ids: list[str]) -> dict[str, Order]:
        found: dict[str, Order] = {}
        request: dict[str, Any] = (
            {self._table: {"Keys": [_order_key(order_id) for order_id in order_ids], "ConsistentRead": True}}
            if order_ids
            else {}
        )
        for _ in range(8):
            if not request:
                break
            response = self._client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table, []):
                order = order_from_item(item)
                found[order.order_id] = order
            request = response.get("UnprocessedKeys") or {}
        return found

    def for_customer(
        self, customer_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Order], str | None]:
        ids, next_cursor = self._page("by_customer", "customer_id", customer_id, limit, cursor)
        orders = self._orders(ids)
        return [orders[order_id] for order_id in ids if order_id in orders], next_cursor

    def payments_changed_on(self, day: date) -> Iterator[Order]:
        """Every order whose payment is recorded and whose last change was on ``day`` (UTC).

        The index is eventually consistent: an order changed again since is read as it is now
        and left to the day of its newer change.
        """
        for shard in range(PAYMENT_DAY_SHARDS):
            params: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "by_payment_day",
                "KeyConditionExpression": "payment_day = :day",
                "ExpressionAttributeValues": {":day": {"S": f"{day.isoformat()}#{shard}"}},
            }
            while True:
                response = self._client.query(**params)
                ids = [str(item["order_id"]["S"]) for item in response.get("Items", [])]
                for start in range(0, len(ids), 100):  # BatchGetItem takes 100 keys
                    batch = ids[start : start + 100]
                    orders = self._orders(batch)
                    for order_id in batch:
                        order = orders.get(order_id)
                        if order is not None and payment_day(order) == f"{day.isoformat()}#{shard}":
                            yield order
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                params["ExclusiveStartKey"] = last

    def for_seller(
        self, seller_id: str, limit: int, cursor: str | None
    ) -> tuple[list[tuple[Order, Fulfilment]], str | None]:
        ids, next_cursor = self._page("by_seller", "seller_key", seller_id, limit, cursor)
        orders = self._orders(ids)
        return [
            (orders[order_id], orders[order_id].fulfilment(seller_id))
            for order_id in ids
            if order_id in orders
        ], next_cursor


def order_from_image(image: dict[str, Any] | None) -> Order | None:
    """The order in a stream record's image; ``None`` for other items (index entries, keys)."""
    if not image or image.get("sk", {}).get("S") != "ORDER":
        return None
    return order_from_item(image)
