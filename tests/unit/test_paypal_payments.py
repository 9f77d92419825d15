"""The PayPal adapter over the real SDK, against PayPal's API played in-process (``FakePayPalAPI``):
what goes over the wire, how PayPal's answers become payments, and how its failures become errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

from commerce.adapters.paypal_payments import PayPalPayments, paypal_client, paypal_value
from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.money import Money
from commerce.payments.model import (
    Payment,
    PaymentDeclined,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    PaymentUnavailable,
)
from commerce.settings import ConfigurationError
from contract.harness_paypal import CANCEL_URL, RETURN_URL, FakePayPalAPI, PayPalRequest
from unit.fakes import FixedClock

PAYPAL = PaymentMethod(PaymentMethodKind.PAYPAL)


@dataclass
class World:
    api: FakePayPalAPI
    references: dict[str, str]
    paypal: PayPalPayments

    def authorize(self, order_id: str, amount: Money) -> Payment:
        """What the platform does: authorise, then record PayPal's order id on its order."""
        payment = self.paypal.authorize(order_id, amount, PAYPAL)
        self.references.setdefault(order_id, payment.reference)
        return payment

    def authorised(self, order_id: str, amount: Money) -> Payment:
        self.authorize(order_id, amount)
        self.api.approve(order_id)
        return self.paypal.complete(order_id)

    def captured(self, order_id: str, amount: Money) -> Payment:
        self.authorised(order_id, amount)
        return self.paypal.capture(order_id)

    def sent(self, method: str, path_end: str) -> list[PayPalRequest]:
        return [r for r in self.api.requests if r.method == method and r.path.endswith(path_end)]


def world_with(api: FakePayPalAPI, *, client_secret: str | None = None) -> World:
    references: dict[str, str] = {}
    client = paypal_client(api.client_id, client_secret or api.client_secret, http_client=api)
    paypal = PayPalPayments(client, references.get, FixedClock(), RETURN_URL, CANCEL_URL)
    return World(api, references, paypal)


@pytest.fixture
def world() -> World:
    return world_with(FakePayPalAPI())


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


# ------------------------------------------------------------------------------------------------ the wire


def test_an_authorisation_creates_an_authorize_intent_order_for_the_amount_and_waits_for_the_buyer(
    world: World,
) -> None:
    payment = world.authorize("ord_1", eur(1234))

    [create] = world.sent("POST", "/v2/checkout/orders")
    [unit] = create.json["purchase_units"]
    assert create.json["intent"] == "AUTHORIZE"
    assert unit["amount"] == {"currency_code": "EUR", "value": "12.34"}
    assert unit["reference_id"] == unit["custom_id"] == unit["invoice_id"] == "ord_1"
    context = create.json["payment_source"]["paypal"]["experience_context"]
    assert (context["return_url"], context["cancel_url"]) == (RETURN_URL, CANCEL_URL)
    assert create.request_id == "ord_1-authorize"
    assert payment.status is PaymentStatus.REQUIRES_ACTION
    assert payment.reference in world.api.orders
    assert payment.next_action is not None
    assert payment.next_action.type == "redirect_to_url"
    assert payment.next_action.url == f"https://www.sandbox.paypal.com/checkoutnow?token={payment.reference}"
    assert payment.held.amount == 0


def test_a_yen_amount_crosses_as_a_whole_number_and_comes_back_in_minor_units(world: World) -> None:
    payment = world.authorised("ord_jpy", Money(1500, "JPY"))

    [create] = world.sent("POST", "/v2/checkout/orders")
    assert create.json["purchase_units"][0]["amount"] == {"currency_code": "JPY", "value": "1500"}
    assert payment.amount == payment.held == Money(1500, "JPY")


@pytest.mark.parametrize(
    ("amount", "value"),
    [
        (Money(1, "EUR"), "0.01"),
        (Money(1234, "EUR"), "12.34"),
        (Money(100_000_000, "USD"), "1000000.00"),
        (Money(1500, "JPY"), "1500"),
        (Money(7, "KRW"), "7"),
    ],
)
def test_minor_units_become_paypals_decimal_string_by_the_currencys_exponent(
    amount: Money, value: str
) -> None:
    assert paypal_value(amount) == value


