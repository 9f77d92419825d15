"""The wallet's double-entry ledger on a real (moto) DynamoDB table: credits, wallet checkouts,
refunds and store credit; replays; races. After every test the books must balance."""

from __future__ import annotations

import sys
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from commerce.adapters.dynamodb import from_item
from commerce.adapters.dynamodb_wallet import DynamoDBWalletLedger
from commerce.adapters.wallet_payments import WalletPayments
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
from commerce.wallet.model import Movement, MovementKind, Wallet
from commerce.wallet.ports import LostRace, MovementExists, Posting, WalletChange, WalletUnavailable
from commerce.wallet.service import WalletService
from localcloud import hooks
from unit.fakes import FixedClock

REGION = "us-east-1"


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def wallet_of(customer_id: str) -> PaymentMethod:
    return PaymentMethod(PaymentMethodKind.WALLET, customer_id)


# ------------------------------------------------------------------------------------------------ fixtures


class Table:
    """The wallet's table, read raw, so tests can audit the books behind the adapter's back."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def items(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"TableName": self.name, "ConsistentRead": True}
        while True:
            response = self.client.scan(**params)
            found.extend(from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def with_sk(self, prefix: str) -> list[dict[str, Any]]:
        return [item for item in self.items() if item["sk"].startswith(prefix)]

    def movements(self, kind: MovementKind | None = None) -> list[dict[str, Any]]:
        return [m for m in self.with_sk("MOVEMENT") if kind is None or m["kind"] == kind.value]

    def entries(self, customer_id: str) -> list[dict[str, Any]]:
        return [e for e in self.with_sk("ENTRY#") if e["pk"] == f"WALLET#{customer_id}"]

    def balance_item(self, customer_id: str) -> dict[str, Any] | None:
        return next((b for b in self.with_sk("BALANCE") if b["pk"] == f"WALLET#{customer_id}"), None)

    def payment_item(self, order_id: str) -> dict[str, Any] | None:
        return next((p for p in self.with_sk("PAYMENT") if p["pk"] == f"PAYMENT#{order_id}"), None)


def assert_the_books_balance(table: Table) -> None:
    """The ledger's invariants, from the raw items."""
    items = table.items()
    movements = [i for i in items if i["sk"] == "MOVEMENT"]
    account_totals: dict[str, int] = defaultdict(int)
    for movement in movements:
        # Every movement is two entries that sum to zero, from -> to.
        entries = movement["entries"]
        assert [e["account"] for e in entries] == [movement["from_account"], movement["to_account"]]
        assert [int(e["amount"]) for e in entries] == [-int(movement["amount"]), int(movement["amount"])]
        for entry in entries:
            account_totals[entry["account"]] += int(entry["amount"])
    assert sum(account_totals.values()) == 0

    # Every customer's BALANCE is the sum of their ENTRY items, numbered 1..version without gaps,
    # and of their account's entries across all movements.
    by_wallet: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        if item["sk"].startswith("ENTRY#"):
            by_wallet[item["pk"]].append(item)
    balances = {i["pk"]: i for i in items if i["sk"] == "BALANCE"}
    assert set(by_wallet) <= set(balances)
    movement_by_id = {m["movement_id"]: m for m in movements}
    for pk, balance in balances.items():
        customer_id = pk.removeprefix("WALLET#")
        entries = sorted(by_wallet[pk], key=lambda e: int(e["sequence"]))
        assert [int(e["sequence"]) for e in entries] == list(range(1, int(balance["version"]) + 1))
        assert int(balance["balance"]) == sum(int(e["amount"]) for e in entries) >= 0
        assert int(balance["balance"]) == account_totals[f"wallet:{customer_id}"]
        assert {e["currency"] for e in entries} <= {balance["currency"]}
        running = 0
        for entry in entries:
            running += int(entry["amount"])
            assert int(entry["balance_after"]) == running
            movement = movement_by_id[entry["movement_id"]]
            [side] = [e for e in movement["entries"] if e["account"] == f"wallet:{customer_id}"]
            assert int(side["amount"]) == int(entry["amount"])
    wallets_moved = {a.removeprefix("wallet:") for a in account_totals if a.startswith("wallet:")}
    assert wallets_moved == {pk.removeprefix("WALLET#") for pk in balances}

    # Each hold account holds exactly what its payment has held; platform revenue per order is
    # what the payment has taken (and its REFUND records add up to what it refunded).
    payments = {i["order_id"]: i for i in items if i["sk"] == "PAYMENT"}
    holds = {a.removeprefix("hold:") for a in account_totals if a.startswith("hold:")}
    assert holds == set(payments)
    revenue: dict[str, int] = defaultdict(int)
    for movement in movements:
        if movement["kind"] == "capture":
            revenue[movement["order_id"]] += int(movement["amount"])
        elif movement["kind"] == "refund":
            revenue[movement["order_id"]] -= int(movement["amount"])
    for order_id, payment in payments.items():
        held = int(payment["amount"]) if payment["status"] == "authorized" else 0
        assert account_totals[f"hold:{order_id}"] == held, order_id
        assert revenue[order_id] == int(payment["captured"]) - int(payment["refunded"]), order_id
        refunds = [i for i in items if i["pk"] == f"PAYMENT#{order_id}" and i["sk"].startswith("REFUND#")]
        assert sum(int(r["amount"]) for r in refunds) == int(payment["refunded"])


