"""The daily payment reconciliation through the local cloud: real checkouts, then the provider's
books (the card simulator's table) changed behind the platform's back, then the job."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from commerce.adapters.dynamodb_reconciliation import DynamoDBReconciliationReports
from commerce.payments.reconciliation import MismatchKind, ReconciliationReport
from localcloud import LocalCloud
from support import Actor, BusTap, card, checkout, fill_cart, settled


def placed_and_settled(
    cloud: LocalCloud, customer: Actor, product_id: str, payment_method_id: str = "pm_card_visa"
) -> dict[str, Any]:
    fill_cart(cloud, customer, (product_id, 1))
    response = checkout(cloud, customer, payment_method=card(payment_method_id))
    assert response.status == 202, response.text
    return settled(cloud, customer, response.json()["order_id"])


def provider_books(cloud: LocalCloud, order_id: str, update: str, **values: Any) -> None:
    """Change the card simulator's record of a payment, as if the provider had done it."""
    cloud.client("dynamodb").update_item(
        TableName=cloud.ref("PaymentSimulatorTable"),
        Key={"pk": {"S": f"PAYMENT#{order_id}"}, "sk": {"S": "PAYMENT"}},
        UpdateExpression=update,
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            f":{name}": {"N": str(value)} if isinstance(value, int) else {"S": value}
            for name, value in values.items()
        },
    )


def forget_at_provider(cloud: LocalCloud, order_id: str) -> None:
    cloud.client("dynamodb").delete_item(
        TableName=cloud.ref("PaymentSimulatorTable"),
        Key={"pk": {"S": f"PAYMENT#{order_id}"}, "sk": {"S": "PAYMENT"}},
    )


def stored_report(cloud: LocalCloud, day: str) -> ReconciliationReport:
    reports = DynamoDBReconciliationReports(cloud.client("dynamodb"), cloud.ref("OrdersTable"))
    report = reports.reconciliation(datetime.fromisoformat(day).date())
    assert report is not None
    return report


def test_the_job_reports_exactly_the_orders_whose_payment_the_provider_changed_behind_the_platforms_back(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    product_id = listed(available=20, price={"amount": 2500, "currency": "USD"})["product_id"]
    clean = placed_and_settled(cloud, customer, product_id)
    refunded_behind = placed_and_settled(cloud, customer, product_id)
    forgotten = placed_and_settled(cloud, customer, product_id)
    cancelled = placed_and_settled(cloud, customer, product_id)
    declined = placed_and_settled(cloud, customer, product_id, "pm_card_chargeDeclined")
    assert [o["status"] for o in (clean, refunded_behind, forgotten, cancelled)] == ["confirmed"] * 4
    assert declined["status"] == "cancelled"
    response = cloud.request("POST", f"/v1/orders/{cancelled['order_id']}/cancel", token=customer.token)
    assert response.status == 200, response.text
    # GIVEN the provider refunds one payment, loses another and un-refunds a cancelled order's
    provider_books(
        cloud,
        refunded_behind["order_id"],
        "SET refunded = captured, #status = :refunded",
        refunded="refunded",
    )
    forget_at_provider(cloud, forgotten["order_id"])
    provider_books(
        cloud, cancelled["order_id"], "SET refunded = :zero, #status = :captured", zero=0, captured="captured"
    )
    published = BusTap(cloud, "commerce.payments").arrived
    today = datetime.now(UTC).date().isoformat()

    # WHEN the job runs for today
    result = cloud.invoke("JobsFunction", {"job": "reconcile_payments", "day": today})

    # THEN it names exactly the tampered orders, each with what is wrong; the declined checkout
    # (no payment) is not even looked at
    assert result["job"] == "reconcile_payments"
    assert result["day"] == today
    assert result["checked"] == 4
    report = stored_report(cloud, today)
    assert report.checked == 4
    assert report.unchecked == ()
    found: dict[str, set[MismatchKind]] = {}
    for mismatch in report.mismatches:
        found.setdefault(mismatch.order_id, set()).add(mismatch.kind)
    assert found == {
        refunded_behind["order_id"]: {MismatchKind.REFUNDS_MISMATCH},
        forgotten["order_id"]: {MismatchKind.MISSING_AT_PROVIDER},
        cancelled["order_id"]: {MismatchKind.MONEY_HELD_ON_CANCELLED_ORDER, MismatchKind.REFUNDS_MISMATCH},
    }
    assert report.mismatches[0].kind is MismatchKind.MONEY_HELD_ON_CANCELLED_ORDER  # most serious first
    assert report.mismatch_count == result["mismatches"] == 4
    assert report.by_provider["simulator"].checked == 4
    # AND it told the bus: one summary, one event per mismatch
    events = published()
    summaries = [e["detail"] for e in events if e["detail-type"] == "PaymentsReconciled"]
    assert len(summaries) == 1
    assert summaries[0]["day"] == today
    assert summaries[0]["mismatches"] == 4
    mismatches = {
        (e["detail"]["order_id"], e["detail"]["kind"])
        for e in events
        if e["detail-type"] == "PaymentMismatchFound"
    }
    assert mismatches == {(m.order_id, m.kind.value) for m in report.mismatches}


def test_orders_whose_books_agree_make_a_clean_report_and_running_again_replaces_it(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    product_id = listed(available=5)["product_id"]
    order = placed_and_settled(cloud, customer, product_id)
    response = cloud.request("POST", f"/v1/orders/{order['order_id']}/cancel", token=customer.token)
    assert response.status == 200, response.text
    today = datetime.now(UTC).date().isoformat()

    first = cloud.invoke("JobsFunction", {"job": "reconcile_payments", "day": today})
    forget_at_provider(cloud, order["order_id"])
    second = cloud.invoke("JobsFunction", {"job": "reconcile_payments", "day": today})

    assert (first["checked"], first["mismatches"]) == (1, 0)
    assert (second["checked"], second["mismatches"]) == (1, 1)
    assert [m.kind for m in stored_report(cloud, today).mismatches] == [MismatchKind.MISSING_AT_PROVIDER]


def test_the_daily_schedule_reconciles_yesterday(
    cloud: LocalCloud, actor: Callable[..., Actor], listed: Callable[..., dict[str, Any]]
) -> None:
    customer = actor("customer")
    placed_and_settled(cloud, customer, listed(available=5)["product_id"])
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()

    cloud.fire_schedule("JobsFunctionReconcilePayments")

    report = stored_report(cloud, yesterday)
    assert report.checked == 0  # today's order belongs to today's run
    assert report.is_clean