def test_each_step_carries_its_own_paypal_request_id(world: World) -> None:
    world.captured("ord_2", eur(3000))
    world.paypal.refund("ord_2", eur(1000), "r1")
    world.authorised("ord_3", eur(500))
    world.paypal.void("ord_3")

    ids = [r.request_id for r in world.api.requests if r.method == "POST" and r.path.startswith("/v2/")]

    assert ids == [
        "ord_2-authorize",
        "ord_2-complete",
        "ord_2-capture",
        "ord_2-refund-r1",
        "ord_3-authorize",
        "ord_3-complete",
        "ord_3-void",
    ]


def test_the_oauth_token_is_fetched_once_and_reused(world: World) -> None:
    world.captured("ord_4", eur(2000))
    world.paypal.find("ord_4")

    [token] = world.api.token_requests()
    bearers = {r.headers["Authorization"] for r in world.api.requests if r.path.startswith("/v2/")}
    assert token.form == {"grant_type": "client_credentials"}
    assert token.headers["Authorization"].startswith("Basic ")
    assert len(bearers) == 1
    assert bearers.pop().startswith("Bearer A21AA")


def test_a_capture_asks_for_the_whole_amount_as_the_final_capture(world: World) -> None:
    authorised = world.authorised("ord_5", eur(4599))

    captured = world.paypal.capture("ord_5")

    [order] = world.api.orders_for("ord_5")
    authorization_id = order["purchase_units"][0]["payments"]["authorizations"][0]["id"]
    [capture] = world.sent("POST", "/capture")
    assert capture.path == f"/v2/payments/authorizations/{authorization_id}/capture"
    assert capture.json == {"amount": {"currency_code": "EUR", "value": "45.99"}, "final_capture": True}
    assert authorised.status is PaymentStatus.AUTHORIZED
    assert captured.status is PaymentStatus.CAPTURED
    assert captured.taken == eur(4599)


# ------------------------------------------------------------------------------------------------ retries


def test_an_order_created_whose_answer_was_lost_is_replayed_not_created_again(world: World) -> None:
    world.api.lose_next_response()
    with pytest.raises(PaymentUnavailable):
        world.authorize("ord_6", eur(1500))

    retried = world.authorize("ord_6", eur(1500))

    creates = world.sent("POST", "/v2/checkout/orders")
    assert [r.request_id for r in creates] == ["ord_6-authorize", "ord_6-authorize"]
    assert list(world.api.orders) == [retried.reference]


def test_a_capture_whose_answer_was_lost_is_found_done_and_not_sent_again(world: World) -> None:
    world.authorised("ord_7", eur(1500))

    world.api.lose_next_response()
    with pytest.raises(PaymentUnavailable):
        world.paypal.capture("ord_7")
    retried = world.paypal.capture("ord_7")

    assert retried.status is PaymentStatus.CAPTURED
    assert len(world.sent("POST", "/capture")) == 1
    [order] = world.api.orders_for("ord_7")
    assert len(order["purchase_units"][0]["payments"]["captures"]) == 1


def test_an_authorisation_of_a_recorded_order_reads_it_instead_of_creating_another(world: World) -> None:
    first = world.authorised("ord_8", eur(1500))

    again = world.paypal.authorize("ord_8", eur(1500), PAYPAL)

    assert again == first
    assert len(world.sent("POST", "/v2/checkout/orders")) == 1


def test_an_authorisation_of_a_recorded_order_for_another_amount_is_a_mismatch(world: World) -> None:
    world.authorize("ord_9", eur(1500))

    with pytest.raises(Conflict) as raised:
        world.paypal.authorize("ord_9", eur(1600), PAYPAL)

    assert raised.value.code == "payment_mismatch"


