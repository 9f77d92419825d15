"""Payment reconciliation reports in the orders table: ``RECONCILIATION#<day>`` / ``REPORT``, one
item per day, replaced when the job runs for that day again.

An item holds at most ``MAX_STORED_MISMATCHES`` mismatches (the most serious first) and
``MAX_STORED_UNCHECKED`` unchecked orders, as a DynamoDB item is at most 400 KB; ``mismatch_count``
and ``unchecked_count`` count them all. The orders table's stream passes
these items by (they are not orders).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from commerce.adapters.dynamodb import from_item, money_from_item, to_item
from commerce.clock import isoformat
from commerce.orders.model import OrderStatus
from commerce.payments.model import PaymentStatus
from commerce.payments.reconciliation import (
    Mismatch,
    MismatchKind,
    PaymentView,
    ProviderTally,
    ReconciliationReport,
    ReconciliationReports,
    UncheckedOrder,
)

__all__ = ["MAX_STORED_MISMATCHES", "DynamoDBReconciliationReports"]

#: Up to about 700 bytes each: with the unchecked orders, well inside an item's 400 KB.
MAX_STORED_MISMATCHES = 300

#: About 200 bytes each (an id, a name, a sentence).
MAX_STORED_UNCHECKED = 300


def _key(day: date) -> dict[str, Any]:
    return to_item({"pk": f"RECONCILIATION#{day.isoformat()}", "sk": "REPORT"})


def _to_view(values: dict[str, Any] | None) -> PaymentView | None:
    if values is None:
        return None
    return PaymentView(
        status=PaymentStatus(values["status"]) if values.get("status") else None,
        authorized=money_from_item(values.get("authorized")),
        captured=money_from_item(values.get("captured")),
        refunded=money_from_item(values.get("refunded")),
        refunds_succeeded=money_from_item(values.get("refunds_succeeded")),
    )


def _mismatch(mismatch: Mismatch) -> dict[str, Any]:
    return {
        "order_id": mismatch.order_id,
        "kind": mismatch.kind.value,
        "detail": mismatch.detail,
        "order_status": mismatch.order_status.value,
        "platform": mismatch.platform.as_dict(),
        "provider": mismatch.provider.as_dict() if mismatch.provider else None,
        "provider_name": mismatch.provider_name,
    }


def _to_mismatch(values: dict[str, Any]) -> Mismatch:
    platform = _to_view(values["platform"])
    assert platform is not None
    return Mismatch(
        order_id=values["order_id"],
        kind=MismatchKind(values["kind"]),
        detail=values["detail"],
        order_status=OrderStatus(values["order_status"]),
        platform=platform,
        provider=_to_view(values.get("provider")),
        provider_name=values.get("provider_name"),
    )


class DynamoDBReconciliationReports(ReconciliationReports):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def save_reconciliation(self, report: ReconciliationReport) -> None:
        item = {
            **_key(report.day),
            **to_item(
                {
                    "day": report.day.isoformat(),
                    "reconciled_at": isoformat(report.reconciled_at),
                    "checked": report.checked,
                    "mismatch_count": report.mismatch_count,
                    "mismatches": [_mismatch(m) for m in report.mismatches[:MAX_STORED_MISMATCHES]],
                    "unchecked": [
                        {"order_id": u.order_id, "provider_name": u.provider_name, "detail": u.detail}
                        for u in report.unchecked[:MAX_STORED_UNCHECKED]
                    ],
                    "unchecked_count": len(report.unchecked),
                    "by_provider": {
                        name: {"checked": t.checked, "mismatches": t.mismatches, "unavailable": t.unavailable}
                        for name, t in report.by_provider.items()
                    },
                }
            ),
        }
        # A plain put: running the day again replaces the report with the newer view.
        self._client.put_item(TableName=self._table, Item=item)

    def reconciliation(self, day: date) -> ReconciliationReport | None:
        response = self._client.get_item(TableName=self._table, Key=_key(day), ConsistentRead=True)
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        return ReconciliationReport(
            day=date.fromisoformat(values["day"]),
            reconciled_at=datetime.fromisoformat(values["reconciled_at"]),
            checked=int(values["checked"]),
            mismatches=tuple(_to_mismatch(m) for m in values.get("mismatches", [])),
            unchecked=tuple(
                UncheckedOrder(u["order_id"], u.get("provider_name"), u["detail"])
                for u in values.get("unchecked", [])
            ),
            by_provider={
                name: ProviderTally(int(t["checked"]), int(t["mismatches"]), int(t["unavailable"]))
                for name, t in values.get("by_provider", {}).items()
            },
            mismatch_count=int(values["mismatch_count"]),
            unchecked_count=int(values.get("unchecked_count", 0)),
        )
