"""The card simulator on a real (moto) DynamoDB table: Stripe's test cards, replays and races."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from commerce.adapters.dynamodb import from_item
from commerce.adapters.payment_simulator import SimulatedCardProcessor
from commerce.errors import CommerceError, Conflict, InvalidInput, NotFound
from commerce.money import Money
from commerce.payments.model import (
    Payment,
    PaymentDeclined,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    PaymentUnavailable,
)
from localcloud import hooks
from unit.fakes import FixedClock

REGION = "us-east-1"
REFERENCE = re.compile(r"^pi_[0-9a-f]{24}$")


def card(token: str) -> PaymentMethod:
    return PaymentMethod(PaymentMethodKind.CARD, token)


VISA = card("pm_card_visa")
MASTERCARD = card("pm_card_mastercard")


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


# ------------------------------------------------------------------------------------------------ fixtures


class Table:
    """The simulator's table, read raw, so tests can see the provider's own records."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def items(self, order_id: str, prefix: str) -> list[dict[str, Any]]:
        response = self.client.query(
            TableName=self.name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"PAYMENT#{order_id}"}, ":prefix": {"S": prefix}},
            ConsistentRead=True,
        )
        return [from_item(item) for item in response.get("Items", [])]

    def payment_item(self, order_id: str) -> dict[str, Any]:
        [item] = self.items(order_id, "PAYMENT")
        return item


def _no_lambda(function_name: str, event: Any) -> Any:
    raise AssertionError(f"no Lambda runs in these tests ({function_name})")


