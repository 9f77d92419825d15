"""The wallet's double-entry ledger, free of I/O.

Money moves between accounts, never appears or vanishes: every ``Movement`` takes ``amount`` from
one account and gives it to another, so its two ``LedgerEntry``s sum to zero and the whole ledger
always sums to zero. The accounts:

| account               | what                                                                     |
|-----------------------|--------------------------------------------------------------------------|
| ``wallet:<customer>`` | the customer's balance; never below zero                                  |
| ``hold:<order>``      | money held for a wallet checkout until it is captured or released         |
| ``platform:credits``  | funds admin top-ups; goes negative by what admins have given              |
| ``platform:revenue``  | captured wallet payments (and refunds of them, back out)                  |
| ``platform:refunds``  | store credit given for refunds of card / PayPal orders; goes negative     |

Each kind of movement has one route (``credit``: platform:credits -> wallet, ``hold``: wallet ->
hold, ``capture``: hold -> platform:revenue, ``release``: hold -> wallet, ``refund``: platform:revenue
-> wallet, ``store_credit``: platform:refunds -> wallet), and a deterministic id made from what makes
it unique (the credit id, the order, the refund id), so a retried request finds the movement it
already made instead of moving the money twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from commerce.errors import Conflict, FieldError, InvalidInput
from commerce.money import MAX_AMOUNT, Money

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_REASON_LENGTH",
    "PLATFORM_CREDITS",
    "PLATFORM_REFUNDS",
    "PLATFORM_REVENUE",
    "InsufficientFunds",
    "LedgerEntry",
    "Movement",
    "MovementKind",
    "Wallet",
    "WalletEntry",
    "customer_of",
    "hold_account",
    "wallet_account",
]

PLATFORM_CREDITS = "platform:credits"
PLATFORM_REVENUE = "platform:revenue"
PLATFORM_REFUNDS = "platform:refunds"

#: Ids become parts of DynamoDB keys; keep them well inside the key size limits.
MAX_ID_LENGTH = 200
MAX_REASON_LENGTH = 500

_WALLET = "wallet:"
_HOLD = "hold:"


def wallet_account(customer_id: str) -> str:
    return f"{_WALLET}{customer_id}"


def hold_account(order_id: str) -> str:
    return f"{_HOLD}{order_id}"


def customer_of(account: str) -> str | None:
    """The customer whose wallet ``account`` is, or ``None`` for a hold or platform account."""
    return account[len(_WALLET) :] if account.startswith(_WALLET) else None


def _account_type(account: str) -> str:
    if account.startswith(_WALLET):
        return "wallet"
    if account.startswith(_HOLD):
        return "hold"
    return account


class MovementKind(StrEnum):
    CREDIT = "credit"
    HOLD = "hold"
    CAPTURE = "capture"
    RELEASE = "release"
    REFUND = "refund"
    STORE_CREDIT = "store_credit"


#: The one route each kind of movement takes: (from, to) account types.
_ROUTES: dict[MovementKind, tuple[str, str]] = {
    MovementKind.CREDIT: (PLATFORM_CREDITS, "wallet"),
    MovementKind.HOLD: ("wallet", "hold"),
    MovementKind.CAPTURE: ("hold", PLATFORM_REVENUE),
    MovementKind.RELEASE: ("hold", "wallet"),
    MovementKind.REFUND: (PLATFORM_REVENUE, "wallet"),
    MovementKind.STORE_CREDIT: (PLATFORM_REFUNDS, "wallet"),
}

#: Kinds that belong to an order (and, but for store credit, to its wallet payment's hold).
_ORDER_KINDS = frozenset(
    {
        MovementKind.HOLD,
        MovementKind.CAPTURE,
        MovementKind.RELEASE,
        MovementKind.REFUND,
        MovementKind.STORE_CREDIT,
    }
)


def _require_id(value: str, field: str, what: str) -> str:
    if not value or not value.strip() or len(value) > MAX_ID_LENGTH:
        raise InvalidInput(
            f"A {what} is 1 to {MAX_ID_LENGTH} characters.",
            code=f"invalid_{field}",
            errors=[FieldError(field, f"must be 1 to {MAX_ID_LENGTH} characters")],
        )
    return value


def _require_amount(amount: Money) -> Money:
    if not 1 <= amount.amount <= MAX_AMOUNT:
        raise InvalidInput(
            "A wallet movement is for at least one minor unit.",
            code="invalid_amount",
            errors=[FieldError("amount.amount", f"{amount.amount} is not between 1 and {MAX_AMOUNT}")],
        )
    return amount


class InsufficientFunds(Conflict):
    """The wallet holds less than a debit needs; nothing moved."""

    default_code = "insufficient_funds"

    def __init__(self, balance: Money, needed: Money) -> None:
        super().__init__(
            f"The wallet holds {balance}, not the {needed} needed.",
            extra={
                "balance": {"amount": balance.amount, "currency": balance.currency},
                "needed": {"amount": needed.amount, "currency": needed.currency},
            },
        )
        self.balance = balance
        self.needed = needed


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One side of a movement: ``amount`` is signed, negative for the account money left."""

    movement_id: str
    kind: MovementKind
    account: str
    amount: Money
    at: datetime