def _no_lambda(function_name: str, event: Any) -> Any:
    raise AssertionError(f"no Lambda runs in these tests ({function_name})")


def _hooks_installed() -> bool:
    return getattr(vars(DynamoHandler)["call_action"], "__module__", None) == hooks.__name__


def create_wallet_table(client: Any) -> str:
    """The table as template.yaml declares it: string keys pk/sk, nothing else."""
    name = f"wallet-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


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
            table = Table(client, create_wallet_table(client))
            yield table
            # After every test, whatever it did: the books balance.
            assert_the_books_balance(table)
            client.delete_table(TableName=table.name)
        finally:
            if installed_here:
                hooks.uninstall()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def wallets(table: Table, clock: FixedClock) -> WalletService:
    return WalletService(DynamoDBWalletLedger(table.client, table.name), clock)


@pytest.fixture
def provider(table: Table, clock: FixedClock) -> WalletPayments:
    return WalletPayments(table.client, table.name, clock)


def fund(wallets: WalletService, customer_id: str, amount: int, credit_id: str | None = None) -> Wallet:
    receipt = wallets.credit(
        customer_id, eur(amount), credit_id or f"cr-{uuid.uuid4().hex}", "top-up", "admin-1"
    )
    return receipt.wallet


def balance(wallets: WalletService, customer_id: str) -> Money:
    return wallets.view(customer_id).wallet.balance


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


# ------------------------------------------------------------------------------------------------ credits


def test_an_admin_credit_opens_the_wallet_from_platform_credits(wallets: WalletService, table: Table) -> None:
    # WHEN an admin credits a customer who never had a wallet
    receipt = wallets.credit("c-1", eur(5000), "cr-1", "welcome bonus", "admin-1")

    # THEN the wallet holds it, in the credit's currency, and the ledger shows where it came from
    assert receipt.created
    assert receipt.wallet == Wallet("c-1", eur(5000), 1)
    assert receipt.movement.movement_id == "credit:cr-1"
    assert (receipt.movement.reason, receipt.movement.actor) == ("welcome bonus", "admin-1")
    [movement] = table.movements()
    assert movement["entries"] == [
        {"account": "platform:credits", "amount": -5000},
        {"account": "wallet:c-1", "amount": 5000},
    ]
    assert table.balance_item("c-1") == {
        "pk": "WALLET#c-1",
        "sk": "BALANCE",
        "customer_id": "c-1",
        "balance": 5000,
        "currency": "EUR",
        "version": 1,
        "updated_at": "2025-01-15T12:00:00.000Z",
    }


def test_a_credit_delivered_again_changes_nothing(
    wallets: WalletService, table: Table, clock: FixedClock
) -> None:
    first = wallets.credit("c-1", eur(5000), "cr-1", "welcome bonus", "admin-1")
    clock.advance(minutes=5)

    again = wallets.credit("c-1", eur(5000), "cr-1", "welcome bonus", "admin-1")

    assert not again.created
    assert again.movement == first.movement
    assert again.wallet == first.wallet
    assert len(table.movements()) == 1
    assert len(table.entries("c-1")) == 1


