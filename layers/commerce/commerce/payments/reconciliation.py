"""Daily payment reconciliation: each order's record of its payment against the provider's books.

The provider's record is the source of truth for the money; the order keeps a snapshot of it
(``OrderPayment``) and a ledger of the refunds it gave (``OrderRefund``). ``compare`` is pure:
it tells, for one order, every way the two disagree. ``PaymentReconciliation`` runs it over every
order whose payment changed on a day, stores the report and publishes what it found
(schemas in events/schemas/payments.json).

What counts as a mismatch, most serious first:

- ``money_held_on_cancelled_order``: a cancelled order whose payment the provider still holds, or
  keeps taken beyond what went back to the customer's wallet instead.
- ``missing_at_provider``: the order records a payment the provider has no record of.
- ``not_captured``: a confirmed (shipped, delivered) order whose payment the provider never captured.
- ``pending_too_long``: an order still pending long after it was placed while the provider holds
  or took its money (the saga is stuck with the customer's money).
- ``refunds_mismatch``: the refunds to the original method that the order completed do not add up
  to what the provider refunded.
- ``status_mismatch``: the two are at another stage of the payment's life (nothing held, held,
  taken). Statuses within one stage are equivalent here: ``requires_action`` and ``voided`` both
  hold nothing, and ``captured``/``partially_refunded``/``refunded`` differ only by figures, which
  the next two kinds judge.
- ``amount_mismatch``: the authorised, captured or refunded figures differ (or the payment is not
  for the order's total). The refunded figure is left to ``refunds_mismatch`` when that is reported.

Orders in flight are given a grace period (``GRACE_PERIOD``): a pending order placed less than that
ago, a confirmed order waiting for its capture, a refund still pending.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from commerce.clock import Clock, isoformat
from commerce.errors import DependencyFailure
from commerce.events import DomainEvent, EventPublisher
from commerce.money import Money
from commerce.orders.model import Order, OrderRefund, OrderStatus, RefundDestination, RefundStatus
from commerce.payments.model import Payment, PaymentStatus
from commerce.payments.providers import PaymentProviders
from commerce.settings import ConfigurationError

__all__ = [
    "GRACE_PERIOD",
    "MAX_MISMATCH_EVENTS",
    "SOURCE",
    "Mismatch",
    "MismatchKind",
    "PaymentReconciliation",
    "PaymentView",
    "PaymentsByDay",
    "ProviderTally",
    "ReconciliationReport",
    "ReconciliationReports",
    "UncheckedOrder",
    "compare",
    "reconciliation_events",
]

SOURCE = "commerce.payments"

#: How long a change may still be under way (a saga between steps, a refund between provider and
#: order) before a disagreement it explains counts as a mismatch.
GRACE_PERIOD = timedelta(hours=1)

#: At most this many ``PaymentMismatchFound`` events per run, the most serious first; the summary
#: event says how many were left out (the stored report keeps them).
MAX_MISMATCH_EVENTS = 100


class MismatchKind(StrEnum):
    MONEY_HELD_ON_CANCELLED_ORDER = "money_held_on_cancelled_order"
    MISSING_AT_PROVIDER = "missing_at_provider"
    NOT_CAPTURED = "not_captured"
    PENDING_TOO_LONG = "pending_too_long"
    REFUNDS_MISMATCH = "refunds_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    AMOUNT_MISMATCH = "amount_mismatch"

    @property
    def severity(self) -> int:
        """0 is the most serious (the declaration order)."""
        return list(MismatchKind).index(self)


@dataclass(frozen=True, slots=True)
class PaymentView:
    """One side's figures of a payment. ``refunds_succeeded`` is the platform's own ledger: the
    refunds to the original method it completed (``None`` on the provider's side)."""

    status: PaymentStatus | None
    authorized: Money | None
    captured: Money | None
    refunded: Money | None
    refunds_succeeded: Money | None = None

    @classmethod
    def of_order(cls, order: Order) -> PaymentView:
        payment = order.payment
        return cls(
            payment.status,
            payment.authorized,
            payment.captured,
            payment.refunded,
            _total(order.currency, _refunds(order, RefundDestination.ORIGINAL, RefundStatus.SUCCEEDED)),
        )

    @classmethod
    def of_payment(cls, payment: Payment) -> PaymentView:
        return cls(payment.status, payment.amount, payment.captured, payment.refunded)

    def as_dict(self) -> dict[str, Any]:
        """The shape of events and stored reports (``refunds_succeeded`` only on the platform's side)."""
        values: dict[str, Any] = {
            "status": self.status.value if self.status else None,
            "authorized": self.authorized.as_dict() if self.authorized else None,
            "captured": self.captured.as_dict() if self.captured else None,
            "refunded": self.refunded.as_dict() if self.refunded else None,
        }
        if self.refunds_succeeded is not None:
            values["refunds_succeeded"] = self.refunds_succeeded.as_dict()
        return values


@dataclass(frozen=True, slots=True)
class Mismatch:
    order_id: str
    kind: MismatchKind
    detail: str
    order_status: OrderStatus
    #: The order's view of its payment.
    platform: PaymentView
    #: The provider's record; ``None`` when it has none.
    provider: PaymentView | None
    #: The provider's name (``simulator``, ``stripe``, ``paypal``, ``wallet``).
    provider_name: str | None = None


# ---------------------------------------------------------------------- comparing one order
def _refunds(order: Order, destination: RefundDestination, status: RefundStatus) -> Iterator[OrderRefund]:
    return (r for r in order.payment.refunds if r.destination is destination and r.status is status)


def _total(currency: str, refunds: Iterable[OrderRefund]) -> Money:
    total = Money.zero(currency)
    for refund in refunds:
        total += refund.amount
    return total


def _in_flight(
    order: Order, now: datetime, grace: timedelta, destination: RefundDestination | None = None
) -> Iterator[OrderRefund]:
    """Refunds requested less than ``grace`` ago and not yet completed: the money may be moving."""
    return (
        r
        for r in order.payment.refunds
        if r.status is RefundStatus.PENDING
        and now - r.requested_at < grace
        and destination in (None, r.destination)
    )


_NOTHING, _HELD, _TAKEN = "nothing held", "held", "taken"


def _stage(status: PaymentStatus | None) -> str:
    """Where the money is: statuses at one stage are equivalent for reconciliation."""
    if status is PaymentStatus.AUTHORIZED:
        return _HELD
    if status in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED):
        return _TAKEN
    return _NOTHING  # no payment yet, waiting for the customer, or voided


