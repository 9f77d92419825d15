"""Specification of the daily payment reconciliation: what counts as a mismatch between an order's
record of its payment and the provider's, and the job that checks a day's orders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from commerce.events import DomainEvent, EventPublisher
from commerce.money import Money
from commerce.orders.model import (
    CancellationReason,
    Order,
    OrderStatus,
    RefundDestination,
)
from commerce.payments.model import (
    NextAction,
    Payment,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    PaymentUnavailable,
)
from commerce.payments.ports import PaymentProvider
from commerce.payments.providers import PaymentProviders
from commerce.payments.reconciliation import (
    GRACE_PERIOD,
    MismatchKind,
    PaymentReconciliation,
    ReconciliationReport,
    ReconciliationReports,
    compare,
)
from unit.fakes import FixedClock, one_line_order

DAY = date(2026, 12, 1)
PLACED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)  # when the daily job runs
VISA = PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa")
SCHEMAS = Path(__file__).resolve().parents[2] / "events" / "schemas"


def usd(amount: int) -> Money:
    return Money(amount, "USD")


TOTAL = usd(5000)


def placed(order_id: str = "01JD0000000000000000000001", at: datetime = PLACED) -> Order:
    return one_line_order(order_id, TOTAL, at)


def authorized(order_id: str = "01JD0000000000000000000001") -> Payment:
    return Payment.authorized(order_id, "pi_0123456789abcdef01234567", VISA, TOTAL, PLACED)


def paid(payment: Payment, order: Order | None = None) -> Order:
    """The order once its saga recorded ``payment``."""
    return (order or placed(payment.order_id)).with_payment(payment, "simulator", PLACED)


def confirmed(order_id: str = "01JD0000000000000000000001") -> tuple[Order, Payment]:
    """A confirmed order whose captured payment both sides agree on."""
    payment = authorized(order_id).captured_at(PLACED)
    order = paid(payment, paid(authorized(order_id)).confirmed(PLACED))
    return order, payment


def kinds(order: Order, payment: Payment | None, now: datetime = NOW) -> list[MismatchKind]:
    return [m.kind for m in compare(order, payment, now)]


# ---------------------------------------------------------------------- agreement
def test_a_captured_payment_both_sides_agree_on_is_no_mismatch() -> None:
    order, payment = confirmed()

    assert compare(order, payment, NOW) == []


def test_an_order_refunded_to_the_card_and_the_provider_agree() -> None:
    order, payment = confirmed()
    order = order.refund_requested("r-1", usd(2000), RefundDestination.ORIGINAL, "damaged", "admin", PLACED)
    payment = payment.refunded_by(usd(2000), PLACED)
    order = paid(payment, order.refund_completed("r-1", PLACED))

    assert compare(order, payment, NOW) == []


def test_a_refund_to_the_wallet_leaves_the_card_payment_captured_and_that_is_no_mismatch() -> None:
    order, payment = confirmed()
    order = order.refund_requested("r-1", usd(2000), RefundDestination.WALLET, "late", "admin", PLACED)
    order = order.refund_completed("r-1", PLACED)

    assert compare(order, payment, NOW) == []


def test_requires_action_at_the_provider_and_voided_on_the_order_both_hold_nothing() -> None:
    waiting = Payment.awaiting_action(
        "01JD0000000000000000000001", "pi_1", VISA, TOTAL, PLACED, NextAction("use_stripe_sdk", "secret")
    )
    order = paid(waiting.voided_at(PLACED)).cancelled(CancellationReason.PAYMENT_ACTION_EXPIRED, PLACED)

    assert compare(order, waiting, NOW) == []


def test_a_voided_hold_on_a_cancelled_order_is_no_mismatch() -> None:
    voided = authorized().voided_at(PLACED)
    order = paid(voided).cancelled(CancellationReason.INSUFFICIENT_STOCK, PLACED)

    assert compare(order, voided, NOW) == []


def test_an_order_without_a_payment_the_provider_does_not_know_either_is_no_mismatch() -> None:
    order = placed().cancelled(CancellationReason.PAYMENT_DECLINED, PLACED)

    assert compare(order, None, NOW) == []


def test_a_confirmed_and_refunded_then_cancelled_order_is_no_mismatch() -> None:
    order, payment = confirmed()
    order = order.refund_requested(
        "r-1", TOTAL, RefundDestination.ORIGINAL, "order cancelled", "system", PLACED
    )
    payment = payment.refunded_by(TOTAL, PLACED)
    order = paid(payment, order.refund_completed("r-1", PLACED)).cancelled(
        CancellationReason.CUSTOMER_REQUEST, PLACED
    )

    assert compare(order, payment, NOW) == []


# ---------------------------------------------------------------------- each kind
def test_a_payment_the_provider_has_no_record_of_is_missing_at_provider() -> None:
    order, _ = confirmed()

    [mismatch] = compare(order, None, NOW)

    assert mismatch.kind is MismatchKind.MISSING_AT_PROVIDER
    assert mismatch.provider is None
    assert mismatch.platform.status is PaymentStatus.CAPTURED
    assert mismatch.provider_name == "simulator"


def test_a_hold_still_on_a_cancelled_order_is_money_held_on_cancelled_order() -> None:
    payment = authorized()
    order = paid(payment).cancelled(CancellationReason.INSUFFICIENT_STOCK, PLACED)

    assert kinds(order, payment) == [MismatchKind.MONEY_HELD_ON_CANCELLED_ORDER]


def test_money_taken_on_a_cancelled_order_and_never_given_back_is_money_held() -> None:
    order, payment = confirmed()
    cancelled = order.cancelled(CancellationReason.ADMIN_REQUEST, PLACED)

    [mismatch] = compare(cancelled, payment, NOW)

    assert mismatch.kind is MismatchKind.MONEY_HELD_ON_CANCELLED_ORDER
    assert "50.00 USD" in mismatch.detail


def test_a_cancelled_order_refunded_to_the_wallet_keeps_the_card_money_rightly() -> None:
    order, payment = confirmed()
    order = order.refund_requested("r-1", TOTAL, RefundDestination.WALLET, "cancelled", "admin", PLACED)
    order = order.refund_completed("r-1", PLACED).cancelled(CancellationReason.ADMIN_REQUEST, PLACED)

    assert compare(order, payment, NOW) == []


def test_a_voided_order_whose_provider_still_holds_the_money_is_a_status_mismatch_and_money_held() -> None:
    payment = authorized()
    order = paid(payment.voided_at(PLACED)).cancelled(CancellationReason.INSUFFICIENT_STOCK, PLACED)

    assert kinds(order, payment) == [
        MismatchKind.MONEY_HELD_ON_CANCELLED_ORDER,
        MismatchKind.STATUS_MISMATCH,
    ]


def test_a_confirmed_order_the_provider_never_captured_is_not_captured() -> None:
    payment = authorized()
    order = paid(payment).confirmed(PLACED)

    assert kinds(order, payment) == [MismatchKind.NOT_CAPTURED]


def test_a_shipped_order_whose_capture_the_provider_lost_is_not_captured_and_disagrees() -> None:
    order, _ = confirmed()
    order = order.shipped_by("seller-1", "UPS", "1Z999", PLACED)
    voided = authorized().voided_at(PLACED)

    assert kinds(order, voided) == [
        MismatchKind.NOT_CAPTURED,
        MismatchKind.STATUS_MISMATCH,
        MismatchKind.AMOUNT_MISMATCH,
    ]


def test_a_refund_the_provider_made_behind_the_platforms_back_is_a_refunds_mismatch() -> None:
    order, payment = confirmed()
    refunded = payment.refunded_by(TOTAL, PLACED)

    [mismatch] = compare(order, refunded, NOW)

    assert mismatch.kind is MismatchKind.REFUNDS_MISMATCH
    assert mismatch.provider is not None
    assert mismatch.provider.refunded == TOTAL
    assert mismatch.platform.refunds_succeeded == usd(0)


def test_a_refund_the_order_completed_but_the_provider_never_made_is_a_refunds_mismatch() -> None:
    order, payment = confirmed()
    order = order.refund_requested("r-1", usd(1000), RefundDestination.ORIGINAL, "late", "admin", PLACED)
    order = order.refund_completed("r-1", PLACED)

    assert kinds(order, payment) == [MismatchKind.REFUNDS_MISMATCH]


def test_a_refund_made_at_the_provider_but_still_pending_on_the_order_waits_out_the_grace_period() -> None:
    order, payment = confirmed()
    requested_at = NOW - timedelta(minutes=5)
    order = order.refund_requested("r-1", usd(1000), RefundDestination.ORIGINAL, "x", "admin", requested_at)
    refunded = payment.refunded_by(usd(1000), requested_at)
    snapshot = paid(refunded, order)

    assert compare(snapshot, refunded, NOW) == []
    assert kinds(snapshot, refunded, NOW + GRACE_PERIOD) == [MismatchKind.REFUNDS_MISMATCH]


def test_a_stale_refunded_figure_on_the_order_is_an_amount_mismatch() -> None:
    order, payment = confirmed()
    order = order.refund_requested("r-1", usd(1000), RefundDestination.ORIGINAL, "x", "admin", PLACED)
    refunded = payment.refunded_by(usd(1000), PLACED)
    stale = order.refund_completed("r-1", PLACED)  # the ledger is right, the snapshot was never updated

    [mismatch] = compare(stale, refunded, NOW)

    assert mismatch.kind is MismatchKind.AMOUNT_MISMATCH
    assert "refunded" in mismatch.detail


def test_a_payment_for_another_amount_than_the_order_is_an_amount_mismatch() -> None:
    order, _ = confirmed()
    other = Payment.authorized(order.order_id, "pi_1", VISA, usd(4000), PLACED).captured_at(PLACED)

    assert kinds(order, other) == [MismatchKind.AMOUNT_MISMATCH]


def test_a_payment_in_another_currency_is_an_amount_mismatch() -> None:
    order, _ = confirmed()
    euros = Payment.authorized(order.order_id, "pi_1", VISA, Money(5000, "EUR"), PLACED)

    assert kinds(order, euros) == [MismatchKind.AMOUNT_MISMATCH]


def test_a_captured_order_the_provider_only_holds_is_a_status_and_amount_mismatch() -> None:
    payment = authorized()
    order = paid(payment.captured_at(PLACED), paid(payment).confirmed(PLACED))

    assert kinds(order, payment) == [
        MismatchKind.NOT_CAPTURED,
        MismatchKind.STATUS_MISMATCH,
        MismatchKind.AMOUNT_MISMATCH,
    ]


# ---------------------------------------------------------------------- orders in flight
def test_a_pending_order_inside_its_saga_is_not_a_mismatch_whatever_the_provider_says() -> None:
    order = placed(at=NOW - timedelta(minutes=10))
    payment = authorized()

    assert compare(order, payment, NOW) == []
    assert compare(paid(payment.captured_at(PLACED), order), None, NOW) == []


def test_a_pending_order_older_than_the_grace_period_with_money_held_is_pending_too_long() -> None:
    payment = authorized()
    order = paid(payment)

    assert kinds(order, payment) == [MismatchKind.PENDING_TOO_LONG]


def test_an_old_pending_order_holding_nothing_is_no_mismatch() -> None:
    waiting = Payment.awaiting_action(
        "01JD0000000000000000000001", "pi_1", VISA, TOTAL, PLACED, NextAction("use_stripe_sdk", "secret")
    )

    assert compare(paid(waiting), waiting, NOW) == []


def test_a_just_confirmed_order_waiting_for_its_capture_is_not_yet_not_captured() -> None:
    payment = authorized()
    order = paid(payment).confirmed(NOW - timedelta(seconds=5))

    assert compare(order, payment, NOW) == []


# ---------------------------------------------------------------------- the job
class FakeOrdersByDay:
    def __init__(self, *orders: Order) -> None:
        self.orders = list(orders)
        self.asked: list[date] = []

    def payments_changed_on(self, day: date) -> Iterator[Order]:
        self.asked.append(day)
        return iter(self.orders)


class FakeProvider(PaymentProvider):
    """The provider's books: only ``find`` is needed here; ``down`` orders time out."""

    def __init__(self, name: str, *payments: Payment) -> None:
        self.name = name
        self.payments = {p.order_id: p for p in payments}
        self.down: set[str] = set()

    def find(self, order_id: str) -> Payment | None:
        if order_id in self.down:
            raise PaymentUnavailable("The payment provider is unavailable; try again.")
        return self.payments.get(order_id)

    def authorize(self, order_id: str, amount: Money, method: PaymentMethod) -> Payment:
        raise NotImplementedError

    def complete(self, order_id: str) -> Payment:
        raise NotImplementedError

    def capture(self, order_id: str) -> Payment:
        raise NotImplementedError

    def void(self, order_id: str) -> Payment:
        raise NotImplementedError

    def refund(self, order_id: str, amount: Money, refund_id: str) -> Payment:
        raise NotImplementedError


