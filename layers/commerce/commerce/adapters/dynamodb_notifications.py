"""Delivery markers and back-in-stock watches in the notifications table (``pk``/``sk``, TTL ``expires_at``).

| item                 | pk                       | sk                                 |
|----------------------|--------------------------|------------------------------------|
| delivery marker      | ``EVENT#<notice key>``   | ``<CHANNEL>#<customer id>``        |
| watch (by product)   | ``WATCH#<product id>``   | ``CUSTOMER#<customer id>``         |
| watch (by customer)  | ``CUSTOMER#<customer id>`` | ``WATCH#<created at>#<product id>`` |

A marker is ``claimed`` (with a ``token`` and a lease, ``claimed_until``) and then ``sent``; it expires
after 30 days. A watch is two items written and removed together in one transaction: the product's
side answers "who is waiting for this product" (one query when it is restocked), the customer's side
"what am I waiting for", newest first, with no index. The customer's side carries ``created_at`` in its
key, so both are removed under a condition on the product's side ``created_at``: a watch replaced
meanwhile (unwatched and watched again) is never removed by mistake.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import (
    condition_failed,
    decode_cursor,
    encode_cursor,
    from_item,
    invalid_cursor,
    to_item,
    transaction_cancel_reasons,
)
from commerce.adapters.dynamodb_catalog import DynamoDBProductRepository
from commerce.adapters.dynamodb_users import DynamoDBUserRepository
from commerce.clock import isoformat
from commerce.errors import Conflict
from commerce.notifications.model import MARKER_TTL, Delivery, ProductSummary, Recipient, Watch
from commerce.notifications.ports import (
    Catalogue,
    Claim,
    DeliveryLedger,
    Recipients,
    Refusal,
    WatchPage,
    WatchRepository,
)

__all__ = ["DynamoDBCatalogue", "DynamoDBDeliveryLedger", "DynamoDBRecipients", "DynamoDBWatchRepository"]

_CLAIMED = "claimed"
_SENT = "sent"
#: Lost races (a watch changing while it is added or removed) before giving up.
_ATTEMPTS = 5


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class DynamoDBDeliveryLedger(DeliveryLedger):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @staticmethod
    def _key(delivery: Delivery) -> dict[str, Any]:
        return to_item(
            {
                "pk": f"EVENT#{delivery.notice_key}",
                "sk": f"{delivery.channel.value.upper()}#{delivery.customer_id}",
            }
        )

    def claim(self, delivery: Delivery, token: str, now: datetime, lease: timedelta) -> Claim | Refusal:
        until = now + lease
        item = {
            **self._key(delivery),
            **to_item(
                {
                    "state": _CLAIMED,
                    "token": token,
                    "claimed_at": isoformat(now),
                    "claimed_until": _epoch_ms(until),
                    "notice_key": delivery.notice_key,
                    "channel": delivery.channel.value,
                    "customer_id": delivery.customer_id,
                    "expires_at": int((now + MARKER_TTL).timestamp()),
                }
            ),
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                # Never claimed; or expired (TTL deletes late, or never in moto); or claimed by a sender
                # whose lease lapsed without sending.
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now_s "
                "OR (#state = :claimed AND claimed_until < :now_ms)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=to_item(
                    {":now_s": int(now.timestamp()), ":now_ms": _epoch_ms(now), ":claimed": _CLAIMED}
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            response: dict[str, Any] = dict(error.response)
            held = from_item(response.get("Item") or {})
            return Refusal.SENT if held.get("state") == _SENT else Refusal.BUSY
        return Claim(delivery, token, until)

    def sent(self, claim: Claim, message_id: str, now: datetime) -> None:
        # Unconditional: the message did go out, whoever holds the claim now.
        self._client.update_item(
            TableName=self._table,
            Key=self._key(claim.delivery),
            UpdateExpression="SET #state = :sent, message_id = :message_id, sent_at = :now REMOVE claimed_until",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_item(
                {":sent": _SENT, ":message_id": message_id, ":now": isoformat(now)}
            ),
        )

    def release(self, claim: Claim) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=self._key(claim.delivery),
                ConditionExpression="#state = :claimed AND #token = :token",
                ExpressionAttributeNames={"#state": "state", "#token": "token"},
                ExpressionAttributeValues=to_item({":claimed": _CLAIMED, ":token": claim.token}),
            )
        except ClientError as error:
            if not condition_failed(error):
                raise  # the lease lapses instead


# ------------------------------------------------------------------------------------------------ watches


def _product_side(product_id: str, customer_id: str) -> dict[str, Any]:
    return to_item({"pk": f"WATCH#{product_id}", "sk": f"CUSTOMER#{customer_id}"})


def _customer_side(watch: Watch) -> dict[str, Any]:
    return to_item(
        {
            "pk": f"CUSTOMER#{watch.customer_id}",
            "sk": f"WATCH#{isoformat(watch.created_at)}#{watch.product_id}",
        }
    )


def _watch(values: dict[str, Any]) -> Watch:
    return Watch(
        customer_id=str(values["customer_id"]),
        product_id=str(values["product_id"]),
        created_at=datetime.fromisoformat(str(values["created_at"])),
    )


class DynamoDBWatchRepository(WatchRepository):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _get(self, customer_id: str, product_id: str) -> Watch | None:
        response = self._client.get_item(
            TableName=self._table, Key=_product_side(product_id, customer_id), ConsistentRead=True
        )
        return _watch(from_item(response["Item"])) if "Item" in response else None

    def add(self, watch: Watch) -> tuple[Watch, bool]:
        fields = to_item(
            {
                "customer_id": watch.customer_id,
                "product_id": watch.product_id,
                "created_at": isoformat(watch.created_at),
            }
        )
        for _ in range(_ATTEMPTS):
            try:
                self._client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": {**_product_side(watch.product_id, watch.customer_id), **fields},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        {"Put": {"TableName": self._table, "Item": {**_customer_side(watch), **fields}}},
                    ]
                )
            except ClientError as error:
                if transaction_cancel_reasons(error)[:1] != ["ConditionalCheckFailed"]:
                    raise
                existing = self._get(watch.customer_id, watch.product_id)
                if existing is not None:
                    return existing, False
                continue  # removed between our write and our read: try again
            return watch, True
        raise Conflict("The watch changed at the same time; try again.", code="concurrent_update")

    def _remove(self, watch: Watch) -> bool:
        """Remove both sides if the product's side is still ``watch``; whether it was."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": _product_side(watch.product_id, watch.customer_id),
                            "ConditionExpression": "created_at = :created_at",
                            "ExpressionAttributeValues": to_item(
                                {":created_at": isoformat(watch.created_at)}
                            ),
                        }
                    },
                    {"Delete": {"TableName": self._table, "Key": _customer_side(watch)}},
                ]
            )
        except ClientError as error:
            if transaction_cancel_reasons(error)[:1] != ["ConditionalCheckFailed"]:
                raise
            return False
        return True

    def remove(self, customer_id: str, product_id: str) -> None:
        for _ in range(_ATTEMPTS):
            watch = self._get(customer_id, product_id)
            if watch is None or self._remove(watch):
                return
        raise Conflict("The watch changed at the same time; try again.", code="concurrent_update")

    def remove_told(self, watch: Watch) -> None:
        self._remove(watch)

    def of_customer(self, customer_id: str, cursor: str | None, limit: int) -> WatchPage:
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": f"CUSTOMER#{customer_id}", ":prefix": "WATCH#"}),
            "ScanIndexForward": False,
            # One more than asked, so the last page says it is the last.
            "Limit": limit + 1,
        }
        if cursor is not None:
            after = decode_cursor(cursor, {"sk"}).get("sk")
            if not isinstance(after, str) or not after.startswith("WATCH#") or len(after) > 1024:
                raise invalid_cursor()
            query["ExclusiveStartKey"] = to_item({"pk": f"CUSTOMER#{customer_id}", "sk": after})
        items = [from_item(item) for item in self._client.query(**query).get("Items", [])]
        page, more = items[:limit], len(items) > limit
        return WatchPage(
            [_watch(values) for values in page],
            encode_cursor({"sk": page[-1]["sk"]}) if more and page else None,
        )

    def watchers(self, product_id: str) -> Iterator[Watch]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": f"WATCH#{product_id}", ":prefix": "CUSTOMER#"}),
            "ConsistentRead": True,
        }
        while True:
            response = self._client.query(**query)
            for item in response.get("Items", []):
                yield _watch(from_item(item))
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


# ------------------------------------------------------------------------------------------------ other tables


class DynamoDBRecipients(Recipients):
    """Contact details from the accounts table's profiles."""

    def __init__(self, client: Any, users_table: str) -> None:
        self._users = DynamoDBUserRepository(client, users_table)

    def recipient(self, customer_id: str) -> Recipient | None:
        profile = self._users.get(customer_id)
        if profile is None:
            return None
        return Recipient(
            customer_id=profile.user_id,
            email=profile.email,
            name=profile.name,
            phone=profile.phone,
            sms_opt_in=profile.sms_opt_in,
        )


class DynamoDBCatalogue(Catalogue):
    """Product names and status from the products table."""

    def __init__(self, client: Any, products_table: str) -> None:
        self._products = DynamoDBProductRepository(client, products_table)

    def summaries(self, product_ids: Iterable[str]) -> dict[str, ProductSummary]:
        return {
            product_id: ProductSummary(
                product_id, product.name, active=product.is_active, availability=product.availability.value
            )
            for product_id, product in self._products.get_many(product_ids).items()
        }
