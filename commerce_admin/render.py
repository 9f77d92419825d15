"""How the CLI shows things: rich tables built from domain objects (no I/O here)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from commerce.accounts.model import UserProfile
from commerce.inventory.model import StockLevel
from commerce.money import Money
from commerce.orders.model import Order

__all__ = [
    "account_table",
    "emails_table",
    "import_outcomes_table",
    "order_detail",
    "orders_table",
    "problems_table",
    "stock_table",
    "texts_table",
]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _money(value: Money | None) -> str:
    return str(value) if value is not None else "-"


def account_table(profile: UserProfile, title: str) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("user id", profile.user_id)
    table.add_row("email", escape(profile.email))
    table.add_row("name", escape(profile.name))
    table.add_row("account type", profile.account_type.value)
    if profile.seller_status is not None:
        table.add_row("seller status", profile.seller_status.value)
    return table


def orders_table(orders: Iterable[Order], title: str) -> Table:
    table = Table(title=title)
    for column in ("order id", "created", "customer", "status", "total", "payment", "lines"):
        table.add_column(column, no_wrap=column in {"order id", "customer"})
    for order in orders:
        table.add_row(
            order.order_id,
            _when(order.created_at),
            order.customer_id,
            order.status.value
            + (f" ({order.cancellation_reason.value})" if order.cancellation_reason else ""),
            _money(order.totals.total),
            order.payment_state.value if order.payment_state else "-",
            str(sum(line.quantity for line in order.lines)),
        )
    return table


def order_detail(order: Order) -> list[Table]:
    summary = Table(title=f"Order {order.order_id}", show_header=False)
    summary.add_column("field", style="bold")
    summary.add_column("value")
    summary.add_row("status", order.status.value)
    if order.cancellation_reason:
        detail = f" - {escape(order.cancellation_detail)}" if order.cancellation_detail else ""
        summary.add_row(
            "cancelled", f"{order.cancellation_reason.value}{detail} at {_when(order.cancelled_at)}"
        )
    summary.add_row("customer", order.customer_id)
    summary.add_row("created", _when(order.created_at))
    summary.add_row("confirmed", _when(order.confirmed_at))
    totals = order.totals
    summary.add_row(
        "totals",
        f"subtotal {totals.subtotal}, shipping {totals.shipping}, tax {totals.tax}, total {totals.total}",
    )
    payment = order.payment
    state = order.payment_state.value if order.payment_state else "not yet authorised"
    summary.add_row("payment", f"{payment.method.kind.value}, {state}")
    summary.add_row(
        "money",
        f"captured {_money(payment.captured)}, refunded {order.refunded}, refundable {order.refundable}",
    )
    address = order.shipping_address
    summary.add_row(
        "ship to",
        escape(
            f"{address.full_name}, {address.line1}, {address.postal_code} {address.city}, {address.country}"
        ),
    )
    lines = Table(title="Lines")
    for column in ("product id", "name", "seller", "quantity", "unit price", "subtotal"):
        lines.add_column(column)
    for line in order.lines:
        lines.add_row(
            line.product_id,
            escape(line.name),
            line.seller_id,
            str(line.quantity),
            str(line.unit_price),
            str(line.subtotal),
        )
    tables = [summary, lines]
    if payment.refunds:
        refunds = Table(title="Refunds")
        for column in ("refund id", "amount", "to", "status", "reason", "requested"):
            refunds.add_column(column)
        for refund in payment.refunds:
            refunds.add_row(
                escape(refund.refund_id),
                str(refund.amount),
                refund.destination.value,
                refund.status.value,
                escape(refund.reason),
                _when(refund.requested_at),
            )
        tables.append(refunds)
    return tables


def stock_table(level: StockLevel) -> Table:
    table = Table(title=f"Stock of {level.product_id}")
    for column in ("warehouse", "available", "reserved", "sold", "priority"):
        table.add_column(column, justify="left" if column == "warehouse" else "right")
    for warehouse in level.in_priority_order():
        table.add_row(
            warehouse.warehouse_id,
            str(warehouse.available),
            str(warehouse.reserved),
            str(warehouse.sold),
            str(warehouse.priority),
        )
    table.add_section()
    table.add_row("total", str(level.available), str(level.reserved), str(level.sold), "", style="bold")
    return table


def problems_table(problems: Iterable[Any], title: str) -> Table:
    table = Table(title=title)
    table.add_column("line", justify="right")
    table.add_column("column")
    table.add_column("problem")
    for problem in problems:
        table.add_row(str(problem.line), problem.column, escape(problem.message))
    return table


def import_outcomes_table(outcomes: Iterable[Any], title: str) -> Table:
    table = Table(title=title)
    for column in ("line", "name", "result", "product id", "detail"):
        table.add_column(column, justify="right" if column == "line" else "left")
    styles = {
        "created": "green",
        "stocked": "green",
        "skipped": "yellow",
        "failed": "red",
        "rolled_back": "red",
    }
    for outcome in outcomes:
        table.add_row(
            str(outcome.line),
            escape(outcome.name),
            f"[{styles.get(outcome.action, '')}]{outcome.action}[/]",
            outcome.product_id or "-",
            escape(outcome.detail),
        )
    return table


def emails_table(emails: list[dict[str, Any]], show_bodies: bool) -> Table:
    table = Table(title=f"Emails ({len(emails)}, oldest first)")
    for column in ("to", "subject", "from", *(["body"] if show_bodies else [])):
        table.add_column(column)
    for email in emails:
        row = [
            escape(", ".join(email.get("to", []))),
            escape(str(email.get("subject"))),
            escape(str(email.get("from"))),
        ]
        if show_bodies:
            row.append(escape(str(email.get("body", ""))))
        table.add_row(*row)
    return table


def texts_table(texts: list[dict[str, Any]]) -> Table:
    table = Table(title=f"Texts ({len(texts)}, oldest first)")
    table.add_column("phone")
    table.add_column("text")
    for text in texts:
        table.add_row(escape(str(text.get("phone"))), escape(str(text.get("text"))))
    return table