@dataclass(frozen=True, slots=True)
class Movement:
    """``amount`` (at least one minor unit) leaves ``from_account`` and arrives in ``to_account``."""

    movement_id: str
    kind: MovementKind
    amount: Money
    from_account: str
    to_account: str
    at: datetime
    order_id: str | None = None
    reason: str | None = None
    actor: str | None = None

    def __post_init__(self) -> None:
        _require_amount(self.amount)
        route = (_account_type(self.from_account), _account_type(self.to_account))
        if route != _ROUTES[self.kind]:
            raise ValueError(f"a {self.kind.value} cannot move money from {route[0]} to {route[1]}")
        if self.from_account == self.to_account:
            raise ValueError("a movement needs two different accounts")
        if self.kind in _ORDER_KINDS and not self.order_id:
            raise ValueError(f"a {self.kind.value} belongs to an order")
        holds = [a for a in (self.from_account, self.to_account) if a.startswith(_HOLD)]
        if holds and holds != [hold_account(self.order_id or "")]:
            raise ValueError("a hold account belongs to the movement's order")

    # ------------------------------------------------------------------ the movements there are
    @classmethod
    def credit(
        cls, customer_id: str, amount: Money, credit_id: str, reason: str, actor: str, at: datetime
    ) -> Movement:
        """An admin tops a wallet up; ``credit_id`` makes it safe to retry."""
        _require_id(customer_id, "customer_id", "customer id")
        _require_id(credit_id, "credit_id", "credit id")
        _require_id(actor, "actor", "actor")
        text = (reason or "").strip()
        if not text or len(text) > MAX_REASON_LENGTH:
            raise InvalidInput(
                "A credit needs a reason for the ledger.",
                code="invalid_reason",
                errors=[FieldError("reason", f"must be 1 to {MAX_REASON_LENGTH} characters")],
            )
        return cls(
            f"credit:{credit_id}",
            MovementKind.CREDIT,
            amount,
            PLATFORM_CREDITS,
            wallet_account(customer_id),
            at,
            reason=text,
            actor=actor,
        )

    @classmethod
    def hold(cls, customer_id: str, order_id: str, amount: Money, at: datetime) -> Movement:
        """A wallet checkout reserves the order's total."""
        _require_id(customer_id, "customer_id", "customer id")
        _require_id(order_id, "order_id", "order id")
        return cls(
            f"hold:{order_id}",
            MovementKind.HOLD,
            amount,
            wallet_account(customer_id),
            hold_account(order_id),
            at,
            order_id=order_id,
        )

    @classmethod
    def capture(cls, order_id: str, amount: Money, at: datetime) -> Movement:
        """The held money becomes the platform's."""
        return cls(
            f"capture:{order_id}",
            MovementKind.CAPTURE,
            amount,
            hold_account(order_id),
            PLATFORM_REVENUE,
            at,
            order_id=order_id,
        )

    @classmethod
    def release(cls, customer_id: str, order_id: str, amount: Money, at: datetime) -> Movement:
        """The hold goes back to the wallet (the checkout failed or was cancelled)."""
        return cls(
            f"release:{order_id}",
            MovementKind.RELEASE,
            amount,
            hold_account(order_id),
            wallet_account(customer_id),
            at,
            order_id=order_id,
        )

    @classmethod
    def refund(cls, customer_id: str, order_id: str, refund_id: str, amount: Money, at: datetime) -> Movement:
        """Part of a captured wallet payment goes back to the wallet."""
        _require_id(refund_id, "refund_id", "refund id")
        return cls(
            cls.refund_id_for(order_id, refund_id),
            MovementKind.REFUND,
            amount,
            PLATFORM_REVENUE,
            wallet_account(customer_id),
            at,
            order_id=order_id,
        )

    @staticmethod
    def refund_id_for(order_id: str, refund_id: str) -> str:
        return f"refund:{order_id}:{refund_id}"

    @classmethod
    def store_credit(
        cls, customer_id: str, order_id: str, refund_id: str, amount: Money, at: datetime
    ) -> Movement:
        """A refund of a card or PayPal order paid into the wallet instead."""
        _require_id(customer_id, "customer_id", "customer id")
        _require_id(order_id, "order_id", "order id")
        _require_id(refund_id, "refund_id", "refund id")
        return cls(
            cls.store_credit_id_for(refund_id),
            MovementKind.STORE_CREDIT,
            amount,
            PLATFORM_REFUNDS,
            wallet_account(customer_id),
            at,
            order_id=order_id,
        )

    @staticmethod
    def store_credit_id_for(refund_id: str) -> str:
        return f"store_credit:{refund_id}"

    # ------------------------------------------------------------------ entries
    def entries(self) -> tuple[LedgerEntry, LedgerEntry]:
        """The debit of ``from_account`` and the credit of ``to_account``: they sum to zero."""
        return (
            LedgerEntry(
                self.movement_id,
                self.kind,
                self.from_account,
                Money(-self.amount.amount, self.amount.currency),
                self.at,
            ),
            LedgerEntry(self.movement_id, self.kind, self.to_account, self.amount, self.at),
        )

    def delta(self, account: str) -> Money:
        """What this movement does to ``account``'s balance (zero for an account it does not touch)."""
        total = Money.zero(self.amount.currency)
        for entry in self.entries():
            if entry.account == account:
                total += entry.amount
        return total

    def same_request(self, other: Movement) -> bool:
        """Whether ``other`` asks for the same movement (a replay), whenever and why it was made."""
        return (self.kind, self.amount, self.from_account, self.to_account, self.order_id) == (
            other.kind,
            other.amount,
            other.from_account,
            other.to_account,
            other.order_id,
        )


