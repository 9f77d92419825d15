"""The wallet's ledger rules: every movement has two entries that sum to zero, one route per kind,
and a balance that never goes below zero nor changes currency."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce.errors import InvalidInput
from commerce.money import MAX_AMOUNT, Money
from commerce.wallet.model import (
    PLATFORM_CREDITS,
    PLATFORM_REFUNDS,
    PLATFORM_REVENUE,
    InsufficientFunds,
    Movement,
    MovementKind,
    Wallet,
    customer_of,
    hold_account,
    wallet_account,
)

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


EVERY_KIND = {
    "credit": Movement.credit("c-1", eur(500), "cr-1", "goodwill", "admin-1", NOW),
    "hold": Movement.hold("c-1", "o-1", eur(500), NOW),
    "capture": Movement.capture("o-1", eur(500), NOW),
    "release": Movement.release("c-1", "o-1", eur(500), NOW),
    "refund": Movement.refund("c-1", "o-1", "r-1", eur(500), NOW),
    "store_credit": Movement.store_credit("c-1", "o-2", "r-2", eur(500), NOW),
}


@pytest.mark.parametrize("movement", EVERY_KIND.values(), ids=EVERY_KIND.keys())
def test_every_movement_has_two_entries_that_sum_to_zero(movement: Movement) -> None:
    debit, credit = movement.entries()

    assert (debit.account, credit.account) == (movement.from_account, movement.to_account)
    assert debit.amount == eur(-500)
    assert credit.amount == eur(500)
    assert debit.amount + credit.amount == eur(0)
    assert {debit.movement_id, credit.movement_id} == {movement.movement_id}
    assert {debit.kind, credit.kind} == {movement.kind}


@pytest.mark.parametrize(
    ("movement", "movement_id", "route"),
    [
        (EVERY_KIND["credit"], "credit:cr-1", (PLATFORM_CREDITS, "wallet:c-1")),
        (EVERY_KIND["hold"], "hold:o-1", ("wallet:c-1", "hold:o-1")),
        (EVERY_KIND["capture"], "capture:o-1", ("hold:o-1", PLATFORM_REVENUE)),
        (EVERY_KIND["release"], "release:o-1", ("hold:o-1", "wallet:c-1")),
        (EVERY_KIND["refund"], "refund:o-1:r-1", (PLATFORM_REVENUE, "wallet:c-1")),
        (EVERY_KIND["store_credit"], "store_credit:r-2", (PLATFORM_REFUNDS, "wallet:c-1")),
    ],
    ids=EVERY_KIND.keys(),
)
def test_each_kind_has_one_route_and_an_id_made_from_what_makes_it_unique(
    movement: Movement, movement_id: str, route: tuple[str, str]
) -> None:
    assert movement.movement_id == movement_id
    assert (movement.from_account, movement.to_account) == route


def test_a_movement_off_its_route_is_a_bug() -> None:
    with pytest.raises(ValueError, match="cannot move money"):
        Movement("m", MovementKind.CREDIT, eur(1), PLATFORM_REVENUE, wallet_account("c-1"), NOW)
    with pytest.raises(ValueError, match="order"):
        Movement(
            "m", MovementKind.CAPTURE, eur(1), hold_account("o-1"), PLATFORM_REVENUE, NOW, order_id="o-2"
        )


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT + 1])
def test_a_movement_is_for_at_least_one_minor_unit(amount: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        Movement.credit("c-1", eur(amount), "cr-1", "goodwill", "admin-1", NOW)

    assert raised.value.code == "invalid_amount"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_credit_needs_a_reason(reason: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Movement.credit("c-1", eur(100), "cr-1", reason, "admin-1", NOW)

    assert raised.value.code == "invalid_reason"


def test_a_credit_needs_an_id_to_be_safe_to_retry() -> None:
    with pytest.raises(InvalidInput) as raised:
        Movement.credit("c-1", eur(100), "", "goodwill", "admin-1", NOW)

    assert raised.value.code == "invalid_credit_id"


def test_delta_is_what_a_movement_does_to_one_account() -> None:
    hold = EVERY_KIND["hold"]

    assert hold.delta("wallet:c-1") == eur(-500)
    assert hold.delta("hold:o-1") == eur(500)
    assert hold.delta("wallet:c-2") == eur(0)


def test_accounts_name_their_customer() -> None:
    assert customer_of(wallet_account("c-1")) == "c-1"
    assert customer_of(hold_account("o-1")) is None
    assert customer_of(PLATFORM_CREDITS) is None


# ------------------------------------------------------------------------------------------------ wallets


def test_the_first_credit_opens_a_wallet_in_its_currency() -> None:
    wallet = Wallet.empty("c-1", "USD")

    after, entry = wallet.post(Movement.credit("c-1", eur(500), "cr-1", "goodwill", "admin-1", NOW))

    assert after == Wallet("c-1", eur(500), 1)
    assert (entry.sequence, entry.amount, entry.balance_after) == (1, eur(500), eur(500))
    assert entry.kind is MovementKind.CREDIT
    assert entry.reason == "goodwill"


def test_an_opened_wallet_keeps_its_currency() -> None:
    wallet = Wallet("c-1", eur(500), 1)

    with pytest.raises(InvalidInput) as raised:
        wallet.post(Movement.credit("c-1", Money(100, "USD"), "cr-2", "goodwill", "admin-1", NOW))

    assert raised.value.code == "currency_mismatch"


def test_a_debit_never_takes_the_balance_below_zero() -> None:
    wallet = Wallet("c-1", eur(999), 3)

    with pytest.raises(InsufficientFunds) as raised:
        wallet.post(Movement.hold("c-1", "o-1", eur(1000), NOW))

    assert raised.value.code == "insufficient_funds"
    assert raised.value.extra["balance"] == {"amount": 999, "currency": "EUR"}


def test_a_debit_of_the_whole_balance_leaves_zero_and_numbers_the_entry() -> None:
    wallet = Wallet("c-1", eur(1000), 3)

    after, entry = wallet.post(Movement.hold("c-1", "o-1", eur(1000), NOW))

    assert after == Wallet("c-1", eur(0), 4)
    assert (entry.sequence, entry.amount, entry.balance_after, entry.order_id) == (
        4,
        eur(-1000),
        eur(0),
        "o-1",
    )


def test_a_movement_of_another_wallet_cannot_be_posted() -> None:
    with pytest.raises(ValueError, match="does not touch"):
        Wallet("c-2", eur(1000), 1).post(EVERY_KIND["hold"])


def test_a_replay_is_the_same_request_whenever_it_was_made() -> None:
    first = Movement.credit("c-1", eur(500), "cr-1", "goodwill", "admin-1", NOW)
    later = Movement.credit(
        "c-1", eur(500), "cr-1", "typo fixed", "admin-2", datetime(2026, 1, 1, tzinfo=UTC)
    )
    other = Movement.credit("c-2", eur(500), "cr-1", "goodwill", "admin-1", NOW)

    assert first.same_request(later)
    assert not first.same_request(other)