def _shown(value: Money | None) -> str:
    return "nothing" if value is None else str(value)


def compare(
    order: Order, payment: Payment | None, now: datetime, grace: timedelta = GRACE_PERIOD
) -> list[Mismatch]:
    """Every way the order's record of its payment and the provider's disagree, most serious first."""
    platform = PaymentView.of_order(order)
    provider = PaymentView.of_payment(payment) if payment is not None else None
    recorded = order.payment.status is not None

    def found(kind: MismatchKind, detail: str) -> Mismatch:
        return Mismatch(
            order.order_id, kind, detail, order.status, platform, provider, order.payment.provider
        )

    if order.status is OrderStatus.PENDING and now - order.created_at < grace:
        return []  # still inside its saga: the order's snapshot may lag the provider for a moment
    if payment is None:
        if not recorded:
            return []
        return [
            found(
                MismatchKind.MISSING_AT_PROVIDER,
                f"The order records a {order.payment.status} payment ({order.payment.reference}) "
                "that the provider has no record of.",
            )
        ]
    if payment.amount.currency != order.currency:
        return [
            found(
                MismatchKind.AMOUNT_MISMATCH,
                f"The provider's payment is in {payment.amount.currency}; the order is in {order.currency}.",
            )
        ]

    mismatches: list[Mismatch] = []
    currency = order.currency
    in_flight = _total(currency, _in_flight(order, now, grace))

    # ---- what the money should be doing, whatever the order's snapshot says
    if order.status is OrderStatus.CANCELLED:
        to_wallet = _total(currency, _refunds(order, RefundDestination.WALLET, RefundStatus.SUCCEEDED))
        kept = payment.held + payment.taken - to_wallet - in_flight
        if kept.amount > 0:
            mismatches.append(
                found(
                    MismatchKind.MONEY_HELD_ON_CANCELLED_ORDER,
                    f"The order is cancelled but the provider still holds {payment.held} and has taken "
                    f"{payment.taken} ({kept} not given back any way).",
                )
            )
    elif order.status is OrderStatus.PENDING:
        at_stake = payment.held + payment.taken
        if at_stake.amount > 0:
            mismatches.append(
                found(
                    MismatchKind.PENDING_TOO_LONG,
                    f"The order is still pending {now - order.created_at} after it was placed, and the "
                    f"provider holds {payment.held} and has taken {payment.taken}.",
                )
            )
    else:
        since = order.confirmed_at or order.updated_at
        if payment.captured.amount == 0 and now - since >= grace:
            mismatches.append(
                found(
                    MismatchKind.NOT_CAPTURED,
                    f"The order is {order.status} but the provider never captured its payment "
                    f"(the provider's payment is {payment.status}).",
                )
            )

    # ---- the refund ledger against the provider's refunded figure
    succeeded = platform.refunds_succeeded or Money.zero(currency)
    moving = _total(currency, _in_flight(order, now, grace, RefundDestination.ORIGINAL))
    refunds_differ = not (succeeded <= payment.refunded <= succeeded + moving)
    if refunds_differ:
        mismatches.append(
            found(
                MismatchKind.REFUNDS_MISMATCH,
                f"The order's completed refunds to the original method total {succeeded}; "
                f"the provider refunded {payment.refunded}.",
            )
        )

    # ---- the order's snapshot against the provider's record
    if _stage(order.payment.status) != _stage(payment.status):
        status = order.payment.status.value if order.payment.status else "no payment"
        mismatches.append(
            found(
                MismatchKind.STATUS_MISMATCH,
                f"The order records {status} ({_stage(order.payment.status)}); the provider's payment "
                f"is {payment.status} ({_stage(payment.status)}).",
            )
        )
    if recorded:
        figures = [
            ("authorized", order.payment.authorized, payment.amount),
            ("captured", order.payment.captured, payment.captured),
        ]
        if not refunds_differ:
            figures.append(("refunded", order.payment.refunded, payment.refunded))
        differ = [
            f"{name}: order {_shown(ours)}, provider {_shown(theirs)}"
            for name, ours, theirs in figures
            if ours != theirs
        ]
        if payment.amount != order.totals.total:
            differ.append(
                f"the provider's payment is for {payment.amount}, the order's total is {order.totals.total}"
            )
        if differ:
            mismatches.append(found(MismatchKind.AMOUNT_MISMATCH, "; ".join(differ) + "."))

    mismatches.sort(key=lambda m: m.kind.severity)
    return mismatches


