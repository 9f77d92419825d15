"""What the wallet needs from storage: a ledger that writes each movement atomically."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from commerce.errors import DependencyFailure
from commerce.payments.model import Payment
from commerce.wallet.model import Movement, Wallet, WalletEntry

__all__ = [
    "LostRace",
    "MovementExists",
    "PaymentChange",
    "Posting",
    "Statement",
    "StoredPayment",
    "WalletChange",
    "WalletLedger",
    "WalletUnavailable",
]


class MovementExists(Exception):
    """The movement id is already on the ledger (a retried request): read it back instead."""


class LostRace(Exception):
    """The wallet or the payment changed since it was read; nothing was written. Read again."""


class WalletUnavailable(DependencyFailure):
    """The ledger's database is throttling or unreachable; nothing is known to be written. Retry."""

    default_code = "wallet_unavailable"


@dataclass(frozen=True, slots=True)
class StoredPayment:
    """A wallet payment as recorded, with the version its next change is conditional on."""

    payment: Payment
    version: int

    @property
    def customer_id(self) -> str:
        return self.payment.method.token or ""


@dataclass(frozen=True, slots=True)
class WalletChange:
    """The customer's side of a movement: the wallet as read (version 0: never credited), as it
    becomes, and its statement line."""

    before: Wallet
    after: Wallet
    entry: WalletEntry


@dataclass(frozen=True, slots=True)
class PaymentChange:
    """A wallet payment as it becomes; ``expected_version`` is ``None`` for a new payment."""

    after: Payment
    expected_version: int | None
    refund_id: str | None = None


@dataclass(frozen=True, slots=True)
class Posting:
    """Everything one movement changes, written all or nothing."""

    movement: Movement
    wallet: WalletChange | None = None
    payment: PaymentChange | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """A page of a customer's statement, newest first."""

    entries: list[WalletEntry]
    next_cursor: str | None


class WalletLedger(ABC):
    """Every read is strongly consistent; every method may raise ``WalletUnavailable``."""

    @abstractmethod
    def wallet(self, customer_id: str) -> Wallet | None:
        """The customer's wallet, or ``None`` when it was never credited."""

    @abstractmethod
    def statement(self, customer_id: str, cursor: str | None, limit: int) -> Statement:
        """The customer's entries, newest first. Raises ``InvalidInput(code="invalid_cursor")``."""

    @abstractmethod
    def movement(self, movement_id: str) -> Movement | None: ...

    @abstractmethod
    def payment(self, order_id: str) -> StoredPayment | None: ...

    @abstractmethod
    def post(self, posting: Posting) -> None:
        """Write the movement (if its id is new), the wallet change (if the wallet is still at
        ``before.version`` and, for a debit, still holds enough) and the payment change (if still at
        ``expected_version``) in one transaction.

        Raises ``MovementExists`` when the movement is already recorded, ``LostRace`` when the
        wallet or payment moved meanwhile; in both cases nothing was written.
        """
