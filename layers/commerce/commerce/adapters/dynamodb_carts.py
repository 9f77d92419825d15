"""Carts in DynamoDB: ONE item per cart, ``pk = CART#<cart_id>``, written whole with a
condition on its ``version``.

Item: ``cart_id``, ``kind`` (customer | guest), ``lines`` (a list of maps in the order the
lines were added: product_id, quantity, price_amount, currency, added_at, updated_at, name,
image), ``created_at``/``updated_at`` (ISO 8601), ``expires_at`` (epoch seconds, the table's
TTL attribute) and ``version``.

GSI ``due_reminders`` (sparse, KEYS_ONLY): a customer's cart with lines carries ``remind_shard``
(``REMINDER_SHARDS`` shards by a stable hash of the cart id) and ``remind_at`` (epoch seconds,
when its idle period earns a reminder: ``commerce.reminders.model``). Every write of the cart
sets or drops them, so the hourly reminder job reads only the carts that came due, never the
whole table. (The saga's ClearCart update leaves them on an emptied cart; the job reads the cart
and skips it.)

Why one versioned item rather than per-line updates of a map attribute: the cart's rules
(one currency, at most 50 lines, an expired cart starts empty) span all its lines, and with
whole-item optimistic concurrency they stay in the pure domain model instead of being
re-expressed as condition expressions. A cart is small (50 lines are a few KB of the 400 KB
item limit) and is contended only by one shopper's own tabs, so a lost race costs one more
GetItem + PutItem. Merging a guest cart is one transaction (put the customer's cart, delete
the guest's, both conditional), so a repeated merge cannot add the lines twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import condition_failed, from_item, to_item, transaction_cancel_reasons
from commerce.carts.model import Cart, CartLine
from commerce.carts.ports import CartRepository, StaleCart
from commerce.clock import isoformat
from commerce.money import Money
from commerce.reminders.model import reminder_due_at

__all__ = ["REMINDER_SHARDS", "DynamoDBCartRepository", "checkout_lock"]

_RETRYABLE_REASONS = {"ConditionalCheckFailed", "TransactionConflict"}

#: How many partitions of ``due_reminders`` the carts are spread over.
REMINDER_SHARDS = 8


def _pk(cart_id: str) -> str:
    return f"CART#{cart_id}"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _line_item(line: CartLine) -> dict[str, Any]:
    values: dict[str, Any] = {
        "product_id": line.product_id,
        "quantity": line.quantity,
        "price_amount": line.unit_price.amount,
        "currency": line.unit_price.currency,
        "added_at": isoformat(line.added_at),
        "updated_at": isoformat(line.updated_at),
        "name": line.name,
        "image": line.image,
    }
    return {key: value for key, value in values.items() if value is not None}


def _reminder_shard(cart_id: str) -> str:
    """Stable across processes and deployments (unlike ``hash``)."""
    return str(zlib.crc32(cart_id.encode()) % REMINDER_SHARDS)


def _cart_item(cart: Cart) -> dict[str, Any]:
    remind_at = reminder_due_at(cart)
    return to_item(
        {
            "pk": _pk(cart.cart_id),
            "cart_id": cart.cart_id,
            "kind": "guest" if cart.is_guest else "customer",
            "lines": [_line_item(line) for line in cart.lines],
            "created_at": isoformat(cart.created_at) if cart.created_at else None,
            "updated_at": isoformat(cart.updated_at) if cart.updated_at else None,
            "expires_at": _epoch(cart.expires_at) if cart.expires_at else None,
            "version": cart.version,
            "checkout_order_id": cart.checkout_order_id,
            "checkout_until": _epoch(cart.checkout_until) if cart.checkout_until else None,
            "remind_shard": _reminder_shard(cart.cart_id) if remind_at else None,
            "remind_at": _epoch(remind_at) if remind_at else None,
        }
    )


def _line(values: dict[str, Any]) -> CartLine:
    return CartLine(
        product_id=values["product_id"],
        quantity=int(values["quantity"]),
        unit_price=Money(int(values["price_amount"]), values["currency"]),
        added_at=datetime.fromisoformat(values["added_at"]),
        updated_at=datetime.fromisoformat(values["updated_at"]),
        name=values.get("name"),
        image=values.get("image"),
    )


def _cart(item: dict[str, Any]) -> Cart:
    values = from_item(item)
    expires_at = values.get("expires_at")
    created_at, updated_at = values.get("created_at"), values.get("updated_at")
    locked_until = values.get("checkout_until")
    return Cart(
        cart_id=values["cart_id"],
        lines=tuple(_line(line) for line in values.get("lines", [])),
        created_at=datetime.fromisoformat(created_at) if created_at else None,
        updated_at=datetime.fromisoformat(updated_at) if updated_at else None,
        expires_at=datetime.fromtimestamp(int(expires_at), UTC) if expires_at is not None else None,
        version=int(values.get("version", 0)),
        checkout_order_id=values.get("checkout_order_id"),
        checkout_until=datetime.fromtimestamp(int(locked_until), UTC) if locked_until is not None else None,
    )


def _version_condition(expected_version: int) -> dict[str, Any]:
    if expected_version == 0:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "version = :expected",
        "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
    }


def checkout_lock(table: str, cart: Cart, order_id: str, now: datetime, until: datetime) -> dict[str, Any]:
    """The transaction item that locks ``cart`` for ``order_id``, if it is still the version
    read and no live lock holds it (checkout writes it with the order, in one transaction).
    The saga ends the lock with ``REMOVE checkout_order_id, checkout_until`` conditional on
    ``checkout_order_id = <order>`` (statemachines/order_fulfilment.asl.json)."""
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": _pk(cart.cart_id)}},
            "UpdateExpression": "SET checkout_order_id = :order, checkout_until = :until, version = :next",
            "ConditionExpression": "version = :expected AND "
            "(attribute_not_exists(checkout_until) OR checkout_until <= :now)",
            "ExpressionAttributeValues": to_item(
                {
                    ":order": order_id,
                    ":until": _epoch(until),
                    ":next": cart.version + 1,
                    ":expected": cart.version,
                    ":now": _epoch(now),
                }
            ),
        }
    }


class DynamoDBCartRepository(CartRepository):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, cart_id: str) -> Cart | None:
        response = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": _pk(cart_id)}}, ConsistentRead=True
        )
        return _cart(response["Item"]) if "Item" in response else None

    def save(self, cart: Cart, expected_version: int) -> None:
        try:
            self._client.put_item(
                TableName=self._table, Item=_cart_item(cart), **_version_condition(expected_version)
            )
        except ClientError as error:
            if condition_failed(error):
                raise StaleCart(cart.cart_id) from None
            raise

    def save_merged(self, cart: Cart, expected_version: int, consumed: Cart) -> None:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": _cart_item(cart),
                            **_version_condition(expected_version),
                        }
                    },
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": _pk(consumed.cart_id)}},
                            **_version_condition(consumed.version),
                        }
                    },
                ]
            )
        except ClientError as error:
            if _RETRYABLE_REASONS.intersection(transaction_cancel_reasons(error)):
                raise StaleCart(cart.cart_id) from None
            raise

    def due_for_reminder(self, due_from: datetime, due_until: datetime) -> Iterator[Cart]:
        """Carts whose reminder fell due in ``(due_from, due_until]``: one Query per shard on the
        sparse index, then the carts themselves read consistently (100 per BatchGetItem)."""
        for shard in range(REMINDER_SHARDS):
            params: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "due_reminders",
                "KeyConditionExpression": "remind_shard = :shard AND remind_at BETWEEN :from AND :until",
                "ExpressionAttributeValues": to_item(
                    {":shard": str(shard), ":from": _epoch(due_from) + 1, ":until": _epoch(due_until)}
                ),
            }
            while True:
                response = self._client.query(**params)
                keys = [{"pk": item["pk"]} for item in response.get("Items", [])]
                for start in range(0, len(keys), 100):
                    yield from self._carts(keys[start : start + 100])
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                params["ExclusiveStartKey"] = last

    def _carts(self, keys: list[dict[str, Any]]) -> Iterator[Cart]:
        request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
        for _ in range(8):
            response = self._client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table, []):
                yield _cart(item)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return
        raise RuntimeError(f"DynamoDB left {len(request[self._table]['Keys'])} carts unread after 8 tries")
