"""Stock, the stock ledger and reservations in one DynamoDB table.

| pk                  | sk                 | what                                             |
|---------------------|--------------------|--------------------------------------------------|
| PRODUCT#<id>        | WAREHOUSE#<wh>     | available, reserved, sold, priority              |
| PRODUCT#<id>        | SETTINGS           | low_stock_threshold                              |
| PRODUCT#<id>        | MOVEMENT#<ulid>    | one ledger entry (deltas, kind, reason, order)   |
| RESERVATION#<order> | RESERVATION        | status, allocations, expires_at                  |

A reservation is ONE TransactWriteItems: per allocation a conditional decrement
(``available >= :q``) and a ledger entry, plus the reservation item itself, put only if
absent, which is also the order's idempotency record. Commit and release are one
transaction each, conditional on the reservation still being ``reserved``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import condition_failed, from_item, to_item, transaction_cancel_reasons
from commerce.clock import isoformat
from commerce.errors import Conflict
from commerce.inventory.model import (
    DEFAULT_LOW_STOCK_THRESHOLD,
    Allocation,
    Movement,
    MovementKind,
    Reservation,
    ReservationStatus,
    StockLevel,
    WarehouseStock,
)
from commerce.inventory.ports import InventoryRepository, StaleStock

__all__ = ["OPEN_SHARDS", "DynamoDBInventoryRepository"]

#: The open-reservations index is spread over this many partitions, so a sale's burst of
#: reservations does not land on one hot key; the expiry job reads each shard.
OPEN_SHARDS = 8


def _product_pk(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def _reservation_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"RESERVATION#{order_id}"}, "sk": {"S": "RESERVATION"}}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _shard(order_id: str) -> str:
    return str(zlib.crc32(order_id.encode()) % OPEN_SHARDS)


def _movement_item(movement: Movement) -> dict[str, Any]:
    return to_item(
        {
            "pk": _product_pk(movement.product_id),
            "sk": f"MOVEMENT#{movement.movement_id}",
            "movement_id": movement.movement_id,
            "product_id": movement.product_id,
            "warehouse_id": movement.warehouse_id,
            "kind": movement.kind.value,
            "at": isoformat(movement.at),
            "delta_available": movement.delta_available,
            "delta_reserved": movement.delta_reserved,
            "delta_sold": movement.delta_sold,
            "reason": movement.reason,
            "actor": movement.actor,
            "order_id": movement.order_id,
        }
    )


def _movement(values: dict[str, Any]) -> Movement:
    return Movement(
        movement_id=values["movement_id"],
        product_id=values["product_id"],
        warehouse_id=values["warehouse_id"],
        kind=MovementKind(values["kind"]),
        at=datetime.fromisoformat(values["at"]),
        delta_available=int(values.get("delta_available", 0)),
        delta_reserved=int(values.get("delta_reserved", 0)),
        delta_sold=int(values.get("delta_sold", 0)),
        reason=values.get("reason"),
        actor=values.get("actor"),
        order_id=values.get("order_id"),
    )


def _reservation_item(reservation: Reservation) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pk": f"RESERVATION#{reservation.order_id}",
        "sk": "RESERVATION",
        "order_id": reservation.order_id,
        "status": reservation.status.value,
        "allocations": [
            {"product_id": a.product_id, "warehouse_id": a.warehouse_id, "quantity": a.quantity}
            for a in reservation.allocations
        ],
        "created_at": isoformat(reservation.created_at),
        "updated_at": isoformat(reservation.updated_at),
        "expires_at": _epoch(reservation.expires_at),
        "release_reason": reservation.release_reason,
    }
    if reservation.status is ReservationStatus.RESERVED:
        values["open_shard"] = _shard(reservation.order_id)
        values["open_expires_at"] = _epoch(reservation.expires_at)
    return to_item(values)


def _reservation(values: dict[str, Any]) -> Reservation:
    return Reservation(
        order_id=values["order_id"],
        allocations=tuple(
            Allocation(a["product_id"], a["warehouse_id"], int(a["quantity"])) for a in values["allocations"]
        ),
        status=ReservationStatus(values["status"]),
        created_at=datetime.fromisoformat(values["created_at"]),
        updated_at=datetime.fromisoformat(values["updated_at"]),
        expires_at=datetime.fromtimestamp(int(values["expires_at"]), UTC),
        release_reason=values.get("release_reason"),
    )


class DynamoDBInventoryRepository(InventoryRepository):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # ------------------------------------------------------------------ reading
    def _level(self, product_id: str) -> StockLevel:
        warehouses: list[WarehouseStock] = []
        threshold = DEFAULT_LOW_STOCK_THRESHOLD
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :settings AND :warehouses",
            "ExpressionAttributeValues": to_item(
                {":pk": _product_pk(product_id), ":settings": "SETTINGS", ":warehouses": "WAREHOUSE#\uffff"}
            ),
            "ConsistentRead": True,
        }
        while True:
            response = self._client.query(**params)
            for raw in response.get("Items", []):
                values = from_item(raw)
                if values["sk"] == "SETTINGS":
                    threshold = int(values.get("low_stock_threshold", DEFAULT_LOW_STOCK_THRESHOLD))
                elif values["sk"].startswith("WAREHOUSE#"):
                    warehouses.append(
                        WarehouseStock(
                            product_id=product_id,
                            warehouse_id=values["warehouse_id"],
                            available=int(values.get("available", 0)),
                            reserved=int(values.get("reserved", 0)),
                            sold=int(values.get("sold", 0)),
                            priority=int(values.get("priority", 100)),
                        )
                    )
            if "LastEvaluatedKey" not in response:
                return StockLevel(product_id, tuple(warehouses), threshold)
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def levels(self, product_ids: Iterable[str]) -> dict[str, StockLevel]:
        return {product_id: self._level(product_id) for product_id in dict.fromkeys(product_ids)}

    def movements(self, product_id: str, limit: int) -> list[Movement]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": _product_pk(product_id), ":prefix": "MOVEMENT#"}),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_movement(from_item(item)) for item in response.get("Items", [])]

    def get_reservation(self, order_id: str) -> Reservation | None:
        response = self._client.get_item(
            TableName=self._table, Key=_reservation_key(order_id), ConsistentRead=True
        )
        return _reservation(from_item(response["Item"])) if "Item" in response else None

    def extend(self, before: Reservation, after: Reservation) -> None:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_reservation_item(after),
                ConditionExpression="#status = :reserved AND expires_at = :before",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {":reserved": ReservationStatus.RESERVED.value, ":before": _epoch(before.expires_at)}
                ),
            )
        except ClientError as error:
            if condition_failed(error):
                raise StaleStock(before.order_id) from None
            raise

    def expired_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        found: list[Reservation] = []
        for shard in range(OPEN_SHARDS):
            response = self._client.query(
                TableName=self._table,
                IndexName="open_reservations",
                KeyConditionExpression="open_shard = :shard AND open_expires_at <= :now",
                ExpressionAttributeValues=to_item({":shard": str(shard), ":now": _epoch(now)}),
                Limit=limit,
            )
            found.extend(_reservation(from_item(item)) for item in response.get("Items", []))
        found.sort(key=lambda r: r.expires_at)
        return found[:limit]

    # ------------------------------------------------------------------ sellers' writes
    def _warehouse_key(self, product_id: str, warehouse_id: str) -> dict[str, Any]:
        return to_item({"pk": _product_pk(product_id), "sk": f"WAREHOUSE#{warehouse_id}"})

    def _write(self, items: list[dict[str, Any]]) -> list[str]:
        """Run a transaction; on cancellation return the reasons instead of raising."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = transaction_cancel_reasons(error)
            if not reasons:
                raise
            return reasons
        return []

    def set_available(
        self, movement: Movement, expected_available: int | None, priority: int | None = None
    ) -> None:
        sets = ["available = :new", "updated_at = :at", "product_id = :product", "warehouse_id = :warehouse"]
        values: dict[str, Any] = {
            ":new": (expected_available or 0) + movement.delta_available,
            ":at": isoformat(movement.at),
            ":product": movement.product_id,
            ":warehouse": movement.warehouse_id,
        }
        if expected_available is None:
            sets += ["reserved = :zero", "sold = :zero", "priority = :priority"]
            values[":zero"] = 0
            values[":priority"] = priority if priority is not None else 100
            condition = "attribute_not_exists(pk)"
        else:
            condition = "available = :expected"
            values[":expected"] = expected_available
            if priority is not None:
                sets.append("priority = :priority")
                values[":priority"] = priority
        reasons = self._write(
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._warehouse_key(movement.product_id, movement.warehouse_id),
                        "UpdateExpression": "SET " + ", ".join(sets),
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": to_item(values),
                    }
                },
                {"Put": {"TableName": self._table, "Item": _movement_item(movement)}},
            ]
        )
        if reasons:
            raise StaleStock(movement.product_id)

    def adjust(self, movement: Movement) -> None:
        delta = movement.delta_available
        condition = "attribute_exists(pk)" + (" AND available >= :needed" if delta < 0 else "")
        values: dict[str, Any] = {":delta": delta, ":at": isoformat(movement.at)}
        if delta < 0:
            values[":needed"] = -delta
        update = {
            "TableName": self._table,
            "Key": self._warehouse_key(movement.product_id, movement.warehouse_id),
            "UpdateExpression": "SET available = available + :delta, updated_at = :at",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
        }
        reasons = self._write(
            [{"Update": update}, {"Put": {"TableName": self._table, "Item": _movement_item(movement)}}]
        )
        if not reasons:
            return
        if delta > 0:
            # First stock in a new warehouse: create it, unless someone just did.
            try:
                self.set_available(movement, None)
            except StaleStock:
                self.adjust(movement)
            return
        raise Conflict("The write-off is larger than the available stock.", code="stock_would_go_negative")

    def set_threshold(self, product_id: str, threshold: int) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item({"pk": _product_pk(product_id), "sk": "SETTINGS", "low_stock_threshold": threshold}),
        )

    # ------------------------------------------------------------------ reservations
    def reserve(self, reservation: Reservation, movements: list[Movement]) -> None:
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _reservation_item(reservation),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        for allocation in reservation.allocations:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._warehouse_key(allocation.product_id, allocation.warehouse_id),
                        "UpdateExpression": "SET available = available - :q, reserved = reserved + :q, "
                        "updated_at = :at",
                        "ConditionExpression": "available >= :q",
                        "ExpressionAttributeValues": to_item(
                            {":q": allocation.quantity, ":at": isoformat(reservation.created_at)}
                        ),
                    }
                }
            )
        items.extend({"Put": {"TableName": self._table, "Item": _movement_item(m)}} for m in movements)
        reasons = self._write(items)
        if not reasons:
            return
        if reasons[0] == "ConditionalCheckFailed":
            raise Conflict("This order already has a reservation.", code="reservation_exists")
        raise StaleStock(reservation.order_id)

    #: How each settling step moves units between a warehouse's figures.
    _MOVES = {
        ReservationStatus.COMMITTED: ("reserved", "sold"),
        ReservationStatus.RELEASED: ("reserved", "available"),
        ReservationStatus.RETURNED: ("sold", "available"),
    }

    def settle(self, before: Reservation, after: Reservation, movements: list[Movement]) -> None:
        source, target = self._MOVES[after.status]
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _reservation_item(after),
                    "ConditionExpression": "#status = :before",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":before": {"S": before.status.value}},
                }
            }
        ]
        for allocation in before.allocations:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._warehouse_key(allocation.product_id, allocation.warehouse_id),
                        "UpdateExpression": f"SET {source} = {source} - :q, {target} = {target} + :q, "
                        "updated_at = :at",
                        "ConditionExpression": f"{source} >= :q",
                        "ExpressionAttributeValues": to_item(
                            {":q": allocation.quantity, ":at": isoformat(after.updated_at)}
                        ),
                    }
                }
            )
        items.extend({"Put": {"TableName": self._table, "Item": _movement_item(m)}} for m in movements)
        reasons = self._write(items)
        if reasons:
            raise StaleStock(before.order_id)
