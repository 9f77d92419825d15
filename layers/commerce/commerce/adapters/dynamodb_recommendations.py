"""Recommendation counters, lists and caches in one DynamoDB table (``RecommendationsTable``: string
keys pk/sk, TTL attribute ``expires_at`` in epoch seconds, no indexes). ``<hour>`` is the UTC hour
as ``yyyy-mm-ddThh``; ``<shard>`` is 0 to ``ACTIVITY_SHARDS - 1``.

| pk                      | sk               | what                                                        |
|-------------------------|------------------|-------------------------------------------------------------|
| CUSTOMER#<customer>     | AFFINITY         | c#<category>, s#<seller> counters (ADD), updated_at         |
| CUSTOMER#<customer>     | BOUGHT#<product> | product_id, orders (ADD), last_bought_at                    |
| CUSTOMER#<customer>     | RECOMMENDATIONS  | product_ids, computed_at, expires_at (6 h); or, once        |
|                         |                  | invalidated, a tombstone: invalidated_at, expires_at (6 h)  |
| PRODUCT#<product>       | WITH#<other>     | product_id (the other), orders (ADD): bought together       |
| ACTIVITY#<hour>#<shard> | <product>        | weight (ADD), expires_at (the hour + 8 days)                |
| ORDER#<order>           | RECORDED         | idempotency marker: customer_id, at, expires_at (30 days)   |
| TRENDING                | CURRENT          | products [{product_id, score, category_id}], computed_at    |

Writes:
- An order is ONE ``TransactWriteItems``: the ORDER marker put-if-absent first (its failed condition
  is how a redelivery is recognised: nothing else is written), the customer's RECOMMENDATIONS
  tombstone, AFFINITY, one BOUGHT, one ACTIVITY per product and one WITH per ordered pair. For n
  distinct products that is 3 + n + n + n*(n-1) items; the domain caps n at 8 (75 items, under the
  limit of 100). Every item but the tombstone and marker is an ``ADD``, so no read comes first.
  Transactional writes cost 2 WCU per item (<= 1 KB): 10 WCU for one product, 30 for three, 150
  for eight.
- A view is two plain ``UpdateItem`` calls (AFFINITY, ACTIVITY), 2 WCU: no marker, so a retried
  view may count twice (a ranking signal tolerates that; a marker in a transaction would triple
  the cost of every view).
- The hour's activity is spread over ``ACTIVITY_SHARDS`` partition keys by a hash of the product,
  so an hour's writes are not one hot partition (a key takes ~1,000 WCU/s); trending reads
  24 x 8 partitions once an hour.

Reads that are bounded on purpose: a product's WITH items (``MAX_PARTNERS_READ``, then ranked in
memory) and a customer's BOUGHT items (``MAX_PURCHASES_READ``). Items past their ``expires_at``
are ignored: TTL deletes them days late in AWS and never in moto.

Cached lists and invalidation: a list computed from reads started at ``computed_at`` is stored only
if no tombstone with ``invalidated_at >= computed_at`` is there, so an order recorded while a list
was being computed cannot be hidden behind a six-hour cache.

AFFINITY grows by ~40 bytes per category or seller a customer ever touched; past 1 KB each write
costs one more WCU per KB (split it per kind, or decay and prune it, if customers grow many).
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import (
    condition_failed,
    from_item,
    outage_raises,
    to_item,
    transaction_cancel_reasons,
)
from commerce.clock import isoformat
from commerce.recommendations.model import (
    ACTIVITY_RETENTION,
    ORDER_MARKER_RETENTION,
    RECOMMENDATIONS_TTL,
    OrderActivity,
    Purchase,
    Trending,
    TrendingProduct,
    ViewActivity,
    Weights,
    hour_of,
)
from commerce.recommendations.ports import (
    MAX_PARTNERS_READ,
    MAX_PURCHASES_READ,
    RecommendationStore,
    RecommendationsUnavailable,
)

__all__ = ["ACTIVITY_SHARDS", "TRANSACTION_ATTEMPTS", "DynamoDBRecommendationStore"]

ACTIVITY_SHARDS = 8
#: Tries of an order's transaction cancelled by a conflicting transaction on one of its (shared,
#: popular) counters; botocore does not retry a cancelled transaction.
TRANSACTION_ATTEMPTS = 4

#: DynamoDB errors that mean "not now", not "never": the caller retries.
#: Cancellation reasons worth another try of the same transaction.
_RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})

_CATEGORY = "c#"
_SELLER = "s#"
_BOUGHT = "BOUGHT#"
_WITH = "WITH#"


def _customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return to_item({"pk": pk, "sk": sk})


def _shard(product_id: str) -> int:
    return zlib.crc32(product_id.encode()) % ACTIVITY_SHARDS


def _activity_pk(hour: datetime, shard: int) -> str:
    return f"ACTIVITY#{hour_of(hour):%Y-%m-%dT%H}#{shard}"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _outage_is_unavailable() -> AbstractContextManager[None]:
    return outage_raises(lambda: RecommendationsUnavailable("Recommendations are unavailable; try again."))


def _add(key: dict[str, Any], counters: dict[str, int], sets: dict[str, Any], table: str) -> dict[str, Any]:
    """An ``UpdateItem`` that ADDs ``counters`` and SETs ``sets`` (attribute names as placeholders:
    category and seller ids become attribute names and may hold any character)."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds: list[str] = []
    for i, (name, amount) in enumerate(counters.items()):
        names[f"#a{i}"] = name
        values[f":a{i}"] = amount
        adds.append(f"#a{i} :a{i}")
    assignments: list[str] = []
    for i, (name, value) in enumerate(sets.items()):
        names[f"#s{i}"] = name
        values[f":s{i}"] = value
        assignments.append(f"#s{i} = :s{i}")
    clauses = [f"ADD {', '.join(adds)}"] if adds else []
    if assignments:
        clauses.append(f"SET {', '.join(assignments)}")
    return {
        "TableName": table,
        "Key": key,
        "UpdateExpression": " ".join(clauses),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_item(values),
    }