class FakeReports(ReconciliationReports):
    def __init__(self) -> None:
        self.stored: dict[date, ReconciliationReport] = {}

    def save_reconciliation(self, report: ReconciliationReport) -> None:
        self.stored[report.day] = report

    def reconciliation(self, day: date) -> ReconciliationReport | None:
        return self.stored.get(day)


class FakePublisher(EventPublisher):
    def __init__(self) -> None:
        self.published: list[DomainEvent] = []

    def publish(self, events: list[DomainEvent]) -> None:
        self.published.extend(events)

    def of_type(self, detail_type: str) -> list[DomainEvent]:
        return [e for e in self.published if e.detail_type == detail_type]


def order_id(n: int) -> str:
    return f"01JD{n:022d}"


def job(
    orders: FakeOrdersByDay, provider: FakeProvider, **options: object
) -> tuple[PaymentReconciliation, FakeReports, FakePublisher]:
    reports, events = FakeReports(), FakePublisher()
    reconciliation = PaymentReconciliation(
        orders=orders,
        providers=PaymentProviders({PaymentMethodKind.CARD: provider}),
        reports=reports,
        events=events,
        clock=FixedClock(NOW),
        **options,  # type: ignore[arg-type]
    )
    return reconciliation, reports, events


def test_the_job_checks_yesterdays_orders_stores_the_report_and_publishes_it() -> None:
    clean, clean_payment = confirmed(order_id(1))
    tampered, tampered_payment = confirmed(order_id(2))
    missing, _ = confirmed(order_id(3))
    orders = FakeOrdersByDay(clean, tampered, missing)
    provider = FakeProvider("simulator", clean_payment, tampered_payment.refunded_by(TOTAL, PLACED))
    reconciliation, reports, events = job(orders, provider)

    report = reconciliation.run()

    assert orders.asked == [DAY]
    assert report.day == DAY
    assert report.checked == 3
    assert [(m.order_id, m.kind) for m in report.mismatches] == [
        (order_id(3), MismatchKind.MISSING_AT_PROVIDER),
        (order_id(2), MismatchKind.REFUNDS_MISMATCH),
    ]
    assert report.by_provider["simulator"].checked == 3
    assert report.by_provider["simulator"].mismatches == 2
    assert reports.stored[DAY] is report
    [summary] = events.of_type("PaymentsReconciled")
    assert summary.source == "commerce.payments"
    assert summary.detail["day"] == "2026-12-01"
    assert summary.detail["checked"] == 3
    assert summary.detail["mismatches"] == 2
    assert summary.detail["mismatch_events_capped"] is False
    found = events.of_type("PaymentMismatchFound")
    assert [(e.detail["order_id"], e.detail["kind"]) for e in found] == [
        (order_id(3), "missing_at_provider"),
        (order_id(2), "refunds_mismatch"),
    ]


