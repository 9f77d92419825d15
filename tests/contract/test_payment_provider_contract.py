"""The PaymentProvider contract: what the order saga, refunds and reconciliation rely on from every
provider (card simulator, Stripe, PayPal, wallet), each behind its own test double.

Money is held at most once per order, taken at most once, refunded never beyond what was taken,
and every call can be repeated (Step Functions delivers at least once; networks lose answers).
"""

from __future__ import annotations

import uuid

import pytest

from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.money import Money
from commerce.payments.model import (
    Payment,
    PaymentDeclined,
    PaymentMethod,
    PaymentStatus,
    PaymentUnavailable,
)
from contract.harness import ProviderHarness


def order_id() -> str:
    return f"ord_{uuid.uuid4().hex[:20]}"


def money(harness: ProviderHarness, amount: int) -> Money:
    return Money(amount, harness.currency)


def authorise(harness: ProviderHarness, order: str, amount: Money, method: PaymentMethod) -> Payment:
    """Authorise, completing the customer's action (3-D Secure, PayPal approval) if asked for one."""
    payment = harness.provider.authorize(order, amount, method)
    if payment.status is PaymentStatus.REQUIRES_ACTION:
        harness.act(order, succeed=True)
        payment = harness.provider.complete(order)
    return payment


def authorised(harness: ProviderHarness, amount: int = 2500) -> tuple[str, Money, Payment]:
    order, total = order_id(), money(harness, amount)
    payment = authorise(harness, order, total, harness.approving(order, total))
    assert payment.status is PaymentStatus.AUTHORIZED
    return order, total, payment


def captured(harness: ProviderHarness, amount: int = 2500) -> tuple[str, Money, Payment]:
    order, total, _ = authorised(harness, amount)
    return order, total, harness.provider.capture(order)


def nothing_held_or_taken(harness: ProviderHarness, order: str) -> None:
    found = harness.provider.find(order)
    if found is not None:
        assert found.held.amount == 0
        assert found.taken.amount == 0
    assert harness.taken(order).amount == 0


# ------------------------------------------------------------------------------------------------ authorise


def test_an_approved_authorisation_holds_the_amount_and_takes_nothing(harness: ProviderHarness) -> None:
    order, total, payment = authorised(harness)

    assert payment.order_id == order
    assert payment.amount == total
    assert payment.held == total
    assert payment.taken.amount == 0
    assert payment.reference
    assert harness.provider.find(order) == payment
    assert harness.authorisations(order) == 1


def test_a_repeated_authorisation_returns_the_same_payment_and_holds_once(harness: ProviderHarness) -> None:
    order, total, payment = authorised(harness)

    again = harness.provider.authorize(order, total, payment.method)

    assert again.reference == payment.reference
    assert again.status is PaymentStatus.AUTHORIZED
    assert harness.authorisations(order) == 1


def test_an_authorisation_of_another_amount_for_the_same_order_is_a_mismatch(
    harness: ProviderHarness,
) -> None:
    order, total, payment = authorised(harness)

    with pytest.raises(Conflict) as raised:
        harness.provider.authorize(order, total + money(harness, 1), payment.method)

    assert raised.value.code == "payment_mismatch"
    assert harness.authorisations(order) == 1


def test_a_decline_is_payment_declined_with_the_providers_reason_and_holds_nothing(
    harness: ProviderHarness,
) -> None:
    order, total = order_id(), money(harness, 4200)
    method, decline_code = harness.declining(order, total)

    with pytest.raises(PaymentDeclined) as raised:
        authorise(harness, order, total, method)

    assert raised.value.code == "payment_declined"
    assert raised.value.decline_code == decline_code
    nothing_held_or_taken(harness, order)


# ------------------------------------------------------------------------------------------------ capture, void


def test_capture_takes_the_whole_amount_once(harness: ProviderHarness) -> None:
    order, total, _ = authorised(harness)

    first = harness.provider.capture(order)
    second = harness.provider.capture(order)

    assert first.status is second.status is PaymentStatus.CAPTURED
    assert first.taken == second.taken == total
    assert first.held.amount == 0
    assert harness.taken(order) == total


def test_void_releases_the_hold_and_a_voided_payment_cannot_be_captured(harness: ProviderHarness) -> None:
    order, _, _ = authorised(harness)

    voided = harness.provider.void(order)
    assert harness.provider.void(order).status is PaymentStatus.VOIDED
    with pytest.raises(Conflict) as raised:
        harness.provider.capture(order)

    assert voided.status is PaymentStatus.VOIDED
    assert raised.value.code == "payment_not_capturable"
    nothing_held_or_taken(harness, order)


def test_a_captured_payment_cannot_be_voided(harness: ProviderHarness) -> None:
    order, total, _ = captured(harness)

    with pytest.raises(Conflict) as raised:
        harness.provider.void(order)

    assert raised.value.code == "payment_not_voidable"
    assert harness.taken(order) == total


# ------------------------------------------------------------------------------------------------ refund


