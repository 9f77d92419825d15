"""The Stripe adapter, tested at the SDK's HTTP boundary: the real ``stripe`` SDK talks to
``FakeStripeAPI``, so what goes over the wire and how Stripe's answers are read are both proven."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import boto3
import pytest
import stripe
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from commerce.adapters.stripe_payments import StripePayments
from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.money import Money
from commerce.payments.model import (
    PaymentDeclined,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    PaymentUnavailable,
)
from commerce.settings import ConfigurationError
from contract.harness_stripe import TEST_KEY, FakeStripeAPI, StripeHarness

EUR_25 = Money(2500, "EUR")
VISA = PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa")
THREE_D_SECURE = PaymentMethod(PaymentMethodKind.CARD, "pm_card_authenticationRequired")


@pytest.fixture
def harness() -> StripeHarness:
    return StripeHarness()


@pytest.fixture
def api(harness: StripeHarness) -> FakeStripeAPI:
    return harness.api


@pytest.fixture
def stripe_payments(harness: StripeHarness) -> StripePayments:
    provider = harness.provider
    assert isinstance(provider, StripePayments)
    return provider


def captured(provider: StripePayments, order_id: str = "order-1", amount: Money = EUR_25) -> None:
    provider.authorize(order_id, amount, VISA)
    provider.capture(order_id)


# ---------------------------------------------------------------------- on the wire
def test_authorize_sends_a_manual_capture_confirmed_intent_in_minor_units_and_lowercase_currency(
    stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    stripe_payments.authorize("order-1", Money(1999, "USD"), VISA)

    (create,) = [r for r in api.requests if r.method == "POST"]
    assert create.path == "/v1/payment_intents"
    assert create.params["amount"] == "1999"
    assert create.params["currency"] == "usd"
    assert create.params["capture_method"] == "manual"
    assert create.params["confirm"] == "true"
    assert create.params["payment_method"] == "pm_card_visa"
    assert create.params["allowed_payment_method_types"] == ["card"]
    assert create.params["metadata"]["order_id"] == "order-1"
    assert create.idempotency_key == "order-1-authorize"
    assert create.headers["Authorization"] == f"Bearer {TEST_KEY}"


def test_zero_decimal_currencies_are_sent_as_they_are(
    stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    stripe_payments.authorize("order-1", Money(5000, "JPY"), VISA)

    assert api.requests[-1].params["amount"] == "5000"
    assert api.requests[-1].params["currency"] == "jpy"


def test_each_write_carries_its_own_idempotency_key(
    stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    captured(stripe_payments)
    stripe_payments.refund("order-1", Money(500, "EUR"), "refund-7")
    stripe_payments.authorize("order-2", EUR_25, VISA)
    stripe_payments.void("order-2")

    writes = [(r.path, r.idempotency_key) for r in api.requests if r.method == "POST"]
    pi1, pi2 = (i["id"] for i in api.intents.values())
    assert writes == [
        ("/v1/payment_intents", "order-1-authorize"),
        (f"/v1/payment_intents/{pi1}/capture", "order-1-capture"),
        ("/v1/refunds", "order-1-refund-refund-7"),
        ("/v1/payment_intents", "order-2-authorize"),
        (f"/v1/payment_intents/{pi2}/cancel", "order-2-void"),
    ]
    refund = next(r for r in api.requests if r.path == "/v1/refunds" and r.method == "POST")
    assert refund.params == {
        "payment_intent": pi1,
        "amount": "500",
        "metadata": {"order_id": "order-1", "refund_id": "refund-7"},
    }


def test_reads_expand_the_latest_charge(stripe_payments: StripePayments, api: FakeStripeAPI) -> None:
    stripe_payments.authorize("order-1", EUR_25, VISA)
    stripe_payments.find("order-1")

    assert api.requests[-1].method == "GET"
    assert api.requests[-1].params["expand"] == ["latest_charge"]


# ---------------------------------------------------------------------- authorise
def test_an_authorised_intent_is_an_authorized_payment_referenced_by_the_intent_id(
    stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    payment = stripe_payments.authorize("order-1", EUR_25, VISA)

    (intent,) = api.intents.values()
    assert payment.status is PaymentStatus.AUTHORIZED
    assert payment.reference == intent["id"]
    assert payment.amount == EUR_25
    assert payment.held == EUR_25
    assert payment.method == VISA  # the alias, although Stripe made a new pm_... of it
    assert intent["payment_method"] != "pm_card_visa"
    assert payment.created_at == datetime.fromtimestamp(intent["created"], UTC)


def test_authorize_again_returns_the_same_payment_without_a_second_intent(
    harness: StripeHarness, stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    first = stripe_payments.authorize("order-1", EUR_25, VISA)

    assert stripe_payments.authorize("order-1", EUR_25, VISA) == first
    assert len(api.intents) == 1
    assert harness.authorisations("order-1") == 1


def test_authorize_again_for_another_amount_or_card_is_a_payment_mismatch(
    stripe_payments: StripePayments,
) -> None:
    stripe_payments.authorize("order-1", EUR_25, VISA)

    with pytest.raises(Conflict) as other_amount:
        stripe_payments.authorize("order-1", Money(2600, "EUR"), VISA)
    with pytest.raises(Conflict) as other_card:
        stripe_payments.authorize(
            "order-1", EUR_25, PaymentMethod(PaymentMethodKind.CARD, "pm_card_mastercard")
        )

    assert other_amount.value.code == other_card.value.code == "payment_mismatch"


def test_a_retried_authorisation_after_a_lost_response_creates_one_intent_and_one_charge(
    harness: StripeHarness, stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    api.lose_next_response()
    with pytest.raises(PaymentUnavailable):
        stripe_payments.authorize("order-1", EUR_25, VISA)
    assert harness.references == {}  # the platform never heard back

    payment = stripe_payments.authorize("order-1", EUR_25, VISA)

    assert len(api.intents) == 1
    assert harness.authorisations("order-1") == 1
    assert payment.reference == next(iter(api.intents))
    assert [r.idempotency_key for r in api.requests if r.method == "POST"] == ["order-1-authorize"] * 2


def test_the_same_idempotency_key_with_other_parameters_is_a_payment_mismatch(
    stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    api.lose_next_response()
    with pytest.raises(PaymentUnavailable):
        stripe_payments.authorize("order-1", EUR_25, VISA)

    with pytest.raises(Conflict) as raised:
        stripe_payments.authorize("order-1", Money(3000, "EUR"), VISA)

    assert raised.value.code == "payment_mismatch"
    assert len(api.intents) == 1


@pytest.mark.parametrize(
    ("token", "decline_code", "message"),
    [
        ("pm_card_chargeDeclined", "generic_decline", "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "Your card has expired."),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "Your card's security code is incorrect."),
        ("pm_card_chargeDeclinedFraudulent", "fraudulent", "Your card was declined."),
    ],
)
def test_a_declined_card_is_payment_declined_with_stripes_reason(
    harness: StripeHarness, stripe_payments: StripePayments, token: str, decline_code: str, message: str
) -> None:
    with pytest.raises(PaymentDeclined) as raised:
        stripe_payments.authorize("order-1", EUR_25, PaymentMethod(PaymentMethodKind.CARD, token))

    assert raised.value.code == "payment_declined"
    assert raised.value.decline_code == decline_code
    assert raised.value.extra == {"decline_code": decline_code}
    assert raised.value.detail == message
    assert harness.authorisations("order-1") == 0
    assert harness.taken("order-1") == Money(0, "EUR")


def test_a_declined_authorisation_delivered_again_is_declined_again_without_a_new_attempt(
    stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    declining = PaymentMethod(PaymentMethodKind.CARD, "pm_card_chargeDeclined")
    for _ in range(2):
        with pytest.raises(PaymentDeclined):
            stripe_payments.authorize("order-1", EUR_25, declining)

    assert len(api.intents) == 1  # Stripe replayed the stored 402


def test_an_unknown_payment_method_is_declined_as_unknown(stripe_payments: StripePayments) -> None:
    with pytest.raises(PaymentDeclined) as raised:
        stripe_payments.authorize("order-1", EUR_25, PaymentMethod(PaymentMethodKind.CARD, "pm_nope"))

    assert raised.value.decline_code == "payment_method_unknown"


def test_an_amount_below_stripes_minimum_is_invalid(stripe_payments: StripePayments) -> None:
    with pytest.raises(InvalidInput) as raised:
        stripe_payments.authorize("order-1", Money(10, "EUR"), VISA)

    assert raised.value.code == "invalid_amount"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_payment_unavailable(
    stripe_payments: StripePayments, api: FakeStripeAPI, status: int
) -> None:
    api.fail_next(status)

    with pytest.raises(PaymentUnavailable) as raised:
        stripe_payments.authorize("order-1", EUR_25, VISA)

    assert raised.value.code == "payment_provider_unavailable"
    assert api.intents == {}


def test_a_connection_error_is_payment_unavailable_and_nothing_is_applied(
    stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    with api.outage(), pytest.raises(PaymentUnavailable):
        stripe_payments.authorize("order-1", EUR_25, VISA)

    assert api.intents == {}
    assert len(api.requests) == 1  # the SDK did not retry (max_network_retries=0)


def test_a_rejected_api_key_is_a_configuration_error(harness: StripeHarness) -> None:
    client = stripe.StripeClient("sk_live_wrong", http_client=harness.api, max_network_retries=0)
    provider = StripePayments(client, harness.references.get, lambda: datetime.now(UTC))

    with pytest.raises(ConfigurationError):
        provider.authorize("order-1", EUR_25, VISA)


# ---------------------------------------------------------------------- 3-D Secure
def test_a_card_needing_3ds_requires_action_with_the_client_secret(
    stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    payment = stripe_payments.authorize("order-1", EUR_25, THREE_D_SECURE)

    (intent,) = api.intents.values()
    assert payment.status is PaymentStatus.REQUIRES_ACTION
    assert payment.next_action is not None
    assert payment.next_action.type == "use_stripe_sdk"
    assert payment.next_action.client_secret == intent["client_secret"]
    assert payment.held == Money(0, "EUR")


def test_complete_after_the_customer_authenticates_is_authorized(
    harness: StripeHarness, stripe_payments: StripePayments
) -> None:
    stripe_payments.authorize("order-1", EUR_25, THREE_D_SECURE)
    assert stripe_payments.complete("order-1").status is PaymentStatus.REQUIRES_ACTION  # not yet

    harness.act("order-1", succeed=True)
    payment = stripe_payments.complete("order-1")

    assert payment.status is PaymentStatus.AUTHORIZED
    assert payment.next_action is None
    assert stripe_payments.complete("order-1") == payment
    assert harness.authorisations("order-1") == 1


def test_complete_after_failed_authentication_is_declined_and_nothing_is_held(
    harness: StripeHarness, stripe_payments: StripePayments
) -> None:
    stripe_payments.authorize("order-1", EUR_25, THREE_D_SECURE)
    harness.act("order-1", succeed=False)

    with pytest.raises(PaymentDeclined) as raised:
        stripe_payments.complete("order-1")

    assert raised.value.decline_code == "authentication_required"
    assert harness.authorisations("order-1") == 0
    assert stripe_payments.find("order-1") is None
    assert stripe_payments.void("order-1").status is PaymentStatus.VOIDED  # abandoned for good


def test_complete_without_a_payment_is_payment_not_found(stripe_payments: StripePayments) -> None:
    with pytest.raises(NotFound) as raised:
        stripe_payments.complete("order-1")

    assert raised.value.code == "payment_not_found"


def test_a_payment_awaiting_the_customer_can_be_voided(stripe_payments: StripePayments) -> None:
    stripe_payments.authorize("order-1", EUR_25, THREE_D_SECURE)

    assert stripe_payments.void("order-1").status is PaymentStatus.VOIDED


# ---------------------------------------------------------------------- capture and void
def test_capture_takes_the_whole_amount_once(
    harness: StripeHarness, stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    stripe_payments.authorize("order-1", EUR_25, VISA)

    payment = stripe_payments.capture("order-1")

    assert payment.status is PaymentStatus.CAPTURED
    assert payment.captured == EUR_25
    assert stripe_payments.capture("order-1") == payment
    assert len([r for r in api.requests if r.path.endswith("/capture")]) == 1
    assert harness.taken("order-1") == EUR_25


def test_a_capture_whose_answer_was_lost_is_not_taken_twice(
    harness: StripeHarness, stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    stripe_payments.authorize("order-1", EUR_25, VISA)
    with api.losing_next_response(), pytest.raises(PaymentUnavailable):
        stripe_payments.capture("order-1")

    assert stripe_payments.capture("order-1").status is PaymentStatus.CAPTURED
    assert harness.taken("order-1") == EUR_25


def test_a_voided_payment_cannot_be_captured(stripe_payments: StripePayments) -> None:
    stripe_payments.authorize("order-1", EUR_25, VISA)
    voided = stripe_payments.void("order-1")

    with pytest.raises(Conflict) as raised:
        stripe_payments.capture("order-1")

    assert raised.value.code == "payment_not_capturable"
    assert stripe_payments.void("order-1") == voided


def test_a_captured_payment_cannot_be_voided(stripe_payments: StripePayments, api: FakeStripeAPI) -> None:
    captured(stripe_payments)

    with pytest.raises(Conflict) as raised:
        stripe_payments.void("order-1")

    assert raised.value.code == "payment_not_voidable"
    assert not [r for r in api.requests if r.path.endswith("/cancel")]


def test_an_order_without_a_payment_has_none_to_find_capture_or_void(stripe_payments: StripePayments) -> None:
    assert stripe_payments.find("order-1") is None
    for step in (stripe_payments.capture, stripe_payments.void):
        with pytest.raises(NotFound) as raised:
            step("order-1")
        assert raised.value.code == "payment_not_found"


def test_an_intent_missing_at_stripe_is_payment_not_found(harness: StripeHarness) -> None:
    harness.references["order-1"] = "pi_unknown"

    with pytest.raises(NotFound) as raised:
        harness.provider.capture("order-1")

    assert raised.value.code == "payment_not_found"


# ---------------------------------------------------------------------- refund
def test_partial_then_full_refund(harness: StripeHarness, stripe_payments: StripePayments) -> None:
    captured(stripe_payments)

    partly = stripe_payments.refund("order-1", Money(1000, "EUR"), "r1")
    fully = stripe_payments.refund("order-1", Money(1500, "EUR"), "r2")

    assert (partly.status, partly.refunded) == (PaymentStatus.PARTIALLY_REFUNDED, Money(1000, "EUR"))
    assert (fully.status, fully.refunded) == (PaymentStatus.REFUNDED, EUR_25)
    assert harness.taken("order-1") == Money(0, "EUR")


def test_the_same_refund_id_refunds_once(
    harness: StripeHarness, stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    captured(stripe_payments)

    first = stripe_payments.refund("order-1", EUR_25, "r1")
    again = stripe_payments.refund("order-1", EUR_25, "r1")

    assert again == first
    assert len(api.refunds) == 1
    assert harness.taken("order-1") == Money(0, "EUR")


def test_a_refund_whose_answer_was_lost_is_applied_once_when_retried(
    harness: StripeHarness, stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    captured(stripe_payments)
    with api.losing_next_response(), pytest.raises(PaymentUnavailable):
        stripe_payments.refund("order-1", Money(700, "EUR"), "r1")

    payment = stripe_payments.refund("order-1", Money(700, "EUR"), "r1")

    assert payment.refunded == Money(700, "EUR")
    assert len(api.refunds) == 1


def test_a_refund_id_reused_for_another_amount_is_a_conflict(stripe_payments: StripePayments) -> None:
    captured(stripe_payments)
    stripe_payments.refund("order-1", Money(700, "EUR"), "r1")

    with pytest.raises(Conflict) as raised:
        stripe_payments.refund("order-1", Money(800, "EUR"), "r1")

    assert raised.value.code == "refund_mismatch"


def test_a_refund_beyond_what_is_left_is_refused_before_reaching_stripe(
    stripe_payments: StripePayments, api: FakeStripeAPI
) -> None:
    captured(stripe_payments)
    stripe_payments.refund("order-1", Money(2000, "EUR"), "r1")

    with pytest.raises(InvalidInput) as raised:
        stripe_payments.refund("order-1", Money(501, "EUR"), "r2")

    assert raised.value.code == "refund_exceeds_captured"
    assert raised.value.extra == {"refundable": {"amount": 500, "currency": "EUR"}}
    assert len(api.refunds) == 1


def test_stripes_own_charge_exceeds_refundable_is_refund_exceeds_captured(
    harness: StripeHarness,
    stripe_payments: StripePayments,
    api: FakeStripeAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    captured(stripe_payments)
    elsewhere = StripeHarness().provider
    elsewhere._client = stripe_payments._client  # type: ignore[attr-defined]  # a second Lambda, same Stripe
    elsewhere._references = harness.references.get  # type: ignore[attr-defined]
    checked = stripe_payments._already_refunded

    def refunded_meanwhile(reference: str, refund_id: str, amount: Money) -> bool:
        elsewhere.refund("order-1", Money(2000, "EUR"), "elsewhere")  # lands between our read and write
        return checked(reference, refund_id, amount)

    monkeypatch.setattr(stripe_payments, "_already_refunded", refunded_meanwhile)

    with pytest.raises(InvalidInput) as raised:
        stripe_payments.refund("order-1", Money(1000, "EUR"), "r2")

    assert raised.value.code == "refund_exceeds_captured"
    assert raised.value.extra == {"refundable": {"amount": 500, "currency": "EUR"}}
    assert [r["metadata"]["refund_id"] for r in api.refunds.values()] == ["elsewhere"]


def test_refund_rules_follow_the_domain(stripe_payments: StripePayments, api: FakeStripeAPI) -> None:
    stripe_payments.authorize("order-1", EUR_25, VISA)
    with pytest.raises(Conflict) as before_capture:
        stripe_payments.refund("order-1", Money(100, "EUR"), "r1")
    stripe_payments.capture("order-1")
    with pytest.raises(InvalidInput) as other_currency:
        stripe_payments.refund("order-1", Money(100, "USD"), "r2")

    assert before_capture.value.code == "payment_not_refundable"
    assert other_currency.value.code == "currency_mismatch"
    assert api.refunds == {}


def test_find_shows_stripes_books(stripe_payments: StripePayments) -> None:
    captured(stripe_payments)
    stripe_payments.refund("order-1", Money(500, "EUR"), "r1")

    found = stripe_payments.find("order-1")

    assert found is not None
    assert (found.status, found.captured, found.refunded) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        EUR_25,
        Money(500, "EUR"),
    )


# ---------------------------------------------------------------------- the API key
@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    parameters.clear_caches()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-west-1")
    parameters.clear_caches()


@pytest.mark.parametrize("stored", ["sk_test_plain_51Hx", json.dumps({"api_key": "sk_test_json_51Hx"})])
def test_the_api_key_is_read_from_secrets_manager_and_never_logged(
    secrets_manager, caplog: pytest.LogCaptureFixture, stored: str
) -> None:
    secrets_manager.create_secret(Name="commerce/stripe", SecretString=stored)
    key = stored if stored.startswith("sk_") else json.loads(stored)["api_key"]
    api = FakeStripeAPI()
    references: dict[str, str] = {}
    caplog.set_level(
        logging.INFO
    )  # botocore's own DEBUG wire log prints every response body, secrets included
    caplog.set_level(logging.DEBUG, logger="stripe")
    caplog.set_level(logging.DEBUG, logger="commerce")

    provider = StripePayments.from_secret(
        "commerce/stripe", references.get, lambda: datetime.now(UTC), http_client=api, max_network_retries=0
    )
    payment = provider.authorize("order-1", EUR_25, VISA)

    assert payment.status is PaymentStatus.AUTHORIZED
    assert api.requests[0].headers["Authorization"] == f"Bearer {key}"
    assert caplog.records  # the SDK did log its requests...
    assert key not in caplog.text  # ...but never the key


def test_a_secret_without_an_api_key_is_a_configuration_error(secrets_manager) -> None:
    secrets_manager.create_secret(Name="commerce/stripe-empty", SecretString=json.dumps({"key": "x"}))

    with pytest.raises(ConfigurationError):
        StripePayments.from_secret("commerce/stripe-empty", {}.get, lambda: datetime.now(UTC))