@pytest.mark.parametrize(
    ("customer_id", "amount"), [("c-1", 4000), ("c-2", 5000)], ids=["amount", "customer"]
)
def test_a_credit_id_used_again_for_another_credit_is_a_conflict(
    wallets: WalletService, customer_id: str, amount: int
) -> None:
    wallets.credit("c-1", eur(5000), "cr-1", "welcome bonus", "admin-1")

    with pytest.raises(Conflict) as raised:
        wallets.credit(customer_id, eur(amount), "cr-1", "welcome bonus", "admin-1")

    assert raised.value.code == "credit_mismatch"
    assert balance(wallets, "c-1") == eur(5000)


@pytest.mark.parametrize(
    ("amount", "reason", "code"),
    [
        (eur(0), "bonus", "invalid_amount"),
        (eur(-100), "bonus", "invalid_amount"),
        (eur(100), " ", "invalid_reason"),
    ],
)
def test_an_invalid_credit_writes_nothing(
    wallets: WalletService, table: Table, amount: Money, reason: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        wallets.credit("c-1", amount, "cr-1", reason, "admin-1")

    assert raised.value.code == code
    assert table.items() == []


def test_a_wallet_keeps_the_currency_of_its_first_credit(wallets: WalletService) -> None:
    fund(wallets, "c-1", 5000)

    with pytest.raises(InvalidInput) as raised:
        wallets.credit("c-1", Money(100, "USD"), "cr-usd", "bonus", "admin-1")

    assert raised.value.code == "currency_mismatch"
    assert balance(wallets, "c-1") == eur(5000)


# ------------------------------------------------------------------------------------------------ statement


def test_a_customer_sees_their_balance_and_only_their_own_history_newest_first(
    wallets: WalletService, provider: WalletPayments, clock: FixedClock
) -> None:
    # GIVEN a credit, a checkout that was captured, one that was voided, and another customer's credit
    fund(wallets, "c-1", 5000, "cr-1")
    fund(wallets, "c-2", 700, "cr-other")
    provider.authorize("o-1", eur(1200), wallet_of("c-1"))
    provider.capture("o-1")
    provider.authorize("o-2", eur(300), wallet_of("c-1"))
    provider.void("o-2")
    provider.refund("o-1", eur(200), "r-1")

    view = wallets.view("c-1")

    # THEN the statement lists c-1's side of each movement that touched their wallet, newest first
    assert view.wallet == Wallet("c-1", eur(5000 - 1200 + 200), 5)
    assert [(e.kind, e.amount.amount, e.balance_after.amount, e.order_id) for e in view.entries] == [
        (MovementKind.REFUND, 200, 4000, "o-1"),
        (MovementKind.RELEASE, 300, 3800, "o-2"),
        (MovementKind.HOLD, -300, 3500, "o-2"),
        (MovementKind.HOLD, -1200, 3800, "o-1"),
        (MovementKind.CREDIT, 5000, 5000, None),
    ]
    assert view.next_cursor is None
    assert [e.customer_id for e in wallets.view("c-2").entries] == ["c-2"]


def test_the_statement_is_paginated(wallets: WalletService) -> None:
    for i in range(5):
        fund(wallets, "c-1", 100 * (i + 1), f"cr-{i}")

    pages = []
    cursor = None
    while True:
        view = wallets.view("c-1", cursor=cursor, limit=2)
        pages.append([e.amount.amount for e in view.entries])
        cursor = view.next_cursor
        if cursor is None:
            break

    assert pages == [[500, 400], [300, 200], [100]]


def test_a_page_that_ends_the_statement_says_so(wallets: WalletService) -> None:
    for i in range(2):
        fund(wallets, "c-1", 100, f"cr-{i}")

    view = wallets.view("c-1", limit=2)

    assert len(view.entries) == 2
    assert view.next_cursor is None


def test_a_wallet_never_credited_is_empty(wallets: WalletService) -> None:
    view = wallets.view("c-new")

    assert view.wallet == Wallet.empty("c-new", "EUR")
    assert view.entries == []
    assert view.next_cursor is None


@pytest.mark.parametrize(
    ("cursor", "limit", "code"),
    [
        ("not-a-cursor", 20, "invalid_cursor"),
        ("eyJhZnRlciI6IngifQ", 20, "invalid_cursor"),
        (None, 0, "invalid_limit"),
    ],
)
def test_a_bad_page_request_is_invalid(
    wallets: WalletService, cursor: str | None, limit: int, code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        wallets.view("c-1", cursor=cursor, limit=limit)

    assert raised.value.code == code


# ------------------------------------------------------------------------------------------------ authorise


def test_a_wallet_checkout_holds_the_amount(
    wallets: WalletService, provider: WalletPayments, table: Table
) -> None:
    fund(wallets, "c-1", 5000)

    payment = provider.authorize("o-1", eur(1200), wallet_of("c-1"))

    assert payment.status is PaymentStatus.AUTHORIZED
    assert payment.held == eur(1200)
    assert payment.method == wallet_of("c-1")
    assert payment.reference == "hold:o-1"
    assert provider.find("o-1") == payment
    assert provider.complete("o-1") == payment
    assert balance(wallets, "c-1") == eur(3800)
    [hold] = table.movements(MovementKind.HOLD)
    assert hold["entries"] == [
        {"account": "wallet:c-1", "amount": -1200},
        {"account": "hold:o-1", "amount": 1200},
    ]


def test_authorise_delivered_again_holds_once(
    wallets: WalletService, provider: WalletPayments, table: Table, clock: FixedClock
) -> None:
    fund(wallets, "c-1", 5000)
    first = provider.authorize("o-1", eur(1200), wallet_of("c-1"))
    clock.advance(minutes=3)

    again = provider.authorize("o-1", eur(1200), wallet_of("c-1"))

    assert again == first
    assert balance(wallets, "c-1") == eur(3800)
    assert len(table.movements(MovementKind.HOLD)) == 1


@pytest.mark.parametrize(
    ("amount", "method"),
    [(eur(1201), wallet_of("c-1")), (Money(1200, "USD"), wallet_of("c-1")), (eur(1200), wallet_of("c-2"))],
    ids=["amount", "currency", "customer"],
)
def test_authorise_again_for_another_amount_or_customer_is_a_mismatch(
    wallets: WalletService, provider: WalletPayments, amount: Money, method: PaymentMethod
) -> None:
    fund(wallets, "c-1", 5000)
    fund(wallets, "c-2", 5000)
    first = provider.authorize("o-1", eur(1200), wallet_of("c-1"))

    with pytest.raises(Conflict) as raised:
        provider.authorize("o-1", amount, method)

    assert raised.value.code == "payment_mismatch"
    assert provider.find("o-1") == first
    assert balance(wallets, "c-2") == eur(5000)


def test_too_little_in_the_wallet_is_declined_and_holds_nothing(
    wallets: WalletService, provider: WalletPayments, table: Table
) -> None:
    fund(wallets, "c-1", 1199)
    before = table.items()

    with pytest.raises(PaymentDeclined) as raised:
        provider.authorize("o-1", eur(1200), wallet_of("c-1"))

    assert raised.value.decline_code == "insufficient_funds"
    assert raised.value.detail == "Your wallet balance is too low."
    assert provider.find("o-1") is None
    assert table.items() == before


def test_after_a_top_up_the_declined_order_can_be_paid(
    wallets: WalletService, provider: WalletPayments
) -> None:
    with pytest.raises(PaymentDeclined):
        provider.authorize("o-1", eur(1200), wallet_of("c-1"))  # never funded
    fund(wallets, "c-1", 1200)

    payment = provider.authorize("o-1", eur(1200), wallet_of("c-1"))

    assert payment.status is PaymentStatus.AUTHORIZED
    assert balance(wallets, "c-1") == eur(0)


@pytest.mark.parametrize(
    ("amount", "method", "decline_code"),
    [
        (Money(1200, "USD"), wallet_of("c-1"), "currency_mismatch"),
        (eur(1200), PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa"), "payment_method_not_supported"),
        (eur(1200), PaymentMethod(PaymentMethodKind.WALLET), "payment_method_unknown"),
    ],
    ids=["currency", "card", "no-customer"],
)
def test_a_payment_the_wallet_cannot_take_is_declined(
    wallets: WalletService,
    provider: WalletPayments,
    table: Table,
    amount: Money,
    method: PaymentMethod,
    decline_code: str,
) -> None:
    fund(wallets, "c-1", 5000)
    before = table.items()

    with pytest.raises(PaymentDeclined) as raised:
        provider.authorize("o-1", amount, method)

    assert raised.value.decline_code == decline_code
    assert table.items() == before


def test_a_payment_for_nothing_is_invalid(wallets: WalletService, provider: WalletPayments) -> None:
    fund(wallets, "c-1", 5000)

    with pytest.raises(InvalidInput) as raised:
        provider.authorize("o-1", eur(0), wallet_of("c-1"))

    assert raised.value.code == "invalid_amount"


# ------------------------------------------------------------------------------------------------ capture and void


def test_capture_turns_the_hold_into_revenue_and_leaves_the_wallet_alone(
    wallets: WalletService, provider: WalletPayments, table: Table, clock: FixedClock
) -> None:
    fund(wallets, "c-1", 5000)
    provider.authorize("o-1", eur(1200), wallet_of("c-1"))
    clock.advance(minutes=1)

    captured = provider.capture("o-1")
    again = provider.capture("o-1")

    assert captured.status is PaymentStatus.CAPTURED
    assert captured.taken == eur(1200)
    assert again == captured == provider.find("o-1")
    assert balance(wallets, "c-1") == eur(3800)
    [capture] = table.movements(MovementKind.CAPTURE)
    assert capture["entries"] == [
        {"account": "hold:o-1", "amount": -1200},
        {"account": "platform:revenue", "amount": 1200},
    ]
    assert len(table.entries("c-1")) == 2  # the credit and the hold: capture is not the customer's


def test_void_releases_the_hold_back_to_the_wallet(
    wallets: WalletService, provider: WalletPayments, table: Table
) -> None:
    fund(wallets, "c-1", 5000)
    provider.authorize("o-1", eur(1200), wallet_of("c-1"))

    voided = provider.void("o-1")
    again = provider.void("o-1")

    assert voided.status is PaymentStatus.VOIDED
    assert again == voided
    assert balance(wallets, "c-1") == eur(5000)
    assert len(table.movements(MovementKind.RELEASE)) == 1


def test_a_captured_payment_cannot_be_voided_nor_a_voided_one_captured(
    wallets: WalletService, provider: WalletPayments
) -> None:
    fund(wallets, "c-1", 5000)
    provider.authorize("o-1", eur(1000), wallet_of("c-1"))
    provider.authorize("o-2", eur(1000), wallet_of("c-1"))
    provider.capture("o-1")
    provider.void("o-2")

    with pytest.raises(Conflict) as not_voidable:
        provider.void("o-1")
    with pytest.raises(Conflict) as not_capturable:
        provider.capture("o-2")

    assert not_voidable.value.code == "payment_not_voidable"
    assert not_capturable.value.code == "payment_not_capturable"
    assert balance(wallets, "c-1") == eur(4000)


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.capture("o-404"),
        lambda p: p.void("o-404"),
        lambda p: p.refund("o-404", eur(100), "r-1"),
        lambda p: p.complete("o-404"),
    ],
    ids=["capture", "void", "refund", "complete"],
)
def test_an_order_without_a_payment_is_not_found(
    provider: WalletPayments, call: Callable[[WalletPayments], Payment]
) -> None:
    with pytest.raises(NotFound) as raised:
        call(provider)

    assert raised.value.code == "payment_not_found"


# ------------------------------------------------------------------------------------------------ refunds


def captured(wallets: WalletService, provider: WalletPayments, amount: int = 5000) -> Payment:
    fund(wallets, "c-1", amount)
    provider.authorize("o-1", eur(amount), wallet_of("c-1"))
    return provider.capture("o-1")


def test_refunds_go_back_to_the_wallet_up_to_what_was_captured(
    wallets: WalletService, provider: WalletPayments, table: Table
) -> None:
    captured(wallets, provider, 5000)

    partial = provider.refund("o-1", eur(1500), "r-1")
    full = provider.refund("o-1", eur(3500), "r-2")

    assert partial.status is PaymentStatus.PARTIALLY_REFUNDED
    assert full.status is PaymentStatus.REFUNDED
    assert full.taken == eur(0)
    assert balance(wallets, "c-1") == eur(5000)
    assert [m["entries"][1]["account"] for m in table.movements(MovementKind.REFUND)] == ["wallet:c-1"] * 2
    assert sorted(r["refund_id"] for r in table.with_sk("REFUND#")) == ["r-1", "r-2"]


def test_a_refund_delivered_again_changes_nothing(
    wallets: WalletService, provider: WalletPayments, table: Table
) -> None:
    captured(wallets, provider, 5000)
    first = provider.refund("o-1", eur(5000), "r-1")

    again = provider.refund("o-1", eur(5000), "r-1")

    assert again == first
    assert balance(wallets, "c-1") == eur(5000)
    assert len(table.movements(MovementKind.REFUND)) == 1


def test_a_refund_id_used_again_for_another_amount_is_a_conflict(
    wallets: WalletService, provider: WalletPayments
) -> None:
    captured(wallets, provider, 5000)
    provider.refund("o-1", eur(1000), "r-1")

    with pytest.raises(Conflict) as raised:
        provider.refund("o-1", eur(2000), "r-1")

    assert raised.value.code == "refund_mismatch"


def test_a_refund_beyond_what_was_captured_is_refused(
    wallets: WalletService, provider: WalletPayments, table: Table
) -> None:
    captured(wallets, provider, 5000)
    provider.refund("o-1", eur(4000), "r-1")
    before = table.items()

    with pytest.raises(InvalidInput) as raised:
        provider.refund("o-1", eur(1001), "r-2")

    assert raised.value.code == "refund_exceeds_captured"
    assert table.items() == before


def test_an_uncaptured_payment_cannot_be_refunded(wallets: WalletService, provider: WalletPayments) -> None:
    fund(wallets, "c-1", 5000)
    provider.authorize("o-1", eur(1000), wallet_of("c-1"))

    with pytest.raises(Conflict) as raised:
        provider.refund("o-1", eur(100), "r-1")

    assert raised.value.code == "payment_not_refundable"


def test_a_refund_without_an_id_is_invalid(wallets: WalletService, provider: WalletPayments) -> None:
    captured(wallets, provider, 5000)

    with pytest.raises(InvalidInput) as raised:
        provider.refund("o-1", eur(100), "")

    assert raised.value.code == "invalid_refund_id"


# ------------------------------------------------------------------------------------------------ store credit


def test_a_card_refund_can_be_paid_as_store_credit(wallets: WalletService, table: Table) -> None:
    receipt = wallets.store_credit("c-1", eur(2500), "o-card-cancelled", "o-card")
    again = wallets.store_credit("c-1", eur(2500), "o-card-cancelled", "o-card")

    assert receipt.created
    assert not again.created
    assert again.movement == receipt.movement
    assert balance(wallets, "c-1") == eur(2500)
    [movement] = table.movements(MovementKind.STORE_CREDIT)
    assert movement["entries"] == [
        {"account": "platform:refunds", "amount": -2500},
        {"account": "wallet:c-1", "amount": 2500},
    ]
    assert movement["order_id"] == "o-card"


def test_a_refund_id_paid_as_store_credit_cannot_be_used_for_another_refund(wallets: WalletService) -> None:
    wallets.store_credit("c-1", eur(2500), "r-1", "o-card")

    with pytest.raises(Conflict) as raised:
        wallets.store_credit("c-1", eur(2600), "r-1", "o-card")

    assert raised.value.code == "refund_mismatch"
    assert balance(wallets, "c-1") == eur(2500)


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
        lambda p: p.authorize("o-1", eur(5000), wallet_of("c-1")),
        lambda p: p.complete("o-1"),
        lambda p: p.capture("o-1"),
        lambda p: p.void("o-1"),
        lambda p: p.refund("o-1", eur(100), "r-1"),
        lambda p: p.find("o-1"),
    ],
    ids=["authorize", "complete", "capture", "void", "refund", "find"],
)
def test_a_throttled_wallet_is_an_unavailable_provider_so_the_caller_retries(
    clock: FixedClock, call: Callable[[WalletPayments], Any]
) -> None:
    throttled = WalletPayments(Throttled(), "wallet", clock)

    with pytest.raises(PaymentUnavailable) as raised:
        call(throttled)

    assert raised.value.code == "payment_provider_unavailable"


