"""Wallet use cases: customers read their balance and statement, admins credit wallets, refunds
are paid back as store credit, and wallet checkouts hold, capture, release and refund.

Every write is one movement on the ledger, idempotent by its deterministic id and conditional on
the wallet (and payment) version it was decided on; a lost race is read again and decided again,
a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from commerce.clock import Clock
from commerce.errors import CommerceError, Conflict, FieldError, InvalidInput, NotFound
from commerce.money import Money
from commerce.payments.model import (
    Payment,
    PaymentDeclined,
    PaymentMethod,
    PaymentMethodKind,
    PaymentUnavailable,
)
from commerce.wallet.model import InsufficientFunds, Movement, Wallet, WalletEntry
from commerce.wallet.ports import (
    LostRace,
    MovementExists,
    PaymentChange,
    Posting,
    StoredPayment,
    WalletChange,
    WalletLedger,
)

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_ATTEMPTS", "MAX_PAGE_SIZE", "Receipt", "WalletService", "WalletView"]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

#: Lost races before giving up. Each lost round means another movement of the same wallet or
#: payment was written, so this bounds the contention one call waits out.
MAX_ATTEMPTS = 32

_TOO_LOW = "Your wallet balance is too low."


@dataclass(frozen=True, slots=True)
class WalletView:
    """What a customer sees: the balance, and a page of their statement, newest first."""

    wallet: Wallet
    entries: list[WalletEntry]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Receipt:
    """The movement a credit made (or had made, when ``created`` is false: a replay) and the wallet
    after it (for a replay, the wallet as it is now)."""

    movement: Movement
    wallet: Wallet
    created: bool


def _replayed(stored: Payment, amount: Money, method: PaymentMethod) -> Payment:
    if stored.amount != amount or stored.method != method:
        raise Conflict(
            "This order already has a payment for another amount or payment method.",
            code="payment_mismatch",
            extra={"reference": stored.reference},
        )
    return stored


def _customer_paying(method: PaymentMethod) -> str:
    if method.kind is not PaymentMethodKind.WALLET:
        raise PaymentDeclined(
            f"The wallet does not take {method.kind.value} payments.", "payment_method_not_supported"
        )
    if not method.token:
        raise PaymentDeclined(
            "A wallet payment needs the customer whose wallet pays.", "payment_method_unknown"
        )
    return method.token


@dataclass
class WalletService:
    ledger: WalletLedger
    clock: Clock
    #: The currency a never-credited wallet is shown in; its first credit fixes its own.
    default_currency: str = "EUR"

    def _now(self) -> datetime:
        """Stored instants have millisecond precision; so do the values returned, so a replay is equal."""
        now = self.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def _wallet(self, customer_id: str, currency: str | None = None) -> Wallet:
        found = self.ledger.wallet(customer_id)
        return found or Wallet.empty(customer_id, currency or self.default_currency)

    # ------------------------------------------------------------------ customers
    def view(self, customer_id: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> WalletView:
        """The customer's balance and one page of their own entries, newest first.

        Raises ``InvalidInput`` (``invalid_limit``, ``invalid_cursor``).
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(
                f"A page holds 1 to {MAX_PAGE_SIZE} entries.",
                code="invalid_limit",
                errors=[FieldError("query.limit", f"must be between 1 and {MAX_PAGE_SIZE}")],
            )
        statement = self.ledger.statement(customer_id, cursor, limit)
        return WalletView(self._wallet(customer_id), statement.entries, statement.next_cursor)

    # ------------------------------------------------------------------ money into wallets
    def credit(self, customer_id: str, amount: Money, credit_id: str, reason: str, actor: str) -> Receipt:
        """An admin tops up a wallet (from ``platform:credits``), idempotent by ``credit_id``.

        Raises ``InvalidInput`` (``invalid_amount``, ``invalid_reason``, ``invalid_credit_id``,
        ``currency_mismatch``), ``Conflict(code="credit_mismatch")`` when ``credit_id`` was used for
        another credit and ``Conflict(code="concurrent_update")`` after too many lost races.
        """
        return self._pay_in(
            customer_id,
            lambda now: Movement.credit(customer_id, amount, credit_id, reason, actor, now),
            lambda: Conflict(
                "This credit id was already used for another credit.",
                code="credit_mismatch",
                extra={"credit_id": credit_id},
            ),
        )

    def store_credit(self, customer_id: str, amount: Money, refund_id: str, order_id: str) -> Receipt:
        """A refund of a card or PayPal order paid into the wallet (from ``platform:refunds``),
        idempotent by ``refund_id``.

        Raises ``InvalidInput`` (``invalid_amount``, ``invalid_refund_id``, ``currency_mismatch``),
        ``Conflict(code="refund_mismatch")`` when ``refund_id`` was used for another refund and
        ``Conflict(code="concurrent_update")``.
        """
        return self._pay_in(
            customer_id,
            lambda now: Movement.store_credit(customer_id, order_id, refund_id, amount, now),
            lambda: Conflict(
                "This refund id was already used for another refund.",
                code="refund_mismatch",
                extra={"refund_id": refund_id},
            ),
        )

    def _pay_in(
        self, customer_id: str, make: Callable[[datetime], Movement], mismatch: Callable[[], CommerceError]
    ) -> Receipt:
        asked = make(self._now())  # validates the request before anything is read
        for _ in range(MAX_ATTEMPTS):
            existing = self.ledger.movement(asked.movement_id)
            if existing is not None:
                if not existing.same_request(asked):
                    raise mismatch()
                return Receipt(existing, self._wallet(customer_id, asked.amount.currency), created=False)
            before = self._wallet(customer_id, asked.amount.currency)
            movement = make(self._now())
            after, entry = before.post(movement)
            try:
                self.ledger.post(Posting(movement, wallet=WalletChange(before, after, entry)))
            except (MovementExists, LostRace):
                continue  # a replay (the next round returns it) or another movement won: decide again
            return Receipt(movement, after, created=True)
        raise Conflict("The wallet is changing too fast; try again.", code="concurrent_update")

    # ------------------------------------------------------------------ wallet payments
    def payment(self, order_id: str) -> Payment | None:
        stored = self.ledger.payment(order_id)
        return stored.payment if stored else None

    def _require(self, order_id: str) -> StoredPayment:
        stored = self.ledger.payment(order_id)
        if stored is None:
            raise NotFound(f"Order {order_id} has no payment.", code="payment_not_found")
        return stored

    def hold(self, order_id: str, amount: Money, method: PaymentMethod) -> Payment:
        """Move ``amount`` from the customer's wallet (``method.token``) to the order's hold account.

        Idempotent by order id: the stored payment is returned (``Conflict(code="payment_mismatch")``
        for another amount or customer). Raises ``PaymentDeclined`` (``insufficient_funds``,
        ``currency_mismatch``, ``payment_method_not_supported``) with nothing written, and
        ``PaymentUnavailable`` after too many lost races.
        """
        for _ in range(MAX_ATTEMPTS):
            stored = self.ledger.payment(order_id)
            if stored is not None:
                return _replayed(stored.payment, amount, method)
            customer_id = _customer_paying(method)
            now = self._now()
            movement = Movement.hold(customer_id, order_id, amount, now)
            payment = Payment.authorized(order_id, movement.movement_id, method, amount, now)
            before = self.ledger.wallet(customer_id)
            if before is None:
                raise PaymentDeclined(_TOO_LOW, "insufficient_funds")
            if not before.accepts(amount.currency):
                raise PaymentDeclined(f"Your wallet holds {before.currency}.", "currency_mismatch")
            try:
                after, entry = before.post(movement)
            except InsufficientFunds:
                raise PaymentDeclined(_TOO_LOW, "insufficient_funds") from None
            try:
                self.ledger.post(
                    Posting(movement, WalletChange(before, after, entry), PaymentChange(payment, None))
                )
            except (MovementExists, LostRace):
                continue  # this order was paid meanwhile (replayed next round), or the wallet moved
            return payment
        raise PaymentUnavailable("The wallet kept changing under this payment; try again.")

    def capture(self, order_id: str) -> Payment:
        """The hold becomes platform revenue; a captured payment is returned unchanged."""
        for _ in range(MAX_ATTEMPTS):
            stored = self._require(order_id)
            now = self._now()
            after = stored.payment.captured_at(now)
            if after is stored.payment:
                return after
            movement = Movement.capture(order_id, stored.payment.amount, now)
            try:
                self.ledger.post(Posting(movement, payment=PaymentChange(after, stored.version)))
            except (MovementExists, LostRace):
                continue
            return after
        raise PaymentUnavailable("The payment kept changing under this request; try again.")

    def release(self, order_id: str) -> Payment:
        """The hold goes back to the wallet (the payment is voided); a voided one is returned unchanged."""
        for _ in range(MAX_ATTEMPTS):
            stored = self._require(order_id)
            now = self._now()
            after = stored.payment.voided_at(now)
            if after is stored.payment:
                return after
            movement = Movement.release(stored.customer_id, order_id, stored.payment.amount, now)
            before = self._wallet(stored.customer_id, stored.payment.amount.currency)
            wallet_after, entry = before.post(movement)
            try:
                self.ledger.post(
                    Posting(
                        movement,
                        WalletChange(before, wallet_after, entry),
                        PaymentChange(after, stored.version),
                    )
                )
            except (MovementExists, LostRace):
                continue
            return after
        raise PaymentUnavailable("The payment kept changing under this request; try again.")

    def refund(self, order_id: str, amount: Money, refund_id: str) -> Payment:
        """Give ``amount`` of a captured wallet payment back to the wallet, idempotent by ``refund_id``.

        Raises ``InvalidInput`` (``refund_exceeds_captured``, ``invalid_amount``, ``currency_mismatch``,
        ``invalid_refund_id``), ``Conflict`` (``payment_not_refundable``, ``refund_mismatch``) and
        ``NotFound(code="payment_not_found")``.
        """
        if not refund_id:
            raise InvalidInput(
                "A refund needs an id to be safe to retry.",
                code="invalid_refund_id",
                errors=[FieldError("refund_id", "must not be empty")],
            )
        movement_id = Movement.refund_id_for(order_id, refund_id)
        for _ in range(MAX_ATTEMPTS):
            existing = self.ledger.movement(movement_id)
            if existing is not None:
                if existing.amount != amount:
                    raise Conflict(
                        "This refund id was already used for another amount.",
                        code="refund_mismatch",
                        extra={"refund_id": refund_id},
                    )
                return self._require(order_id).payment
            stored = self._require(order_id)
            now = self._now()
            after = stored.payment.refunded_by(amount, now)
            movement = Movement.refund(stored.customer_id, order_id, refund_id, amount, now)
            before = self._wallet(stored.customer_id, amount.currency)
            wallet_after, entry = before.post(movement)
            try:
                self.ledger.post(
                    Posting(
                        movement,
                        WalletChange(before, wallet_after, entry),
                        PaymentChange(after, stored.version, refund_id),
                    )
                )
            except (MovementExists, LostRace):
                continue
            return after
        raise PaymentUnavailable("The payment kept changing under this refund; try again.")