def test_a_day_can_be_given_to_run_again() -> None:
    orders = FakeOrdersByDay()
    reconciliation, reports, _ = job(orders, FakeProvider("simulator"))

    report = reconciliation.run(date(2026, 11, 3))

    assert orders.asked == [date(2026, 11, 3)]
    assert report.checked == 0
    assert report.is_clean
    assert date(2026, 11, 3) in reports.stored


def test_a_provider_outage_for_one_order_is_counted_and_the_run_goes_on() -> None:
    first, first_payment = confirmed(order_id(1))
    second, second_payment = confirmed(order_id(2))
    provider = FakeProvider("simulator", first_payment, second_payment)
    provider.down.add(order_id(1))
    reconciliation, _, events = job(FakeOrdersByDay(first, second), provider)

    report = reconciliation.run()

    assert report.checked == 1
    assert report.mismatches == ()
    assert [u.order_id for u in report.unchecked] == [order_id(1)]
    assert report.provider_unavailable == 1
    assert report.by_provider["simulator"].unavailable == 1
    assert not report.is_clean
    assert events.of_type("PaymentsReconciled")[0].detail["provider_unavailable"] == 1


def test_an_order_paid_through_a_provider_not_configured_here_is_unchecked_not_fatal() -> None:
    order, _ = confirmed(order_id(1))
    paypal = replace(order, payment=replace(order.payment, provider="paypal"))
    reconciliation, _, _ = job(FakeOrdersByDay(paypal), FakeProvider("simulator"))

    report = reconciliation.run()

    assert [(u.order_id, u.provider_name) for u in report.unchecked] == [(order_id(1), "paypal")]