def _hooks_installed() -> bool:
    """Inside a session that already runs the local cloud, its hooks (and dispatcher) stay as they are."""
    return getattr(vars(DynamoHandler)["call_action"], "__module__", None) == hooks.__name__


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Table]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        # moto's DynamoDB is not thread-safe on its own: the hooks serialise it, so conditions hold in races.
        installed_here = not _hooks_installed()
        if installed_here:
            hooks.install(_no_lambda)
        try:
            client = boto3.client("dynamodb", region_name=REGION)
            name = f"payments-{uuid.uuid4().hex[:12]}"
            client.create_table(
                TableName=name,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
            yield Table(client, name)
            client.delete_table(TableName=name)
        finally:
            if installed_here:
                hooks.uninstall()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def simulator(table: Table, clock: FixedClock) -> SimulatedCardProcessor:
    return SimulatedCardProcessor(table.client, table.name, clock)


def race(calls: int, workers: int, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call`` concurrently, switching threads as often as CPython allows; exceptions are returned."""

    def outcome(i: int) -> Any:
        try:
            return call(i)
        except CommerceError as error:
            return error

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(outcome, range(calls)))
    finally:
        sys.setswitchinterval(switch_interval)


# ------------------------------------------------------------------------------------------------ test cards


@pytest.mark.parametrize(
    "token", ["pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_visa_debit"]
)
def test_an_approving_test_card_holds_the_amount(simulator: SimulatedCardProcessor, token: str) -> None:
    # WHEN an order is authorised with one of Stripe's approving test cards
    payment = simulator.authorize("o-1", eur(5000), card(token))

    # THEN the amount is held under a PaymentIntent-like reference, and that is what the provider stores
    assert payment.status is PaymentStatus.AUTHORIZED
    assert REFERENCE.match(payment.reference)
    assert payment.held == eur(5000)
    assert payment.method == card(token)
    assert simulator.find("o-1") == payment


@pytest.mark.parametrize(
    ("token", "decline_code", "detail"),
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
        ("pm_card_doesNotExist", "payment_method_unknown", "No such PaymentMethod: 'pm_card_doesNotExist'"),
    ],
)
def test_a_declining_test_card_is_declined_with_stripes_decline_code(
    simulator: SimulatedCardProcessor, table: Table, token: str, decline_code: str, detail: str
) -> None:
    # WHEN an order is authorised with a declining test card
    with pytest.raises(PaymentDeclined) as raised:
        simulator.authorize("o-1", eur(5000), card(token))

    # THEN it is declined with Stripe's decline code and message, and nothing is held
    assert raised.value.code == "payment_declined"
    assert raised.value.decline_code == decline_code
    assert raised.value.extra == {"decline_code": decline_code}
    assert raised.value.detail == detail
    assert simulator.find("o-1") is None
    # AND the attempt is on the provider's record
    [decline] = table.items("o-1", "DECLINE#")
    assert decline["decline_code"] == decline_code
    assert (decline["amount"], decline["currency"]) == (5000, "EUR")


@pytest.mark.parametrize(
    "method",
    [PaymentMethod(PaymentMethodKind.WALLET), PaymentMethod(PaymentMethodKind.PAYPAL, "5O190127TN364715T")],
    ids=["wallet", "paypal"],
)
def test_the_card_simulator_declines_other_kinds_of_payment_method(
    simulator: SimulatedCardProcessor, method: PaymentMethod
) -> None:
    with pytest.raises(PaymentDeclined) as raised:
        simulator.authorize("o-1", eur(5000), method)

    assert raised.value.decline_code == "payment_method_not_supported"
    assert simulator.payments() == []


def test_declines_hold_nothing_and_each_attempt_is_recorded(
    simulator: SimulatedCardProcessor, table: Table, clock: FixedClock
) -> None:
    # GIVEN three declined attempts for one order
    for token in ["pm_card_chargeDeclined", "pm_card_chargeDeclinedExpiredCard", "pm_card_chargeDeclined"]:
        with pytest.raises(PaymentDeclined):
            simulator.authorize("o-1", eur(5000), card(token))
        clock.advance(seconds=1)

    # THEN no payment exists, so nothing is held, and the three attempts are kept in order
    assert simulator.find("o-1") is None
    assert simulator.payments() == []
    declines = table.items("o-1", "DECLINE#")
    assert [d["decline_code"] for d in declines] == ["generic_decline", "expired_card", "generic_decline"]
    assert [d["at"] for d in declines] == sorted(d["at"] for d in declines)


def test_after_a_decline_the_same_order_can_be_paid_with_another_card(
    simulator: SimulatedCardProcessor,
) -> None:
    with pytest.raises(PaymentDeclined):
        simulator.authorize("o-1", eur(5000), card("pm_card_chargeDeclinedInsufficientFunds"))

    payment = simulator.authorize("o-1", eur(5000), MASTERCARD)

    assert payment.status is PaymentStatus.AUTHORIZED
    assert payment.method == MASTERCARD


def test_the_providers_record_is_a_versioned_item_per_order(
    simulator: SimulatedCardProcessor, table: Table
) -> None:
    payment = simulator.authorize("o-1", eur(5000), VISA)

    item = table.payment_item("o-1")
    assert item == {
        "pk": "PAYMENT#o-1",
        "sk": "PAYMENT",
        "order_id": "o-1",
        "reference": payment.reference,
        "method_kind": "card",
        "method_token": "pm_card_visa",
        "amount": 5000,
        "currency": "EUR",
        "captured": 0,
        "refunded": 0,
        "status": "authorized",
        "created_at": "2025-01-15T12:00:00.000Z",
        "updated_at": "2025-01-15T12:00:00.000Z",
        "version": 1,
    }


# ------------------------------------------------------------------------------------------------ authorise replays


def test_authorise_delivered_again_returns_the_stored_payment(
    simulator: SimulatedCardProcessor, table: Table, clock: FixedClock
) -> None:
    # GIVEN an authorised order
    first = simulator.authorize("o-1", eur(5000), VISA)
    # WHEN Step Functions delivers the same authorise again later
    clock.advance(minutes=3)
    again = simulator.authorize("o-1", eur(5000), VISA)
    # THEN it is the same payment, held once
    assert again == first
    assert table.payment_item("o-1")["version"] == 1
    assert simulator.payments() == [first]


@pytest.mark.parametrize(
    ("amount", "method"), [(eur(5001), VISA), (Money(5000, "USD"), VISA), (eur(5000), MASTERCARD)]
)
def test_authorise_again_for_another_amount_or_method_is_a_mismatch(
    simulator: SimulatedCardProcessor, amount: Money, method: PaymentMethod
) -> None:
    first = simulator.authorize("o-1", eur(5000), VISA)

    with pytest.raises(Conflict) as raised:
        simulator.authorize("o-1", amount, method)

    assert raised.value.code == "payment_mismatch"
    assert simulator.find("o-1") == first


def test_an_order_with_a_payment_is_never_declined_afterwards(
    simulator: SimulatedCardProcessor, table: Table
) -> None:
    # GIVEN an authorised order
    simulator.authorize("o-1", eur(5000), VISA)
    # WHEN an authorise with a declining card arrives for it
    with pytest.raises(Conflict) as raised:
        simulator.authorize("o-1", eur(5000), card("pm_card_chargeDeclined"))
    # THEN it is a mismatch with the existing payment, not a decline, and no attempt is recorded
    assert raised.value.code == "payment_mismatch"
    assert table.items("o-1", "DECLINE#") == []


def test_a_payment_for_nothing_is_invalid_and_stores_nothing(simulator: SimulatedCardProcessor) -> None:
    with pytest.raises(InvalidInput) as raised:
        simulator.authorize("o-1", eur(0), VISA)

    assert raised.value.code == "invalid_amount"
    assert simulator.payments() == []


# ------------------------------------------------------------------------------------------------ capture and void


def test_capture_takes_the_amount_and_a_second_capture_changes_nothing(
    simulator: SimulatedCardProcessor, table: Table, clock: FixedClock
) -> None:
    authorized = simulator.authorize("o-1", eur(5000), VISA)
    clock.advance(minutes=1)

    captured = simulator.capture("o-1")
    clock.advance(minutes=1)
    again = simulator.capture("o-1")

    assert captured.status is PaymentStatus.CAPTURED
    assert captured.captured == captured.taken == eur(5000)
    assert captured.held == eur(0)
    assert captured.reference == authorized.reference
    assert captured.updated_at == datetime(2025, 1, 15, 12, 1, tzinfo=UTC)
    assert again == captured == simulator.find("o-1")
    assert table.payment_item("o-1")["version"] == 2


def test_void_releases_the_hold_and_a_second_void_changes_nothing(
    simulator: SimulatedCardProcessor, table: Table
) -> None:
    simulator.authorize("o-1", eur(5000), VISA)

    voided = simulator.void("o-1")
    again = simulator.void("o-1")

    assert voided.status is PaymentStatus.VOIDED
    assert voided.held == voided.taken == eur(0)
    assert again == voided == simulator.find("o-1")
    assert table.payment_item("o-1")["version"] == 2


def test_a_captured_payment_cannot_be_voided(simulator: SimulatedCardProcessor) -> None:
    simulator.authorize("o-1", eur(5000), VISA)
    captured = simulator.capture("o-1")

    with pytest.raises(Conflict) as raised:
        simulator.void("o-1")

    assert raised.value.code == "payment_not_voidable"
    assert simulator.find("o-1") == captured


def test_a_voided_payment_cannot_be_captured(simulator: SimulatedCardProcessor) -> None:
    simulator.authorize("o-1", eur(5000), VISA)
    voided = simulator.void("o-1")

    with pytest.raises(Conflict) as raised:
        simulator.capture("o-1")

    assert raised.value.code == "payment_not_capturable"
    assert simulator.find("o-1") == voided


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.capture("o-404"),
        lambda s: s.void("o-404"),
        lambda s: s.refund("o-404", eur(100), "r-1"),
    ],
    ids=["capture", "void", "refund"],
)
def test_an_order_without_a_payment_is_not_found(
    simulator: SimulatedCardProcessor, call: Callable[[SimulatedCardProcessor], Payment]
) -> None:
    with pytest.raises(NotFound) as raised:
        call(simulator)

    assert raised.value.code == "payment_not_found"


def test_a_race_of_capture_and_void_has_one_winner(simulator: SimulatedCardProcessor) -> None:
    # GIVEN an authorised payment WHEN 8 captures and 8 voids race
    simulator.authorize("o-1", eur(5000), VISA)
    outcomes = race(16, 16, lambda i: simulator.capture("o-1") if i % 2 else simulator.void("o-1"))

    # THEN the stored payment is either captured or voided, and every call agrees with it
    stored = simulator.find("o-1")
    assert stored is not None
    assert stored.status in {PaymentStatus.CAPTURED, PaymentStatus.VOIDED}
    succeeded = [o for o in outcomes if isinstance(o, Payment)]
    refused = [o for o in outcomes if not isinstance(o, Payment)]
    assert succeeded
    assert all(o == stored for o in succeeded)
    expected_code = (
        "payment_not_voidable" if stored.status is PaymentStatus.CAPTURED else "payment_not_capturable"
    )
    assert all(isinstance(o, Conflict) and o.code == expected_code for o in refused)


# ------------------------------------------------------------------------------------------------ refund


def captured_payment(simulator: SimulatedCardProcessor, amount: int = 5000) -> Payment:
    simulator.authorize("o-1", eur(amount), VISA)
    return simulator.capture("o-1")


def test_partial_refunds_add_up_to_a_full_refund(simulator: SimulatedCardProcessor, table: Table) -> None:
    captured_payment(simulator, 5000)

    partial = simulator.refund("o-1", eur(1500), "r-1")
    full = simulator.refund("o-1", eur(3500), "r-2")

    assert partial.status is PaymentStatus.PARTIALLY_REFUNDED
    assert partial.refunded == eur(1500)
    assert partial.taken == eur(3500)
    assert full.status is PaymentStatus.REFUNDED
    assert full.refunded == eur(5000)
    assert full.taken == eur(0)
    assert simulator.find("o-1") == full
    refunds = table.items("o-1", "REFUND#")
    assert [(r["refund_id"], r["amount"], r["currency"]) for r in refunds] == [
        ("r-1", 1500, "EUR"),
        ("r-2", 3500, "EUR"),
    ]


def test_a_refund_delivered_again_changes_nothing(simulator: SimulatedCardProcessor, table: Table) -> None:
    captured_payment(simulator, 5000)

    first = simulator.refund("o-1", eur(1500), "r-1")
    again = simulator.refund("o-1", eur(1500), "r-1")

    assert again == first
    assert again.refunded == eur(1500)
    assert len(table.items("o-1", "REFUND#")) == 1
    assert table.payment_item("o-1")["version"] == 3


def test_a_full_refund_delivered_again_returns_the_refunded_payment(
    simulator: SimulatedCardProcessor,
) -> None:
    # GIVEN a fully refunded payment (no longer refundable)
    captured_payment(simulator, 5000)
    refunded = simulator.refund("o-1", eur(5000), "r-1")
    # WHEN the same refund arrives again THEN it is a replay, not a refusal
    assert simulator.refund("o-1", eur(5000), "r-1") == refunded


def test_a_refund_id_used_again_for_another_amount_is_a_conflict(simulator: SimulatedCardProcessor) -> None:
    captured_payment(simulator, 5000)
    first = simulator.refund("o-1", eur(1500), "r-1")

    with pytest.raises(Conflict) as raised:
        simulator.refund("o-1", eur(2000), "r-1")

    assert raised.value.code == "refund_mismatch"
    assert simulator.find("o-1") == first


def test_a_refund_beyond_what_was_captured_is_refused_and_changes_nothing(
    simulator: SimulatedCardProcessor, table: Table
) -> None:
    # GIVEN 5000 captured and 4000 refunded
    captured_payment(simulator, 5000)
    before = simulator.refund("o-1", eur(4000), "r-1")
    # WHEN 1001 more is asked
    with pytest.raises(InvalidInput) as raised:
        simulator.refund("o-1", eur(1001), "r-2")
    # THEN it is refused, the payment is as it was and no refund is recorded
    assert raised.value.code == "refund_exceeds_captured"
    assert simulator.find("o-1") == before
    assert [r["refund_id"] for r in table.items("o-1", "REFUND#")] == ["r-1"]
    assert table.payment_item("o-1")["version"] == 3


def test_an_uncaptured_payment_cannot_be_refunded(simulator: SimulatedCardProcessor) -> None:
    simulator.authorize("o-1", eur(5000), VISA)

    with pytest.raises(Conflict) as raised:
        simulator.refund("o-1", eur(100), "r-1")

    assert raised.value.code == "payment_not_refundable"


def test_a_refund_without_an_id_is_invalid(simulator: SimulatedCardProcessor) -> None:
    captured_payment(simulator, 5000)

    with pytest.raises(InvalidInput) as raised:
        simulator.refund("o-1", eur(100), "")

    assert raised.value.code == "invalid_refund_id"


# ------------------------------------------------------------------------------------------------ the ledger


def test_payments_lists_every_payment_so_held_money_can_be_reconciled(
    simulator: SimulatedCardProcessor,
) -> None:
    # GIVEN payments in every state, and a declined order
    for order_id in ["o-held", "o-captured", "o-voided", "o-refunded"]:
        simulator.authorize(order_id, eur(1000), VISA)
    simulator.capture("o-captured")
    simulator.void("o-voided")
    simulator.capture("o-refunded")
    simulator.refund("o-refunded", eur(400), "r-1")
    with pytest.raises(PaymentDeclined):
        simulator.authorize("o-declined", eur(1000), card("pm_card_chargeDeclined"))

    # THEN the ledger has the four payments, and only the uncaptured one still holds money
    payments = {p.order_id: p for p in simulator.payments()}
    assert set(payments) == {"o-held", "o-captured", "o-voided", "o-refunded"}
    assert {order_id for order_id, p in payments.items() if p.held != eur(0)} == {"o-held"}
    assert sum(p.taken.amount for p in payments.values()) == 1000 + 600


# ------------------------------------------------------------------------------------------------ outages


class Throttled:
    """A DynamoDB client that is throttled on every call."""

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        def call(**_: Any) -> Any:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation
            )

        return call


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.authorize("o-1", eur(5000), VISA),
        lambda s: s.capture("o-1"),
        lambda s: s.void("o-1"),
        lambda s: s.refund("o-1", eur(100), "r-1"),
        lambda s: s.find("o-1"),
        lambda s: s.payments(),
    ],
    ids=["authorize", "capture", "void", "refund", "find", "payments"],
)
def test_a_throttled_provider_is_unavailable_so_the_caller_retries(
    clock: FixedClock, call: Callable[[SimulatedCardProcessor], Any]
) -> None:
    throttled = SimulatedCardProcessor(Throttled(), "payments", clock)

    with pytest.raises(PaymentUnavailable) as raised:
        call(throttled)

    assert raised.value.code == "payment_provider_unavailable"


# ------------------------------------------------------------------------------------------------ races


def test_sixteen_concurrent_authorises_of_one_order_hold_the_money_once(
    simulator: SimulatedCardProcessor, table: Table
) -> None:
    # WHEN the same authorise is delivered on 16 threads at once
    outcomes = race(16, 16, lambda _: simulator.authorize("o-1", eur(5000), VISA))

    # THEN every delivery got the one payment that was stored
    assert all(isinstance(o, Payment) for o in outcomes), outcomes
    assert len({o.reference for o in outcomes}) == 1
    assert simulator.payments() == [outcomes[0]]
    assert table.payment_item("o-1")["version"] == 1


def test_ten_concurrent_refunds_never_give_back_more_than_was_captured(
    simulator: SimulatedCardProcessor, table: Table
) -> None:
    # GIVEN 5000 captured
    captured_payment(simulator, 5000)

    # WHEN 10 refunds of 1000, each with its own id, race
    outcomes = race(10, 10, lambda i: simulator.refund("o-1", eur(1000), f"r-{i}"))

    # THEN exactly five went through and the rest were refused: nothing was left to refund
    succeeded = [o for o in outcomes if isinstance(o, Payment)]
    refused = [o for o in outcomes if not isinstance(o, Payment)]
    assert len(succeeded) == 5, outcomes
    assert {type(o) for o in refused} == {Conflict}, refused
    assert {o.code for o in refused} == {"payment_not_refundable"}
    stored = simulator.find("o-1")
    assert stored is not None
    assert stored.refunded == eur(5000)
    assert stored.status is PaymentStatus.REFUNDED
    assert len(table.items("o-1", "REFUND#")) == 5
    assert table.payment_item("o-1")["version"] == 2 + 5


def test_concurrent_replays_of_one_refund_refund_once(
    simulator: SimulatedCardProcessor, table: Table
) -> None:
    captured_payment(simulator, 5000)

    outcomes = race(12, 12, lambda _: simulator.refund("o-1", eur(1000), "r-1"))

    assert all(isinstance(o, Payment) for o in outcomes), outcomes
    stored = simulator.find("o-1")
    assert stored is not None
    assert stored.refunded == eur(1000)
    assert len(table.items("o-1", "REFUND#")) == 1