@pytest.mark.parametrize(
    "call",
    [
        lambda w: w.view("c-1"),
        lambda w: w.credit("c-1", eur(100), "cr-1", "bonus", "admin-1"),
        lambda w: w.store_credit("c-1", eur(100), "r-1", "o-1"),
    ],
    ids=["view", "credit", "store_credit"],
)
def test_a_throttled_wallet_is_unavailable(clock: FixedClock, call: Callable[[WalletService], Any]) -> None:
    throttled = WalletService(DynamoDBWalletLedger(Throttled(), "wallet"), clock)

    with pytest.raises(WalletUnavailable) as raised:
        call(throttled)

    assert raised.value.code == "wallet_unavailable"


# ------------------------------------------------------------------------------------------------ the ledger's guards


def test_a_movement_decided_on_a_stale_wallet_is_refused_and_writes_nothing(
    wallets: WalletService, table: Table, clock: FixedClock
) -> None:
    # GIVEN a hold decided on the wallet as it was read
    ledger = DynamoDBWalletLedger(table.client, table.name)
    fund(wallets, "c-1", 5000)
    before = ledger.wallet("c-1")
    assert before is not None
    movement = Movement.hold("c-1", "o-1", eur(1000), clock())
    after, entry = before.post(movement)
    # WHEN the wallet moves before it is written
    fund(wallets, "c-1", 100)
    snapshot = table.items()
    with pytest.raises(LostRace):
        ledger.post(Posting(movement, WalletChange(before, after, entry)))
    # THEN nothing of it was written
    assert table.items() == snapshot