def test_mismatch_events_are_capped_the_most_serious_first_and_the_summary_says_so() -> None:
    held = [paid(authorized(order_id(n))).cancelled(CancellationReason.ADMIN_REQUEST, PLACED) for n in (1, 2)]
    missing = [confirmed(order_id(n))[0] for n in (3, 4, 5)]
    provider = FakeProvider("simulator", *(authorized(order_id(n)) for n in (1, 2)))
    reconciliation, reports, events = job(FakeOrdersByDay(*missing, *held), provider, max_mismatch_events=3)

    report = reconciliation.run()

    assert report.mismatch_count == 5
    assert len(reports.stored[DAY].mismatches) == 5
    found = events.of_type("PaymentMismatchFound")
    assert [e.detail["kind"] for e in found] == [
        "money_held_on_cancelled_order",
        "money_held_on_cancelled_order",
        "missing_at_provider",
    ]
    summary = events.of_type("PaymentsReconciled")[0].detail
    assert summary["mismatch_events"] == 3
    assert summary["mismatch_events_capped"] is True
    assert summary["by_kind"] == {"money_held_on_cancelled_order": 2, "missing_at_provider": 3}


@pytest.mark.parametrize("detail_type", ["PaymentsReconciled", "PaymentMismatchFound"])
def test_published_events_follow_their_schema(detail_type: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")  # comes with aws-sam-translator
    schema = json.loads((SCHEMAS / "payments.json").read_text())
    tampered, payment = confirmed(order_id(1))
    missing, _ = confirmed(order_id(2))
    reconciliation, _, events = job(
        FakeOrdersByDay(tampered, missing), FakeProvider("simulator", payment.refunded_by(TOTAL, PLACED))
    )
    reconciliation.run()

    published = events.of_type(detail_type)

    assert published
    for event in published:
        jsonschema.validate(
            event.detail,
            {**schema, "$ref": f"#/$defs/{detail_type}"},
            format_checker=jsonschema.FormatChecker(),
        )


def test_a_report_lists_the_statuses_each_side_saw() -> None:
    order, payment = confirmed()
    [mismatch] = compare(order, payment.refunded_by(usd(100), PLACED), NOW)

    assert mismatch.order_status is OrderStatus.CONFIRMED
    assert mismatch.platform.status is PaymentStatus.CAPTURED
    assert mismatch.provider is not None
    assert mismatch.provider.status is PaymentStatus.PARTIALLY_REFUNDED