def test_a_card_is_not_a_paypal_payment_method(world: World) -> None:
    with pytest.raises(PaymentDeclined) as raised:
        world.paypal.authorize("ord_10", eur(1500), PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa"))

    assert raised.value.decline_code == "payment_method_not_supported"
    assert world.api.orders == {}


# ------------------------------------------------------------------------------------------------ the buyer


def test_complete_before_the_buyer_approved_still_requires_action_and_authorises_nothing(
    world: World,
) -> None:
    waiting = world.authorize("ord_11", eur(1500))

    still = world.paypal.complete("ord_11")

    assert still.status is PaymentStatus.REQUIRES_ACTION
    assert still.next_action == waiting.next_action
    assert world.sent("POST", "/authorize") == []


def test_approval_then_complete_authorises_the_order_once(world: World) -> None:
    world.authorize("ord_12", eur(1500))
    world.api.approve("ord_12")

    done = world.paypal.complete("ord_12")
    again = world.paypal.complete("ord_12")

    assert done.status is PaymentStatus.AUTHORIZED
    assert done.held == eur(1500)
    assert again == done == world.paypal.find("ord_12")
    assert len(world.sent("POST", "/authorize")) == 1


def test_an_instrument_declined_is_payment_declined_with_paypals_issue_and_holds_nothing(
    world: World,
) -> None:
    world.api.decline_on_authorize("ord_13", "INSTRUMENT_DECLINED")
    world.authorize("ord_13", eur(1500))
    world.api.approve("ord_13")

    with pytest.raises(PaymentDeclined) as raised:
        world.paypal.complete("ord_13")

    assert raised.value.code == "payment_declined"
    assert raised.value.decline_code == "instrument_declined"
    found = world.paypal.find("ord_13")
    assert found is not None
    assert found.held.amount == found.taken.amount == 0


def test_other_refusals_to_authorise_keep_paypals_issue_as_the_decline_code(world: World) -> None:
    world.api.decline_on_authorize("ord_14", "PAYER_CANNOT_PAY")
    world.authorize("ord_14", eur(1500))
    world.api.approve("ord_14")

    with pytest.raises(PaymentDeclined) as raised:
        world.paypal.complete("ord_14")

    assert raised.value.decline_code == "payer_cannot_pay"


def test_a_buyer_who_abandons_is_declined_as_payer_action_abandoned(world: World) -> None:
    world.authorize("ord_15", eur(1500))
    world.api.approve("ord_15", succeed=False)

    with pytest.raises(PaymentDeclined) as raised:
        world.paypal.complete("ord_15")

    assert raised.value.decline_code == "payer_action_abandoned"
    found = world.paypal.find("ord_15")
    assert found is not None
    assert found.status is PaymentStatus.VOIDED


def test_an_authorisation_paypal_denied_is_declined_and_shows_nothing_held(world: World) -> None:
    payment = world.authorised("ord_16", eur(1500))
    world.api.orders[payment.reference]["purchase_units"][0]["payments"]["authorizations"][0]["status"] = (
        "DENIED"
    )

    with pytest.raises(PaymentDeclined) as raised:
        world.paypal.complete("ord_16")

    assert raised.value.decline_code == "authorization_denied"
    found = world.paypal.find("ord_16")
    assert found is not None
    assert found.held.amount == 0


# ------------------------------------------------------------------------------------------------ capture, void


def test_a_voided_payment_cannot_be_captured_and_nothing_is_sent(world: World) -> None:
    world.authorised("ord_17", eur(1500))
    world.paypal.void("ord_17")

    with pytest.raises(Conflict) as raised:
        world.paypal.capture("ord_17")

    assert raised.value.code == "payment_not_capturable"
    assert world.sent("POST", "/capture") == []


def test_a_captured_payment_captured_again_is_returned_unchanged(world: World) -> None:
    first = world.captured("ord_18", eur(1500))

    again = world.paypal.capture("ord_18")

    assert again == first
    assert len(world.sent("POST", "/capture")) == 1


def test_voiding_an_authorisation_releases_it_at_paypal(world: World) -> None:
    world.authorised("ord_19", eur(1500))

    voided = world.paypal.void("ord_19")

    [order] = world.api.orders_for("ord_19")
    assert order["purchase_units"][0]["payments"]["authorizations"][0]["status"] == "VOIDED"
    assert voided.status is PaymentStatus.VOIDED
    assert world.paypal.void("ord_19") == voided
    assert len(world.sent("POST", "/void")) == 1


def test_voiding_an_order_the_buyer_never_approved_sends_nothing_and_holds_nothing(world: World) -> None:
    world.authorize("ord_20", eur(1500))

    voided = world.paypal.void("ord_20")

    assert voided.status is PaymentStatus.VOIDED
    assert voided.next_action is None
    assert world.sent("POST", "/void") == []


def test_a_captured_payment_cannot_be_voided(world: World) -> None:
    world.captured("ord_21", eur(1500))

    with pytest.raises(Conflict) as raised:
        world.paypal.void("ord_21")

    assert raised.value.code == "payment_not_voidable"
    assert world.sent("POST", "/void") == []


# ------------------------------------------------------------------------------------------------ refund


def test_a_refund_sends_the_amount_with_the_refund_id_and_adds_up(world: World) -> None:
    world.captured("ord_22", eur(3000))

    part = world.paypal.refund("ord_22", eur(1000), "r1")
    rest = world.paypal.refund("ord_22", eur(2000), "r2")

    first, second = world.sent("POST", "/refund")
    assert first.json == {"amount": {"currency_code": "EUR", "value": "10.00"}, "custom_id": "r1"}
    assert second.request_id == "ord_22-refund-r2"
    assert part.status is PaymentStatus.PARTIALLY_REFUNDED
    assert part.taken == eur(2000)
    assert rest.status is PaymentStatus.REFUNDED
    assert rest.refunded == eur(3000)


def test_a_refund_repeated_with_its_id_is_given_once(world: World) -> None:
    world.captured("ord_23", eur(3000))

    first = world.paypal.refund("ord_23", eur(1000), "same")
    again = world.paypal.refund("ord_23", eur(1000), "same")

    assert again == first
    assert len(world.sent("POST", "/refund")) == 1


def test_a_refund_id_reused_for_another_amount_is_a_mismatch(world: World) -> None:
    world.captured("ord_24", eur(3000))
    world.paypal.refund("ord_24", eur(1000), "same")

    with pytest.raises(Conflict) as raised:
        world.paypal.refund("ord_24", eur(500), "same")

    assert raised.value.code == "refund_mismatch"


def test_a_refund_whose_answer_was_lost_is_found_given_when_retried(world: World) -> None:
    world.captured("ord_25", eur(3000))

    world.api.lose_next_response()
    with pytest.raises(PaymentUnavailable):
        world.paypal.refund("ord_25", eur(1000), "lost")
    retried = world.paypal.refund("ord_25", eur(1000), "lost")

    assert retried.refunded == eur(1000)
    assert len(world.sent("POST", "/refund")) == 1


@pytest.mark.parametrize(
    ("amount", "code"),
    [(eur(3001), "refund_exceeds_captured"), (Money(100, "USD"), "currency_mismatch")],
)
def test_a_refund_the_domain_refuses_is_never_sent(world: World, amount: Money, code: str) -> None:
    world.captured("ord_26", eur(3000))

    with pytest.raises(InvalidInput) as raised:
        world.paypal.refund("ord_26", amount, "r")

    assert raised.value.code == code
    assert world.sent("POST", "/refund") == []


def test_a_refund_paypal_finds_beyond_the_capture_is_refund_exceeds_captured(world: World) -> None:
    world.captured("ord_27", eur(3000))
    # Another refund reaches PayPal between the adapter's read and its write.
    order = world.api.orders_for("ord_27")[0]
    capture_id = order["purchase_units"][0]["payments"]["captures"][0]["id"]
    refund = world.api._refund
    world.api._refund = lambda cid, body: (  # type: ignore[method-assign]
        refund(capture_id, {"amount": {"currency_code": "EUR", "value": "25.00"}}),
        refund(cid, body),
    )[1]

    with pytest.raises(InvalidInput) as raised:
        world.paypal.refund("ord_27", eur(1000), "r")

    assert raised.value.code == "refund_exceeds_captured"


def test_an_uncaptured_payment_cannot_be_refunded(world: World) -> None:
    world.authorised("ord_28", eur(3000))

    with pytest.raises(Conflict) as raised:
        world.paypal.refund("ord_28", eur(100), "early")

    assert raised.value.code == "payment_not_refundable"


# ------------------------------------------------------------------------------------------------ find


def test_an_order_without_a_recorded_reference_has_no_payment_and_asks_paypal_nothing(world: World) -> None:
    assert world.paypal.find("ord_none") is None
    for call in (world.paypal.complete, world.paypal.capture, world.paypal.void):
        with pytest.raises(NotFound) as raised:
            call("ord_none")
        assert raised.value.code == "payment_not_found"
    assert world.api.requests == []


def test_a_reference_paypal_does_not_know_is_payment_not_found(world: World) -> None:
    world.references["ord_ghost"] = "8XY12345AB6789012"

    with pytest.raises(NotFound) as raised:
        world.paypal.complete("ord_ghost")

    assert raised.value.code == "payment_not_found"
    assert world.paypal.find("ord_ghost") is None


def test_find_maps_a_partly_refunded_order(world: World) -> None:
    world.captured("ord_29", eur(3000))
    world.paypal.refund("ord_29", eur(500), "r1")

    found = world.paypal.find("ord_29")

    assert found is not None
    assert found.status is PaymentStatus.PARTIALLY_REFUNDED
    assert (found.amount, found.captured, found.refunded) == (eur(3000), eur(3000), eur(500))


# ------------------------------------------------------------------------------------------------ failures


def test_an_outage_is_payment_unavailable_and_creates_nothing(world: World) -> None:
    with world.api.outage(), pytest.raises(PaymentUnavailable) as raised:
        world.authorize("ord_30", eur(1500))

    assert raised.value.code == "payment_provider_unavailable"
    assert world.api.orders == {}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_server_errors_are_payment_unavailable(world: World, status: int) -> None:
    world.authorised("ord_31", eur(1500))

    world.api.fail_next(status)
    with pytest.raises(PaymentUnavailable):
        world.paypal.capture("ord_31")

    assert world.paypal.capture("ord_31").status is PaymentStatus.CAPTURED


class _Timeout(requests.adapters.BaseAdapter):
    def send(self, *args: Any, **kwargs: Any) -> requests.Response:
        raise requests.exceptions.ReadTimeout(
            "HTTPSConnectionPool(host='api-m.sandbox.paypal.com'): Read timed out."
        )

    def close(self) -> None:
        return None


def test_a_timeout_is_payment_unavailable(world: World) -> None:
    world.api.session.mount("https://", _Timeout())

    with pytest.raises(PaymentUnavailable):
        world.authorize("ord_32", eur(1500))


def test_credentials_paypal_refuses_are_a_configuration_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    world = world_with(FakePayPalAPI(), client_secret="a-revoked-secret")

    with pytest.raises(ConfigurationError) as raised:
        world.authorize("ord_33", eur(1500))

    assert raised.value.code == "misconfigured"
    assert "a-revoked-secret" not in str(raised.value)
    assert "a-revoked-secret" not in caplog.text


# ------------------------------------------------------------------------------------------------ credentials


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from aws_lambda_powertools.utilities import parameters

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    parameters.clear_caches()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")
    parameters.clear_caches()


def test_credentials_are_read_from_the_secret_and_never_logged(
    secrets_manager: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakePayPalAPI(client_id="live-client-id", client_secret="s3cr3t-PayPal-value")
    secrets_manager.create_secret(
        Name="commerce/paypal",
        SecretString=json.dumps({"client_id": "live-client-id", "client_secret": "s3cr3t-PayPal-value"}),
    )
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    # botocore's own DEBUG wire log prints every response body, secrets included; it is off in Lambda
    # and not this adapter's to silence. Everything else (the SDK, requests, Powertools, ours) at DEBUG.
    caplog.set_level(logging.INFO, logger="botocore")
    references: dict[str, str] = {}

    paypal = PayPalPayments.from_secret(
        "commerce/paypal", references.get, FixedClock(), RETURN_URL, CANCEL_URL, http_client=api
    )
    payment = paypal.authorize("ord_34", eur(1500), PAYPAL)

    assert payment.status is PaymentStatus.REQUIRES_ACTION
    [token] = api.token_requests()
    basic = token.headers["Authorization"].removeprefix("Basic ")
    assert "s3cr3t-PayPal-value" not in caplog.text
    assert basic not in caplog.text
    assert api.requests[-1].headers["Authorization"].removeprefix("Bearer ") not in caplog.text


def test_a_secret_without_a_client_secret_is_a_configuration_error_naming_no_value(
    secrets_manager: Any,
) -> None:
    secrets_manager.create_secret(
        Name="commerce/paypal-broken", SecretString=json.dumps({"client_id": "cid-only"})
    )

    with pytest.raises(ConfigurationError) as raised:
        PayPalPayments.from_secret("commerce/paypal-broken", {}.get, FixedClock(), RETURN_URL, CANCEL_URL)

    assert "commerce/paypal-broken" in str(raised.value)
    assert "cid-only" not in str(raised.value)