def _affinity_counters(weights: Weights) -> dict[str, int]:
    counters = {f"{_CATEGORY}{category}": weight for category, weight in weights.categories.items()}
    counters.update({f"{_SELLER}{seller}": weight for seller, weight in weights.sellers.items()})
    return counters


class DynamoDBRecommendationStore(RecommendationStore):
    def __init__(self, client: Any, table_name: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep

    # ------------------------------------------------------------------ signals
    def record_order(self, activity: OrderActivity) -> bool:
        items = self._order_writes(activity)
        attempt = 1
        while True:
            try:
                with _outage_is_unavailable():
                    self._client.transact_write_items(TransactItems=items)
            except ClientError as error:
                reasons = transaction_cancel_reasons(error)
                if not reasons:
                    raise
                if reasons[0] == "ConditionalCheckFailed":
                    return False  # the marker is there: this order was recorded before
                if not _RETRYABLE_REASONS.intersection(reasons):
                    raise
                if attempt >= TRANSACTION_ATTEMPTS:
                    reasons_text = ", ".join(reasons)
                    raise RecommendationsUnavailable(
                        f"The order could not be recorded ({reasons_text}); try again."
                    ) from error
                self._sleep(0.025 * 2**attempt * (1 + random.random()))  # noqa: S311 (jitter, not crypto)
                attempt += 1
                continue
            return True

    def _order_writes(self, activity: OrderActivity) -> list[dict[str, Any]]:
        customer_pk = _customer_pk(activity.customer_id)
        at = isoformat(activity.at)
        hour = activity.hour
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            "pk": f"ORDER#{activity.order_id}",
                            "sk": "RECORDED",
                            "customer_id": activity.customer_id,
                            "at": at,
                            "recorded_at": isoformat(activity.recorded_at),
                            "expires_at": _epoch(activity.recorded_at + ORDER_MARKER_RETENTION),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._tombstone(activity.customer_id, activity.recorded_at),
                }
            },
        ]
        if activity.affinity:
            writes.append(
                {
                    "Update": _add(
                        _key(customer_pk, "AFFINITY"),
                        _affinity_counters(activity.affinity),
                        {"updated_at": at},
                        self._table,
                    )
                }
            )
        for product_id in activity.products:
            writes.append(
                {
                    "Update": _add(
                        _key(customer_pk, f"{_BOUGHT}{product_id}"),
                        {"orders": 1},
                        {"product_id": product_id, "last_bought_at": at},
                        self._table,
                    )
                }
            )
        for product_id, weight in activity.activity.items():
            writes.append({"Update": self._activity_update(product_id, hour, weight)})
        for product_id, other in activity.pairs:
            writes.append(
                {
                    "Update": _add(
                        _key(f"PRODUCT#{product_id}", f"{_WITH}{other}"),
                        {"orders": 1},
                        {"product_id": other},
                        self._table,
                    )
                }
            )
        return writes

    def _activity_update(self, product_id: str, hour: datetime, weight: int) -> dict[str, Any]:
        return _add(
            _key(_activity_pk(hour, _shard(product_id)), product_id),
            {"weight": weight},
            {"expires_at": _epoch(hour + ACTIVITY_RETENTION)},
            self._table,
        )

    def record_view(self, view: ViewActivity) -> None:
        with _outage_is_unavailable():
            self._client.update_item(
                **_add(
                    _key(_customer_pk(view.customer_id), "AFFINITY"),
                    _affinity_counters(view.affinity),
                    {"updated_at": isoformat(view.at)},
                    self._table,
                )
            )
            self._client.update_item(**self._activity_update(view.product_id, view.hour, view.weight))

    # ------------------------------------------------------------------ reads
    def _get(self, key: dict[str, Any], consistent: bool = False) -> dict[str, Any] | None:
        with _outage_is_unavailable():
            response = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=consistent)
        return from_item(response["Item"]) if "Item" in response else None

    def _query(
        self, pk: str, prefix: str | None, most: int | None, consistent: bool = False
    ) -> list[dict[str, Any]]:
        """Every item of ``pk`` (whose sk starts with ``prefix``), up to ``most``, page by page."""
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": pk}
        if prefix is not None:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = prefix
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
            "ConsistentRead": consistent,
        }
        found: list[dict[str, Any]] = []
        while most is None or len(found) < most:
            if most is not None:
                params["Limit"] = most - len(found)
            with _outage_is_unavailable():
                response = self._client.query(**params)
            found.extend(from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found

    def affinity_weights(self, customer_id: str) -> Weights:
        values = self._get(_key(_customer_pk(customer_id), "AFFINITY")) or {}
        categories: dict[str, int] = {}
        sellers: dict[str, int] = {}
        for name, value in values.items():
            if name.startswith(_CATEGORY):
                categories[name[len(_CATEGORY) :]] = int(value)
            elif name.startswith(_SELLER):
                sellers[name[len(_SELLER) :]] = int(value)
        return Weights(categories, sellers)

    def purchases(self, customer_id: str) -> list[Purchase]:
        items = self._query(_customer_pk(customer_id), _BOUGHT, MAX_PURCHASES_READ, consistent=True)
        return [
            Purchase(item["product_id"], datetime.fromisoformat(item["last_bought_at"])) for item in items
        ]

    def bought_with(self, product_id: str) -> dict[str, int]:
        items = self._query(f"PRODUCT#{product_id}", _WITH, MAX_PARTNERS_READ)
        return {item["product_id"]: int(item["orders"]) for item in items}

    def activity(self, hours: Sequence[datetime], now: datetime) -> dict[datetime, dict[str, int]]:
        alive_after = _epoch(now)
        buckets: dict[datetime, dict[str, int]] = {}
        for hour in dict.fromkeys(hour_of(h) for h in hours):
            counts: dict[str, int] = {}
            for shard in range(ACTIVITY_SHARDS):
                for item in self._query(_activity_pk(hour, shard), None, None):
                    if int(item.get("expires_at", 0)) > alive_after:
                        counts[item["sk"]] = int(item["weight"])
            buckets[hour] = counts
        return buckets

    # ------------------------------------------------------------------ trending
    def save_trending(self, trending: Trending) -> None:
        with _outage_is_unavailable():
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        "pk": "TRENDING",
                        "sk": "CURRENT",
                        "products": [
                            {
                                "product_id": entry.product_id,
                                "score": Decimal(f"{entry.score:.6f}"),
                                "category_id": entry.category_id,
                            }
                            for entry in trending.products
                        ],
                        "computed_at": isoformat(trending.computed_at) if trending.computed_at else None,
                    }
                ),
            )

    def trending(self) -> Trending:
        values = self._get(_key("TRENDING", "CURRENT"))
        if values is None:
            return Trending()
        products = tuple(
            TrendingProduct(entry["product_id"], float(entry["score"]), entry["category_id"])
            for entry in values.get("products", [])
        )
        computed_at = values.get("computed_at")
        return Trending(products, datetime.fromisoformat(computed_at) if computed_at else None)

    # ------------------------------------------------------------------ personal lists
    def cached_recommendations(self, customer_id: str, now: datetime) -> list[str] | None:
        values = self._get(_key(_customer_pk(customer_id), "RECOMMENDATIONS"))
        if values is None or "product_ids" not in values or int(values["expires_at"]) <= _epoch(now):
            return None
        return [str(product_id) for product_id in values["product_ids"]]

    def cache_recommendations(
        self, customer_id: str, product_ids: Sequence[str], computed_at: datetime, expires_at: datetime
    ) -> bool:
        try:
            with _outage_is_unavailable():
                self._client.put_item(
                    TableName=self._table,
                    Item=to_item(
                        {
                            "pk": _customer_pk(customer_id),
                            "sk": "RECOMMENDATIONS",
                            "product_ids": list(product_ids),
                            "computed_at": isoformat(computed_at),
                            "expires_at": _epoch(expires_at),
                        }
                    ),
                    ConditionExpression="attribute_not_exists(invalidated_at) OR invalidated_at < :computed",
                    ExpressionAttributeValues=to_item({":computed": isoformat(computed_at)}),
                )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def invalidate_recommendations(self, customer_id: str, at: datetime) -> None:
        with _outage_is_unavailable():
            self._client.put_item(TableName=self._table, Item=self._tombstone(customer_id, at))

    def _tombstone(self, customer_id: str, at: datetime) -> dict[str, Any]:
        """Replaces the cached list; outlives any computation that started before it."""
        return to_item(
            {
                "pk": _customer_pk(customer_id),
                "sk": "RECOMMENDATIONS",
                "invalidated_at": isoformat(at),
                "expires_at": _epoch(at + RECOMMENDATIONS_TTL),
            }
        )