def test_the_database_refuses_a_debit_the_balance_does_not_cover(
    wallets: WalletService, table: Table, clock: FixedClock
) -> None:
    # GIVEN a wallet read with 50.00 whose stored balance is (somehow) 5.00 at the same version
    ledger = DynamoDBWalletLedger(table.client, table.name)
    fund(wallets, "c-1", 5000)
    before = ledger.wallet("c-1")
    assert before is not None
    key = {"pk": {"S": "WALLET#c-1"}, "sk": {"S": "BALANCE"}}
    tamper = {"TableName": table.name, "Key": key, "UpdateExpression": "SET balance = :b"}
    table.client.update_item(**tamper, ExpressionAttributeValues={":b": {"N": "500"}})
    movement = Movement.hold("c-1", "o-1", eur(1000), clock())
    after, entry = before.post(movement)
    # WHEN the debit is written THEN the balance condition refuses it
    with pytest.raises(LostRace):
        ledger.post(Posting(movement, WalletChange(before, after, entry)))
    assert table.movements() == table.movements(MovementKind.CREDIT)
    table.client.update_item(**tamper, ExpressionAttributeValues={":b": {"N": "5000"}})


def test_a_movement_already_on_the_ledger_is_not_written_again(
    wallets: WalletService, table: Table, clock: FixedClock
) -> None:
    ledger = DynamoDBWalletLedger(table.client, table.name)
    receipt = wallets.credit("c-1", eur(5000), "cr-1", "bonus", "admin-1")
    wallet = receipt.wallet
    after, entry = wallet.post(receipt.movement)
    snapshot = table.items()

    with pytest.raises(MovementExists):
        ledger.post(Posting(receipt.movement, WalletChange(wallet, after, entry)))

    assert table.items() == snapshot


