"""Specification of a payment: authorise, capture or void, refund in parts, and the money it holds."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.errors import CommerceError, Conflict, DependencyFailure, InvalidInput
from commerce.money import Money
from commerce.payments.model import (
    Payment,
    PaymentDeclined,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    PaymentUnavailable,
)

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
VISA = PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa")


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def authorized(amount: int = 5000) -> Payment:
    return Payment.authorized("o-1", "pi_0123456789abcdef01234567", VISA, eur(amount), NOW)


def captured(amount: int = 5000) -> Payment:
    return authorized(amount).captured_at(NOW)


# ------------------------------------------------------------------------------------------------ authorise


def test_a_new_payment_holds_the_whole_amount_and_has_taken_nothing() -> None:
    payment = authorized(5000)

    assert payment.status is PaymentStatus.AUTHORIZED
    assert payment.held == eur(5000)
    assert payment.captured == payment.refunded == eur(0)
    assert payment.taken == payment.refundable == eur(0)
    assert payment.created_at == payment.updated_at == NOW


@pytest.mark.parametrize("amount", [0, -1])
def test_a_payment_for_nothing_is_invalid(amount: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        authorized(amount)

    assert raised.value.code == "invalid_amount"


def test_a_payment_cannot_refund_more_than_it_captured() -> None:
    with pytest.raises(ValueError, match="refunded <= captured"):
        Payment("o-1", "pi_x", VISA, eur(100), eur(50), eur(60), PaymentStatus.PARTIALLY_REFUNDED, NOW, NOW)


def test_a_payment_keeps_its_figures_in_one_currency() -> None:
    with pytest.raises(ValueError, match="one currency"):
        Payment("o-1", "pi_x", VISA, eur(100), Money(100, "USD"), eur(0), PaymentStatus.CAPTURED, NOW, NOW)


def test_a_wallet_payment_method_has_no_token() -> None:
    assert PaymentMethod(PaymentMethodKind.WALLET).token is None
    assert PaymentMethodKind("paypal") is PaymentMethodKind.PAYPAL


# ------------------------------------------------------------------------------------------------ capture


def test_capture_takes_the_whole_authorised_amount_and_holds_nothing() -> None:
    # GIVEN an authorised payment WHEN captured
    payment = authorized(5000).captured_at(LATER)

    # THEN all of it is taken and nothing is held any more
    assert payment.status is PaymentStatus.CAPTURED
    assert payment.captured == payment.taken == payment.refundable == eur(5000)
    assert payment.held == eur(0)
    assert payment.updated_at == LATER
    assert payment.created_at == NOW


def test_capturing_a_captured_payment_changes_nothing() -> None:
    payment = captured()

    assert payment.captured_at(LATER) is payment


@pytest.mark.parametrize(
    "payment",
    [
        authorized().voided_at(NOW),
        captured().refunded_by(eur(1), NOW),
        captured().refunded_by(eur(5000), NOW),
    ],
    ids=["voided", "partially_refunded", "refunded"],
)
def test_a_voided_or_refunded_payment_cannot_be_captured(payment: Payment) -> None:
    with pytest.raises(Conflict) as raised:
        payment.captured_at(LATER)

    assert raised.value.code == "payment_not_capturable"
    assert raised.value.extra == {"status": payment.status.value}


# ------------------------------------------------------------------------------------------------ void


def test_void_releases_the_hold_without_taking_anything() -> None:
    payment = authorized(5000).voided_at(LATER)

    assert payment.status is PaymentStatus.VOIDED
    assert payment.held == payment.taken == payment.captured == eur(0)
    assert payment.updated_at == LATER


def test_voiding_a_voided_payment_changes_nothing() -> None:
    payment = authorized().voided_at(NOW)

    assert payment.voided_at(LATER) is payment


@pytest.mark.parametrize(
    "payment",
    [captured(), captured().refunded_by(eur(1), NOW), captured().refunded_by(eur(5000), NOW)],
    ids=["captured", "partially_refunded", "refunded"],
)
def test_a_captured_payment_cannot_be_voided_only_refunded(payment: Payment) -> None:
    with pytest.raises(Conflict) as raised:
        payment.voided_at(LATER)

    assert raised.value.code == "payment_not_voidable"


# ------------------------------------------------------------------------------------------------ refund


def test_a_partial_refund_gives_back_part_of_what_was_taken() -> None:
    # GIVEN 5000 captured WHEN 1500 is refunded
    payment = captured(5000).refunded_by(eur(1500), LATER)

    # THEN 3500 is still taken and can still be refunded
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded == eur(1500)
    assert payment.taken == payment.refundable == eur(3500)
    assert payment.captured == eur(5000)
    assert payment.updated_at == LATER


def test_refunds_that_add_up_to_the_capture_make_the_payment_refunded() -> None:
    payment = captured(5000).refunded_by(eur(1500), NOW).refunded_by(eur(3500), LATER)

    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded == eur(5000)
    assert payment.taken == payment.held == eur(0)


def test_a_refund_beyond_what_is_left_is_refused_and_says_what_is_left() -> None:
    # GIVEN 5000 captured of which 4000 was refunded
    payment = captured(5000).refunded_by(eur(4000), NOW)

    # WHEN 1001 more is asked THEN it is refused with what can still be refunded
    with pytest.raises(InvalidInput) as raised:
        payment.refunded_by(eur(1001), LATER)

    assert raised.value.code == "refund_exceeds_captured"
    assert raised.value.extra == {"refundable": {"amount": 1000, "currency": "EUR"}}
    # AND exactly what is left is fine
    assert payment.refunded_by(eur(1000), LATER).status is PaymentStatus.REFUNDED


@pytest.mark.parametrize("amount", [0, -100])
def test_a_refund_of_nothing_is_invalid(amount: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        captured().refunded_by(eur(amount), LATER)

    assert raised.value.code == "invalid_amount"


def test_a_refund_in_another_currency_is_invalid() -> None:
    with pytest.raises(InvalidInput) as raised:
        captured().refunded_by(Money(100, "USD"), LATER)

    assert raised.value.code == "currency_mismatch"


@pytest.mark.parametrize(
    "payment",
    [authorized(), authorized().voided_at(NOW), captured().refunded_by(eur(5000), NOW)],
    ids=["authorized", "voided", "refunded"],
)
def test_only_a_captured_payment_with_something_left_can_be_refunded(payment: Payment) -> None:
    with pytest.raises(Conflict) as raised:
        payment.refunded_by(eur(1), LATER)

    assert raised.value.code == "payment_not_refundable"


@given(st.lists(st.integers(min_value=1, max_value=3000), max_size=12))
def test_refunds_never_take_back_more_than_was_captured(asks: list[int]) -> None:
    # GIVEN 5000 captured WHEN any sequence of refunds is asked (refused ones change nothing)
    payment = captured(5000)
    for ask in asks:
        with contextlib.suppress(InvalidInput, Conflict):
            payment = payment.refunded_by(eur(ask), LATER)
        # THEN taken + refunded is always the capture and nothing is ever negative
        assert payment.taken + payment.refunded == eur(5000)
        assert eur(0) <= payment.refunded <= payment.captured
        assert (payment.status is PaymentStatus.REFUNDED) == (payment.refunded == eur(5000))


# ------------------------------------------------------------------------------------------------ errors


def test_a_decline_carries_the_providers_decline_code() -> None:
    declined = PaymentDeclined("Your card has insufficient funds.", "insufficient_funds")

    assert isinstance(declined, CommerceError)
    assert declined.code == "payment_declined"
    assert declined.decline_code == "insufficient_funds"
    assert declined.extra == {"decline_code": "insufficient_funds"}
    assert declined.detail == str(declined) == "Your card has insufficient funds."


def test_an_unavailable_provider_is_a_dependency_failure_to_retry() -> None:
    unavailable = PaymentUnavailable("The payment provider is unavailable; try again.")

    assert isinstance(unavailable, DependencyFailure)
    assert unavailable.code == "payment_provider_unavailable"
