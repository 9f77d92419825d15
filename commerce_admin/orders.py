"""Finding orders for an operator: a customer's through the ``by_customer`` index, everyone's
through a Scan (no index spans every customer; an operator's occasional look is worth one read of
the table, which a shop's hot paths never make)."""

from __future__ import annotations

import heapq
from typing import Any

from commerce.orders.model import Order, OrderStatus
from commerce.orders.ports import OrderRepository

__all__ = ["customer_orders", "recent_orders"]

#: Pages of a customer's history read at most while filtering by status.
MAX_PAGES = 50


def customer_orders(
    orders: OrderRepository, customer_id: str, limit: int, status: OrderStatus | None
) -> list[Order]:
    """The customer's newest ``limit`` orders (with ``status`` only, when given)."""
    found: list[Order] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page, cursor = orders.for_customer(customer_id, min(100, max(limit, 20)), cursor)
        found += [order for order in page if status is None or order.status is status]
        if len(found) >= limit or cursor is None:
            break
    return found[:limit]


def recent_orders(
    dynamodb: Any, table: str, orders: OrderRepository, limit: int, status: OrderStatus | None
) -> list[Order]:
    """Every customer's newest ``limit`` orders: order ids (ULIDs, so newest sort last) from a Scan of
    the order items' keys, then each of the newest read whole."""
    names = {"#id": "order_id", "#sk": "sk"}
    values: dict[str, Any] = {":order": {"S": "ORDER"}}
    condition = "#sk = :order"
    if status is not None:
        names["#status"] = "status"
        values[":status"] = {"S": status.value}
        condition += " AND #status = :status"
    params: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": "#id",
        "FilterExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    newest: list[str] = []
    while True:
        response = dynamodb.scan(**params)
        for item in response.get("Items", []):
            order_id = str(item["order_id"]["S"])
            if len(newest) < limit:
                heapq.heappush(newest, order_id)
            else:
                heapq.heappushpop(newest, order_id)
        last = response.get("LastEvaluatedKey")
        if not last:
            break
        params["ExclusiveStartKey"] = last
    result = [orders.get(order_id) for order_id in sorted(newest, reverse=True)]
    return [order for order in result if order is not None]
