"""A seller's sales of one day, as a CSV file and an email, free of I/O.

A day's sales are the lines of the orders confirmed that day (UTC), whatever became of them
since: each line carries its seller's fulfilment status as it is when the report is made, and
the totals count only the lines not cancelled. The CSV holds the lines alone (one header, one
row per line, amounts as decimals of the currency, never floats) so spreadsheets and scripts
read it as it is; the totals per currency go in the email.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from commerce.clock import isoformat
from commerce.money import CURRENCY_EXPONENTS, Money
from commerce.orders.model import FulfilmentStatus, Order

__all__ = [
    "COLUMNS",
    "Email",
    "SaleLine",
    "SellerSales",
    "decimal",
    "report_email",
    "report_key",
    "sales_by_seller",
]

COLUMNS = (
    "order_id",
    "confirmed_at",
    "product_id",
    "product_name",
    "quantity",
    "unit_price",
    "line_total",
    "currency",
    "status",
)


def report_key(seller_id: str, day: date) -> str:
    """Where the day's file lives in the reports bucket; the same day always the same key."""
    return f"sellers/{seller_id}/sales/{day.isoformat()}.csv"


def decimal(money: Money) -> str:
    """``1999 USD`` -> ``19.99``; ``500 JPY`` -> ``500`` (exact: integer arithmetic only)."""
    exponent = CURRENCY_EXPONENTS[money.currency]
    if exponent == 0:
        return str(money.amount)
    sign = "-" if money.amount < 0 else ""
    major, minor = divmod(abs(money.amount), 10**exponent)
    return f"{sign}{major}.{minor:0{exponent}d}"


@dataclass(frozen=True, slots=True)
class SaleLine:
    order_id: str
    confirmed_at: datetime
    product_id: str
    product_name: str
    quantity: int
    unit_price: Money
    #: The seller's part of the order, as it is now.
    status: FulfilmentStatus

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity

    @property
    def counts(self) -> bool:
        """A cancelled line stays in the file (it was sold that day) but not in the totals."""
        return self.status is not FulfilmentStatus.CANCELLED

    def row(self) -> tuple[str, ...]:
        return (
            self.order_id,
            isoformat(self.confirmed_at),
            self.product_id,
            self.product_name,
            str(self.quantity),
            decimal(self.unit_price),
            decimal(self.line_total),
            self.unit_price.currency,
            self.status.value,
        )


@dataclass(frozen=True, slots=True)
class SellerSales:
    seller_id: str
    day: date
    #: By confirmation time, then order, then the order's own line order.
    lines: tuple[SaleLine, ...]

    @property
    def key(self) -> str:
        return report_key(self.seller_id, self.day)

    @property
    def totals(self) -> dict[str, Money]:
        """Per currency, of the lines not cancelled; a currency whose lines were all cancelled shows 0."""
        totals: dict[str, Money] = {}
        for line in self.lines:
            currency = line.unit_price.currency
            total = totals.get(currency, Money.zero(currency))
            totals[currency] = total + line.line_total if line.counts else total
        return dict(sorted(totals.items()))

    @property
    def order_count(self) -> int:
        return len({line.order_id for line in self.lines})

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines if line.counts)

    def csv(self) -> str:
        """The same sales always give the same bytes, so a re-run rewrites an identical file."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(line.row() for line in self.lines)
        return buffer.getvalue()


def _confirmed_on(order: Order, day: date) -> bool:
    return order.confirmed_at is not None and order.confirmed_at.astimezone(UTC).date() == day


def sales_by_seller(orders: Iterable[Order], day: date) -> list[SellerSales]:
    """Each seller's lines of the orders confirmed on ``day``, sellers in id order. ``orders`` may
    hold other days' orders (left out) and the same order more than once (its newest version counts)."""
    latest: dict[str, Order] = {}
    for order in orders:
        if not _confirmed_on(order, day):
            continue
        known = latest.get(order.order_id)
        if known is None or order.version > known.version:
            latest[order.order_id] = order
    by_seller: dict[str, list[SaleLine]] = {}
    for order in sorted(latest.values(), key=lambda o: (o.confirmed_at, o.order_id)):
        assert order.confirmed_at is not None
        for line in order.lines:
            by_seller.setdefault(line.seller_id, []).append(
                SaleLine(
                    order_id=order.order_id,
                    confirmed_at=order.confirmed_at,
                    product_id=line.product_id,
                    product_name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    status=order.fulfilment(line.seller_id).status,
                )
            )
    return [SellerSales(seller_id, day, tuple(by_seller[seller_id])) for seller_id in sorted(by_seller)]


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    text: str


def report_email(sales: SellerSales, seller_name: str | None) -> Email:
    day = sales.day.isoformat()
    totals = "\n".join(f"  {money}" for money in sales.totals.values())
    cancelled = sum(1 for line in sales.lines if not line.counts)
    text = "\n".join(
        [
            f"Hello {seller_name}," if seller_name else "Hello,",
            "",
            f"Your sales on {day} (UTC): {sales.order_count} order{'s' if sales.order_count != 1 else ''}, "
            f"{sales.units} unit{'s' if sales.units != 1 else ''}.",
            "",
            "Totals:",
            totals,
            *(
                [f"({cancelled} cancelled line{'s' if cancelled != 1 else ''} listed, not counted.)"]
                if cancelled
                else []
            ),
            "",
            f"Every line is in the report file {sales.key}.",
        ]
    )
    return Email(f"Your sales on {day}", text)