# ---------------------------------------------------------------------- a day's report
@dataclass(frozen=True, slots=True)
class UncheckedOrder:
    """An order the run could not check: its provider was unavailable (or is not configured here)."""

    order_id: str
    provider_name: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class ProviderTally:
    checked: int = 0
    mismatches: int = 0
    unavailable: int = 0


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    """One day's run. ``mismatches`` are the most serious first; ``mismatch_count`` and
    ``unchecked_count`` count them all (a stored report may keep only the first ones)."""

    day: date
    reconciled_at: datetime
    checked: int
    mismatches: tuple[Mismatch, ...]
    unchecked: tuple[UncheckedOrder, ...] = ()
    by_provider: dict[str, ProviderTally] = field(default_factory=dict)
    mismatch_count: int = -1
    unchecked_count: int = -1

    def __post_init__(self) -> None:
        if self.mismatch_count < 0:
            object.__setattr__(self, "mismatch_count", len(self.mismatches))
        if self.unchecked_count < 0:
            object.__setattr__(self, "unchecked_count", len(self.unchecked))

    @property
    def provider_unavailable(self) -> int:
        """Orders left unchecked because their provider did not answer."""
        return self.unchecked_count

    @property
    def by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for mismatch in self.mismatches:
            counts[mismatch.kind.value] = counts.get(mismatch.kind.value, 0) + 1
        return counts

    @property
    def is_clean(self) -> bool:
        return self.mismatch_count == 0 and self.unchecked_count == 0

    def summary(self) -> dict[str, Any]:
        """The figures an operator (or a log line) wants first."""
        return {
            "day": self.day.isoformat(),
            "checked": self.checked,
            "mismatches": self.mismatch_count,
            "provider_unavailable": self.provider_unavailable,
            "by_kind": self.by_kind,
        }