# ------------------------------------------------------------------------------------------------ races


def test_twenty_concurrent_wallet_checkouts_against_a_balance_for_five_confirm_exactly_five(
    wallets: WalletService, provider: WalletPayments, table: Table
) -> None:
    # GIVEN 50.00 in the wallet
    fund(wallets, "c-1", 5000)

    # WHEN 20 orders of 10.00 each are authorised at once
    outcomes = race(20, 20, lambda i: provider.authorize(f"o-{i}", eur(1000), wallet_of("c-1")))

    # THEN exactly five hold money, the other fifteen are declined for insufficient funds
    authorised = [o for o in outcomes if isinstance(o, Payment)]
    declined = [o for o in outcomes if isinstance(o, PaymentDeclined)]
    assert len(authorised) == 5, outcomes
    assert len(declined) == 15, outcomes
    assert {d.decline_code for d in declined} == {"insufficient_funds"}
    assert all(p.status is PaymentStatus.AUTHORIZED for p in authorised)
    # AND the wallet is empty, with one hold movement and payment per confirmed order
    assert balance(wallets, "c-1") == eur(0)
    assert len(table.movements(MovementKind.HOLD)) == 5
    assert len(table.with_sk("PAYMENT")) == 5


def test_concurrent_refunds_of_one_payment_never_exceed_what_was_captured(
    wallets: WalletService, provider: WalletPayments, table: Table
) -> None:
    captured(wallets, provider, 5000)

    outcomes = race(10, 10, lambda i: provider.refund("o-1", eur(1000), f"r-{i}"))

    succeeded = [o for o in outcomes if isinstance(o, Payment)]
    refused = [o for o in outcomes if not isinstance(o, Payment)]
    assert len(succeeded) == 5, outcomes
    assert {(type(o), o.code) for o in refused} == {(Conflict, "payment_not_refundable")}, refused
    stored = provider.find("o-1")
    assert stored is not None
    assert (stored.refunded, stored.status) == (eur(5000), PaymentStatus.REFUNDED)
    assert balance(wallets, "c-1") == eur(5000)
    assert len(table.movements(MovementKind.REFUND)) == 5


