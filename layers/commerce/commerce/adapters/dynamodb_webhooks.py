"""The webhook inbox in the orders table: ``WEBHOOK#<provider>#<event id>`` / ``WEBHOOK``, kept
30 days by the table's TTL (Stripe retries for three days)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from commerce.adapters.dynamodb import to_item
from commerce.clock import isoformat
from commerce.orders.ports import WebhookInbox

__all__ = ["DynamoDBWebhookInbox"]

KEEP_FOR = timedelta(days=30)


def _key(provider: str, event_id: str) -> dict[str, Any]:
    return to_item({"pk": f"WEBHOOK#{provider}#{event_id}", "sk": "WEBHOOK"})


class DynamoDBWebhookInbox(WebhookInbox):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def seen(self, provider: str, event_id: str) -> bool:
        response = self._client.get_item(
            TableName=self._table, Key=_key(provider, event_id), ConsistentRead=True
        )
        return "Item" in response

    def remember(
        self, provider: str, event_id: str, event_type: str, order_id: str | None, at: datetime
    ) -> None:
        """Two deliveries handled at once both write: the second put is as good as the first."""
        self._client.put_item(
            TableName=self._table,
            Item={
                **_key(provider, event_id),
                **to_item(
                    {
                        "event_type": event_type,
                        "order_id": order_id,
                        "handled_at": isoformat(at),
                        "expires_at": int((at + KEEP_FOR).timestamp()),
                    }
                ),
            },
        )