# ---------------------------------------------------------------------- ports
class PaymentsByDay(Protocol):
    """The order repository's daily index of payments (a protocol: the repository serves other
    ports too)."""

    def payments_changed_on(self, day: date) -> Iterator[Order]:
        """Every order with a payment whose last change was on ``day`` (UTC), each once."""


class ReconciliationReports(ABC):
    @abstractmethod
    def save_reconciliation(self, report: ReconciliationReport) -> None:
        """Store the day's report, replacing an earlier run's for the same day."""

    @abstractmethod
    def reconciliation(self, day: date) -> ReconciliationReport | None:
        """The day's stored report, if the job has run for it."""


# ---------------------------------------------------------------------- events
def _mismatch_detail(day: date, mismatch: Mismatch) -> dict[str, Any]:
    return {
        "day": day.isoformat(),
        "order_id": mismatch.order_id,
        "kind": mismatch.kind.value,
        "detail": mismatch.detail,
        "order_status": mismatch.order_status.value,
        "provider_name": mismatch.provider_name,
        "platform": mismatch.platform.as_dict(),
        "provider": mismatch.provider.as_dict() if mismatch.provider else None,
    }


def reconciliation_events(
    report: ReconciliationReport, max_mismatch_events: int = MAX_MISMATCH_EVENTS
) -> list[DomainEvent]:
    """One ``PaymentsReconciled`` and a ``PaymentMismatchFound`` per mismatch, the most serious first,
    at most ``max_mismatch_events`` of them."""
    sent = report.mismatches[:max_mismatch_events]
    summary = DomainEvent(
        SOURCE,
        "PaymentsReconciled",
        {
            **report.summary(),
            "by_provider": {
                name: {"checked": t.checked, "mismatches": t.mismatches, "unavailable": t.unavailable}
                for name, t in sorted(report.by_provider.items())
            },
            "mismatch_events": len(sent),
            "mismatch_events_capped": report.mismatch_count > len(sent),
            "reconciled_at": isoformat(report.reconciled_at),
        },
    )
    return [
        summary,
        *(DomainEvent(SOURCE, "PaymentMismatchFound", _mismatch_detail(report.day, m)) for m in sent),
    ]


# ---------------------------------------------------------------------- the job
@dataclass
class PaymentReconciliation:
    orders: PaymentsByDay
    providers: PaymentProviders
    reports: ReconciliationReports
    events: EventPublisher
    clock: Clock
    grace: timedelta = GRACE_PERIOD
    max_mismatch_events: int = MAX_MISMATCH_EVENTS

    def run(self, day: date | None = None) -> ReconciliationReport:
        """Check every order whose payment changed on ``day`` (default: yesterday, UTC) with its
        provider; store the report, then publish it. Running a day again replaces its report."""
        now = self.clock()
        day = day or now.astimezone(UTC).date() - timedelta(days=1)
        checked = 0
        mismatches: list[Mismatch] = []
        unchecked: list[UncheckedOrder] = []
        tallies: dict[str, ProviderTally] = {}
        for order in self.orders.payments_changed_on(day):
            name = order.payment.provider
            tally = tallies.get(name or "unknown", ProviderTally())
            try:
                payment = self.providers.named(name or "").find(order.order_id)
            except (DependencyFailure, ConfigurationError) as error:
                # One provider's outage (or a provider this deployment lacks) must not stop the run.
                unchecked.append(UncheckedOrder(order.order_id, name, str(error)))
                tallies[name or "unknown"] = ProviderTally(
                    tally.checked, tally.mismatches, tally.unavailable + 1
                )
                continue
            found = compare(order, payment, now, self.grace)
            checked += 1
            mismatches.extend(found)
            tallies[name or "unknown"] = ProviderTally(
                tally.checked + 1, tally.mismatches + len(found), tally.unavailable
            )
        mismatches.sort(key=lambda m: (m.kind.severity, m.order_id))
        report = ReconciliationReport(
            day=day,
            reconciled_at=now,
            checked=checked,
            mismatches=tuple(mismatches),
            unchecked=tuple(unchecked),
            by_provider=tallies,
        )
        self.reports.save_reconciliation(report)
        self.events.publish(reconciliation_events(report, self.max_mismatch_events))
        return report
