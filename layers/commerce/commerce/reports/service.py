"""The daily sales report per seller.

Which orders: those confirmed on the day. The orders table indexes an order by the day of its
last change (``by_payment_day``), and an order confirmed on a day can only have changed on that
day or later (shipped, refunded, cancelled), so the run reads that day's index and every day's
after it up to today, and keeps the orders confirmed on the day. The nightly run reads one day
and two hours; re-running an old day reads every day since, which is the price of a report that
does not lose the orders that changed after it was first made.

Running a day again rewrites the same files (same key, the lines as they are now) and sends no
second email: each seller's email is claimed in the mail log before it is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from commerce.clock import Clock
from commerce.errors import DependencyFailure
from commerce.notifications.ports import Notifier
from commerce.orders.model import Order
from commerce.reports.model import SellerSales, report_email, sales_by_seller
from commerce.reports.ports import OrdersByPaymentDay, ReportMailLog, ReportStore, UserDirectory

__all__ = ["CLAIM_LEASE", "MARKER_KEPT", "SalesReportRun", "SellerSalesReports"]

#: Longer than the jobs function may run (900 s): a claim older than this was left by a dead run.
CLAIM_LEASE = timedelta(minutes=16)
#: As long as the reports bucket keeps the files: re-running a day within it never emails twice.
MARKER_KEPT = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class SalesReportRun:
    day: date
    #: Sellers with sales on the day (one file each).
    sellers: int = 0
    files: int = 0
    emails_sent: int = 0
    #: Sellers already emailed for the day (by an earlier or a concurrent run).
    already_emailed: int = 0
    no_address: int = 0
    #: Sellers whose file or email failed; running the day again completes them.
    failed: int = 0

    def summary(self) -> dict[str, Any]:
        return {**asdict(self), "day": self.day.isoformat()}


@dataclass
class SellerSalesReports:
    orders: OrdersByPaymentDay
    store: ReportStore
    users: UserDirectory
    log: ReportMailLog
    notifier: Notifier
    clock: Clock

    def run(self, day: date | None = None, now: datetime | None = None) -> SalesReportRun:
        """Report ``day`` (default: yesterday, UTC) for every seller who sold on it."""
        now = now or self.clock()
        today = now.astimezone(UTC).date()
        day = day or today - timedelta(days=1)
        reports = sales_by_seller(self._changed_since(day, today), day)
        outcomes = {"files": 0, "emails_sent": 0, "already_emailed": 0, "no_address": 0, "failed": 0}
        for sales in reports:
            try:
                self.store.put_csv(sales.key, sales.csv())
            except DependencyFailure:
                outcomes["failed"] += 1
                continue
            outcomes["files"] += 1
            outcomes[self._email(sales, now)] += 1
        return SalesReportRun(day=day, sellers=len(reports), **outcomes)

    def _changed_since(self, day: date, today: date) -> Iterator[Order]:
        """Oldest day first: an order changing during the run moves to a later day, read later."""
        current = day
        while current <= today:
            yield from self.orders.payments_changed_on(current)
            current += timedelta(days=1)

    def _email(self, sales: SellerSales, now: datetime) -> str:
        if not self.log.claim(sales.seller_id, sales.day, now, now + CLAIM_LEASE, now + MARKER_KEPT):
            return "already_emailed"
        seller = self.users.get(sales.seller_id)
        if seller is None or not seller.email:
            self.log.release(sales.seller_id, sales.day)
            return "no_address"
        email = report_email(sales, seller.name)
        try:
            message_id = self.notifier.email(seller.email, email.subject, email.text)
        except DependencyFailure:
            self.log.release(sales.seller_id, sales.day)
            return "failed"
        self.log.sent(sales.seller_id, sales.day, message_id, now)
        return "emails_sent"