def test_partial_refunds_add_up_to_a_full_refund_and_never_beyond(harness: ProviderHarness) -> None:
    order, total, _ = captured(harness, 3000)

    part = harness.provider.refund(order, money(harness, 1000), "r1")
    with pytest.raises(InvalidInput) as raised:
        harness.provider.refund(order, money(harness, 2001), "r2")
    rest = harness.provider.refund(order, money(harness, 2000), "r3")

    assert part.status is PaymentStatus.PARTIALLY_REFUNDED
    assert part.taken == money(harness, 2000)
    assert raised.value.code == "refund_exceeds_captured"
    assert rest.status is PaymentStatus.REFUNDED
    assert rest.refunded == total
    assert harness.taken(order).amount == 0


def test_a_refund_repeated_with_its_id_is_given_once(harness: ProviderHarness) -> None:
    order, _, _ = captured(harness, 3000)

    harness.provider.refund(order, money(harness, 1000), "same")
    again = harness.provider.refund(order, money(harness, 1000), "same")

    assert again.refunded == money(harness, 1000)
    assert harness.taken(order) == money(harness, 2000)


def test_an_uncaptured_payment_cannot_be_refunded(harness: ProviderHarness) -> None:
    order, _, _ = authorised(harness)

    with pytest.raises(Conflict) as raised:
        harness.provider.refund(order, money(harness, 100), "early")

    assert raised.value.code == "payment_not_refundable"


def test_an_order_without_a_payment_has_nothing_to_find_capture_void_or_refund(
    harness: ProviderHarness,
) -> None:
    order = order_id()

    assert harness.provider.find(order) is None
    for call in (
        lambda: harness.provider.capture(order),
        lambda: harness.provider.void(order),
        lambda: harness.provider.refund(order, money(harness, 100), "r"),
        lambda: harness.provider.complete(order),
    ):
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.code == "payment_not_found"


# ------------------------------------------------------------------------------------------------ networks


def test_an_outage_is_payment_unavailable_and_applies_nothing(harness: ProviderHarness) -> None:
    order, total = order_id(), money(harness, 1500)
    method = harness.approving(order, total)

    with harness.outage(), pytest.raises(PaymentUnavailable) as raised:
        harness.provider.authorize(order, total, method)

    assert raised.value.code == "payment_provider_unavailable"
    assert harness.authorisations(order) == 0
    assert authorise(harness, order, total, method).status is PaymentStatus.AUTHORIZED


def test_an_authorisation_whose_answer_was_lost_is_retried_without_holding_twice(
    harness: ProviderHarness,
) -> None:
    order, total = order_id(), money(harness, 1500)
    method = harness.approving(order, total)

    with harness.lost_response(), pytest.raises(PaymentUnavailable):
        harness.provider.authorize(order, total, method)
    retried = authorise(harness, order, total, method)

    assert retried.status is PaymentStatus.AUTHORIZED
    assert harness.authorisations(order) == 1


def test_a_capture_whose_answer_was_lost_is_retried_without_taking_twice(harness: ProviderHarness) -> None:
    order, total, _ = authorised(harness)

    with harness.lost_response(), pytest.raises(PaymentUnavailable):
        harness.provider.capture(order)
    retried = harness.provider.capture(order)

    assert retried.status is PaymentStatus.CAPTURED
    assert harness.taken(order) == total


def test_a_refund_whose_answer_was_lost_is_retried_without_refunding_twice(harness: ProviderHarness) -> None:
    order, _, _ = captured(harness, 3000)

    with harness.lost_response(), pytest.raises(PaymentUnavailable):
        harness.provider.refund(order, money(harness, 1000), "lost")
    retried = harness.provider.refund(order, money(harness, 1000), "lost")

    assert retried.refunded == money(harness, 1000)
    assert harness.taken(order) == money(harness, 2000)


# ------------------------------------------------------------------------------------------------ customer action


def needing_action(harness: ProviderHarness) -> tuple[str, Money, PaymentMethod]:
    order, total = order_id(), money(harness, 5000)
    method = harness.needing_action(order, total)
    if method is None:
        pytest.skip(f"{harness.name} never asks the customer to act")
    return order, total, method


def test_a_payment_awaiting_the_customer_holds_nothing_until_they_act(harness: ProviderHarness) -> None:
    order, total, method = needing_action(harness)

    waiting = harness.provider.authorize(order, total, method)
    still = harness.provider.complete(order)
    harness.act(order, succeed=True)
    done = harness.provider.complete(order)

    assert waiting.status is still.status is PaymentStatus.REQUIRES_ACTION
    assert waiting.next_action is not None
    assert waiting.next_action.client_secret or waiting.next_action.url
    assert waiting.held.amount == 0
    assert done.status is PaymentStatus.AUTHORIZED
    assert done.held == total
    assert harness.provider.complete(order) == done
    assert harness.authorisations(order) == 1


def test_a_customer_who_fails_the_action_is_declined_and_nothing_is_held(harness: ProviderHarness) -> None:
    order, total, method = needing_action(harness)

    harness.provider.authorize(order, total, method)
    harness.act(order, succeed=False)
    with pytest.raises(PaymentDeclined):
        harness.provider.complete(order)

    nothing_held_or_taken(harness, order)


def test_a_payment_still_awaiting_the_customer_can_be_abandoned(harness: ProviderHarness) -> None:
    order, total, method = needing_action(harness)
    harness.provider.authorize(order, total, method)

    abandoned = harness.provider.void(order)

    assert abandoned.status is PaymentStatus.VOIDED
    nothing_held_or_taken(harness, order)
