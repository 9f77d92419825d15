"""What an order knows of its payment: it follows the provider's record but never backwards, it
waits for the customer's action with a token it forgets once paid, and it records every refund
before the money moves, so refunds can never add up to more than was captured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.money import Money
from commerce.orders.model import (
    CancellationReason,
    CustomerAction,
    Order,
    OrderStatus,
    RefundDestination,
    RefundStatus,
)
from commerce.payments.model import NextAction, Payment, PaymentMethod, PaymentMethodKind, PaymentStatus
from unit.fakes import one_line_order

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
VISA = PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa")
ORDER_ID = "01JD0000000000000000000001"


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


TOTAL = eur(10000)


def placed() -> Order:
    return one_line_order(ORDER_ID, TOTAL, AT)


def authorized() -> Payment:
    return Payment.authorized(ORDER_ID, "pi_1", VISA, TOTAL, AT)


def captured_order() -> Order:
    captured = authorized().captured_at(AT)
    return (
        placed()
        .with_payment(authorized(), "simulator", AT)
        .confirmed(AT)
        .with_payment(captured, "simulator", AT)
    )


def refund(
    order: Order, refund_id: str, amount: int, destination: RefundDestination = RefundDestination.ORIGINAL
) -> Order:
    return order.refund_requested(refund_id, eur(amount), destination, "damaged", "admin-1", AT)


# ---------------------------------------------------------------------- following the provider
def test_the_order_follows_the_providers_newer_record() -> None:
    order = captured_order()

    assert order.payment.status is PaymentStatus.CAPTURED
    assert order.payment.captured == TOTAL
    assert order.payment.provider == "simulator"


def test_an_older_record_of_the_payment_never_moves_the_order_back() -> None:
    order = captured_order()

    assert order.with_payment(authorized(), "simulator", AT) is order
    waiting = Payment.awaiting_action(
        ORDER_ID, "pi_1", VISA, TOTAL, AT, NextAction("use_stripe_sdk", "secret")
    )
    assert order.with_payment(waiting, "simulator", AT) is order


def test_a_record_with_less_refunded_than_the_order_knows_is_ignored() -> None:
    refunded = authorized().captured_at(AT).refunded_by(eur(3000), AT)
    order = captured_order().with_payment(refunded, "simulator", AT)
    less = authorized().captured_at(AT).refunded_by(eur(1000), AT)

    assert order.with_payment(less, "simulator", AT) is order
    assert order.payment.refunded == eur(3000)


# ---------------------------------------------------------------------- waiting for the customer
def test_a_payment_awaiting_the_customer_shows_its_next_action_and_keeps_the_wait_token() -> None:
    action = NextAction("use_stripe_sdk", client_secret="pi_1_secret")
    waiting = Payment.awaiting_action(ORDER_ID, "pi_1", VISA, TOTAL, AT, action)
    order = (
        placed()
        .with_payment(waiting, "simulator", AT)
        .awaiting_customer("token-1", AT + timedelta(minutes=15), AT)
    )

    assert order.payment.next_action == action
    assert order.customer_action == CustomerAction("token-1", AT + timedelta(minutes=15))
    assert order.awaiting_customer("token-1", AT + timedelta(minutes=15), AT) is order


def test_once_authorised_the_order_forgets_the_wait_token_and_the_next_action() -> None:
    waiting = Payment.awaiting_action(ORDER_ID, "pi_1", VISA, TOTAL, AT, NextAction("use_stripe_sdk", "s"))
    order = placed().with_payment(waiting, "simulator", AT).awaiting_customer("token-1", AT, AT)

    paid = order.with_payment(waiting.authorized_at(AT), "simulator", AT)

    assert paid.customer_action is None
    assert paid.payment.next_action is None
    assert paid.payment.status is PaymentStatus.AUTHORIZED


def test_only_a_pending_order_waits_for_the_customer() -> None:
    with pytest.raises(Conflict) as raised:
        captured_order().awaiting_customer("token-1", AT, AT)

    assert raised.value.code == "order_confirmed"


# ---------------------------------------------------------------------- refunds
def test_refunds_are_recorded_pending_then_completed_and_count_against_what_is_refundable() -> None:
    order = refund(captured_order(), "r-1", 4000)

    assert order.refundable == eur(6000)
    assert order.payment.refund("r-1").status is RefundStatus.PENDING  # type: ignore[union-attr]
    done = order.refund_completed("r-1", AT)
    assert done.payment.refund("r-1").status is RefundStatus.SUCCEEDED  # type: ignore[union-attr]
    assert done.refund_completed("r-1", AT) is done


def test_refunds_never_add_up_to_more_than_was_captured() -> None:
    order = refund(captured_order(), "r-1", 6000)

    with pytest.raises(InvalidInput) as raised:
        refund(order, "r-2", 4001)

    assert raised.value.code == "refund_exceeds_captured"
    assert raised.value.extra["refundable"] == {"amount": 4000, "currency": "EUR"}
    assert refund(order, "r-3", 4000).refundable == eur(0)


def test_the_same_refund_id_is_a_replay_and_asking_something_else_under_it_is_refused() -> None:
    order = refund(captured_order(), "r-1", 1000)

    assert refund(order, "r-1", 1000) is order
    with pytest.raises(InvalidInput) as raised:
        refund(order, "r-1", 2000)
    assert raised.value.code == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [(0, "EUR", "invalid_amount"), (100, "USD", "currency_mismatch")],
)
def test_a_refund_is_a_positive_amount_in_the_orders_currency(amount: int, currency: str, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        captured_order().refund_requested(
            "r-1", Money(amount, currency), RefundDestination.ORIGINAL, "x", "a", AT
        )

    assert raised.value.code == code


def test_only_a_captured_payment_is_refunded() -> None:
    authorised_only = placed().with_payment(authorized(), "simulator", AT)

    with pytest.raises(Conflict) as raised:
        refund(authorised_only, "r-1", 100)

    assert raised.value.code == "payment_not_refundable"
    assert raised.value.extra["payment_status"] == "authorized"


def test_a_wallet_refund_counts_as_refunded_for_the_customer_though_the_card_shows_it_captured() -> None:
    order = refund(captured_order(), "r-1", 2500, RefundDestination.WALLET).refund_completed("r-1", AT)

    assert order.payment.status is PaymentStatus.CAPTURED  # the card processor's view
    assert order.refunded == eur(2500)
    assert order.payment_state is PaymentStatus.PARTIALLY_REFUNDED
    full = refund(order, "r-2", 7500, RefundDestination.WALLET).refund_completed("r-2", AT)
    assert full.payment_state is PaymentStatus.REFUNDED


def test_a_refund_the_provider_refused_is_withdrawn_and_frees_its_amount() -> None:
    order = refund(captured_order(), "r-1", 10000)

    withdrawn = order.refund_withdrawn("r-1", AT)

    assert withdrawn.payment.refund("r-1") is None
    assert withdrawn.refundable == TOTAL
    assert withdrawn.refund_withdrawn("r-1", AT) is withdrawn


def test_completing_an_unknown_refund_is_not_found() -> None:
    with pytest.raises(NotFound):
        captured_order().refund_completed("nope", AT)


def test_a_cancelled_order_keeps_its_refund_record() -> None:
    order = refund(captured_order(), "r-1", 10000).refund_completed("r-1", AT)

    cancelled = order.cancelled(CancellationReason.CUSTOMER_REQUEST, AT)

    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.payment.refunds == order.payment.refunds