@dataclass(frozen=True, slots=True)
class WalletEntry:
    """A line of the customer's statement: their side of one movement and the balance after it.

    ``sequence`` numbers the wallet's changes from 1 without gaps (it is the wallet's version after
    the change), so the statement is in the order the balance actually moved, whatever the clocks.
    """

    customer_id: str
    sequence: int
    movement_id: str
    kind: MovementKind
    amount: Money
    balance_after: Money
    at: datetime
    order_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Wallet:
    """A customer's balance. ``version`` counts its changes; 0 is a wallet never credited, whose
    currency is not fixed yet (its first credit fixes it)."""

    customer_id: str
    balance: Money
    version: int = 0

    def __post_init__(self) -> None:
        if self.balance.amount < 0:
            raise ValueError("a wallet's balance is never negative")
        if self.version < 0 or (self.version == 0 and self.balance.amount):
            raise ValueError("a wallet never credited holds nothing")

    @classmethod
    def empty(cls, customer_id: str, currency: str) -> Wallet:
        return cls(customer_id, Money.zero(currency))

    @property
    def account(self) -> str:
        return wallet_account(self.customer_id)

    @property
    def currency(self) -> str:
        return self.balance.currency

    @property
    def opened(self) -> bool:
        return self.version > 0

    def accepts(self, currency: str) -> bool:
        return not self.opened or currency == self.currency

    def post(self, movement: Movement) -> tuple[Wallet, WalletEntry]:
        """The wallet after ``movement``, and its statement line.

        Raises ``InvalidInput(code="currency_mismatch")`` for another currency than the wallet's and
        ``InsufficientFunds`` when a debit would take the balance below zero.
        """
        if self.account not in (movement.from_account, movement.to_account):
            raise ValueError(f"movement {movement.movement_id} does not touch {self.account}")
        if not self.accepts(movement.amount.currency):
            raise InvalidInput(
                f"This wallet is in {self.currency}, not {movement.amount.currency}.",
                code="currency_mismatch",
                errors=[FieldError("amount.currency", f"expected {self.currency}")],
            )
        before = self.balance if self.opened else Money.zero(movement.amount.currency)
        delta = movement.delta(self.account)
        after = before + delta
        if after.amount < 0:
            raise InsufficientFunds(before, movement.amount)
        wallet = Wallet(self.customer_id, after, self.version + 1)
        entry = WalletEntry(
            customer_id=self.customer_id,
            sequence=wallet.version,
            movement_id=movement.movement_id,
            kind=movement.kind,
            amount=delta,
            balance_after=after,
            at=movement.at,
            order_id=movement.order_id,
            reason=movement.reason,
        )
        return wallet, entry
