"""Send-once markers of the scheduled jobs, in the notifications table.

| pk                         | sk                      | what                                        |
|----------------------------|-------------------------|---------------------------------------------|
| CART_REMINDER#<cart_id>    | IDLE_SINCE#<updated_at> | a cart's reminder for one idle period       |
| SALES_REPORT#<seller_id>   | DAY#<YYYY-MM-DD>        | a seller's sales report email for one day   |

A claim is a conditional put (``state = sending`` with a lease); the send turns it into
``state = sent``; a failed send deletes it. The put succeeds only where no marker is, or where
a claim was left ``sending`` past its lease (its run died), or where the marker has expired (the
table's TTL deletes late, and moto never does).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import condition_failed, to_item
from commerce.clock import isoformat
from commerce.reminders.ports import ReminderLog
from commerce.reports.ports import ReportMailLog

__all__ = ["DynamoDBReminderLog", "DynamoDBReportMailLog"]

_SENDING, _SENT = "sending", "sent"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class _SendOnce:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def claim(self, key: dict[str, str], now: datetime, lease_until: datetime, keep_until: datetime) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        **key,
                        "state": _SENDING,
                        "claimed_at": isoformat(now),
                        "lease_until": _epoch(lease_until),
                        "expires_at": _epoch(keep_until),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now "
                "OR (#state = :sending AND lease_until <= :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=to_item({":now": _epoch(now), ":sending": _SENDING}),
            )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def sent(self, key: dict[str, str], message_id: str, now: datetime) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=to_item(key),
            UpdateExpression="SET #state = :sent, message_id = :message, sent_at = :now REMOVE lease_until",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_item(
                {":sent": _SENT, ":message": message_id, ":now": isoformat(now)}
            ),
        )

    def release(self, key: dict[str, str]) -> None:
        """Only a claim still ``sending`` is given up: a marker another run completed stays."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=to_item(key),
                ConditionExpression="#state = :sending",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=to_item({":sending": _SENDING}),
            )
        except ClientError as error:
            if not condition_failed(error):
                raise


def _reminder_key(cart_id: str, idle_since: datetime) -> dict[str, str]:
    return {"pk": f"CART_REMINDER#{cart_id}", "sk": f"IDLE_SINCE#{isoformat(idle_since)}"}


def _report_key(seller_id: str, day: date) -> dict[str, str]:
    return {"pk": f"SALES_REPORT#{seller_id}", "sk": f"DAY#{day.isoformat()}"}


class DynamoDBReminderLog(ReminderLog):
    def __init__(self, client: Any, table_name: str) -> None:
        self._markers = _SendOnce(client, table_name)

    def claim(
        self, cart_id: str, idle_since: datetime, now: datetime, lease_until: datetime, keep_until: datetime
    ) -> bool:
        return self._markers.claim(_reminder_key(cart_id, idle_since), now, lease_until, keep_until)

    def sent(self, cart_id: str, idle_since: datetime, message_id: str, now: datetime) -> None:
        self._markers.sent(_reminder_key(cart_id, idle_since), message_id, now)

    def release(self, cart_id: str, idle_since: datetime) -> None:
        self._markers.release(_reminder_key(cart_id, idle_since))


class DynamoDBReportMailLog(ReportMailLog):
    def __init__(self, client: Any, table_name: str) -> None:
        self._markers = _SendOnce(client, table_name)

    def claim(
        self, seller_id: str, day: date, now: datetime, lease_until: datetime, keep_until: datetime
    ) -> bool:
        return self._markers.claim(_report_key(seller_id, day), now, lease_until, keep_until)

    def sent(self, seller_id: str, day: date, message_id: str, now: datetime) -> None:
        self._markers.sent(_report_key(seller_id, day), message_id, now)

    def release(self, seller_id: str, day: date) -> None:
        self._markers.release(_report_key(seller_id, day))