def test_concurrent_deliveries_of_one_authorise_hold_once(
    wallets: WalletService, provider: WalletPayments, table: Table
) -> None:
    fund(wallets, "c-1", 5000)

    outcomes = race(12, 12, lambda _: provider.authorize("o-1", eur(1000), wallet_of("c-1")))

    assert all(isinstance(o, Payment) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert balance(wallets, "c-1") == eur(4000)
    assert len(table.movements(MovementKind.HOLD)) == 1


def test_concurrent_credits_are_all_kept(wallets: WalletService) -> None:
    outcomes = race(10, 10, lambda i: wallets.credit("c-1", eur(100), f"cr-{i}", "bonus", "admin-1"))

    assert all(not isinstance(o, CommerceError) for o in outcomes), outcomes
    assert wallets.view("c-1").wallet == Wallet("c-1", eur(1000), 10)


def test_checkouts_racing_credits_and_captures_keep_the_books_balanced(
    wallets: WalletService, provider: WalletPayments
) -> None:
    fund(wallets, "c-1", 3000)

    def step(i: int) -> Any:
        if i % 3 == 0:
            return wallets.credit("c-1", eur(500), f"cr-{i}", "bonus", "admin-1")
        payment = provider.authorize(f"o-{i}", eur(700), wallet_of("c-1"))
        return provider.capture(payment.order_id) if i % 2 else provider.void(payment.order_id)

    race(18, 9, step)

    # The teardown audits the books; the balance never went below zero.
    assert balance(wallets, "c-1").amount >= 0


# ------------------------------------------------------------------------------------------------ properties

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("credit"), st.integers(1, 3000), st.integers(0, 4)),
        st.tuples(st.just("store_credit"), st.integers(1, 3000), st.integers(0, 4)),
        st.tuples(st.just("authorize"), st.integers(1, 3000), st.integers(0, 5)),
        st.tuples(st.just("capture"), st.integers(0, 0), st.integers(0, 5)),
        st.tuples(st.just("void"), st.integers(0, 0), st.integers(0, 5)),
        st.tuples(st.just("refund"), st.integers(1, 3000), st.integers(0, 5)),
    ),
    max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_any_sequence_of_operations_keeps_the_books_balanced(
    table: Table, clock: FixedClock, operations: list[tuple[str, int, int]]
) -> None:
    # Each example writes its own customer and orders, so examples share the table without mixing.
    run = uuid.uuid4().hex[:8]
    provider = WalletPayments(table.client, table.name, clock)
    wallets = provider.wallets
    customer = f"c-{run}"
    expected = 0
    for step, (operation, amount, key) in enumerate(operations):
        order_id = f"o-{run}-{key}"
        clock.advance(seconds=1)
        try:
            if operation == "credit":
                receipt = wallets.credit(customer, eur(amount), f"cr-{run}-{key}", "bonus", "admin-1")
                expected += amount if receipt.created else 0
            elif operation == "store_credit":
                receipt = wallets.store_credit(customer, eur(amount), f"sc-{run}-{key}", order_id)
                expected += amount if receipt.created else 0
            elif operation == "authorize":
                before = provider.find(order_id)
                payment = provider.authorize(order_id, eur(amount), wallet_of(customer))
                expected -= amount if before is None else 0
                assert payment.amount == eur(amount)
            elif operation == "capture":
                provider.capture(order_id)
            elif operation == "void":
                before = provider.find(order_id)
                voided = provider.void(order_id)
                expected += (
                    voided.amount.amount if before and before.status is PaymentStatus.AUTHORIZED else 0
                )
            else:
                before = provider.find(order_id)
                after = provider.refund(order_id, eur(amount), f"r-{step}")
                expected += (after.refunded - before.refunded).amount if before else 0
        except (Conflict, InvalidInput, NotFound, PaymentDeclined):
            pass  # refusals change nothing; the audit below proves it
        assert balance(wallets, customer) == eur(expected)
    assert_the_books_balance(table)
