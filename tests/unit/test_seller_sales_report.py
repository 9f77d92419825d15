"""Specification of the daily sales report per seller: which orders count, the CSV file, the totals per
currency, one email per seller and day however often the day is run."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from commerce.accounts.model import UserProfile
from commerce.errors import DependencyFailure
from commerce.identity import Role
from commerce.money import Money
from commerce.notifications.ports import Notifier
from commerce.orders.model import CancellationReason, Order, ShippingAddress
from commerce.orders.pricing import PricedLine, Quote
from commerce.payments.model import PaymentMethod, PaymentMethodKind
from commerce.reports.model import COLUMNS, decimal, report_key, sales_by_seller
from commerce.reports.ports import ReportMailLog, ReportStore
from commerce.reports.service import CLAIM_LEASE, SellerSalesReports
from unit.fakes import FixedClock

DAY = date(2026, 12, 1)
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NIGHTLY = datetime(2026, 12, 2, 2, 15, tzinfo=UTC)  # when the schedule runs
ADDRESS = ShippingAddress("Ada Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "GB")
VISA = PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa")


def order(
    order_id: str,
    *lines: tuple[str, str, str, int, int],
    placed: datetime = MORNING,
    currency: str = "USD",
    confirmed: bool = True,
) -> Order:
    """``lines``: (product_id, seller_id, name, unit amount, quantity); confirmed a minute after placing."""
    priced = [PricedLine(p, s, Money(amount, currency), quantity) for p, s, _, amount, quantity in lines]
    subtotal = Money.zero(currency)
    for line in priced:
        subtotal += line.subtotal
    zero = Money.zero(currency)
    placed_order = Order.place(
        order_id,
        "customer-1",
        priced,
        {p: name for p, _, name, _, _ in lines},
        Quote(subtotal, zero, zero, subtotal, 0),
        ADDRESS,
        VISA,
        placed,
    )
    return placed_order.confirmed(placed + timedelta(minutes=1)) if confirmed else placed_order


# ---------------------------------------------------------------------- fakes
class PaymentsIndex:
    """Orders by the day of their last change, as ``by_payment_day`` keeps them."""

    def __init__(self, *orders: Order) -> None:
        self.orders = {o.order_id: o for o in orders}
        self.days_read: list[date] = []

    def payments_changed_on(self, day: date) -> Iterator[Order]:
        self.days_read.append(day)
        yield from (o for o in self.orders.values() if o.updated_at.astimezone(UTC).date() == day)


class Bucket(ReportStore):
    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.writes = 0
        self.failures = 0

    def put_csv(self, key: str, body: str) -> None:
        if self.failures:
            self.failures -= 1
            raise DependencyFailure("S3 is down", code="report_not_stored")
        self.files[key] = body
        self.writes += 1


class Directory:
    def __init__(self, *profiles: UserProfile) -> None:
        self.profiles = {p.user_id: p for p in profiles}

    def get(self, user_id: str) -> UserProfile | None:
        return self.profiles.get(user_id)


def seller(user_id: str, name: str = "Shop") -> UserProfile:
    return UserProfile(user_id, f"{user_id}@example.com", name, Role.SELLER, MORNING, MORNING)


class Outbox(Notifier):
    def __init__(self) -> None:
        self.emails: list[tuple[str, str, str]] = []
        self.failures = 0

    def email(self, to: str, subject: str, text: str, html: str | None = None) -> str:
        if self.failures:
            self.failures -= 1
            raise DependencyFailure("SES is down", code="email_not_sent")
        self.emails.append((to, subject, text))
        return f"message-{len(self.emails)}"

    def sms(self, phone: str, text: str) -> str:  # pragma: no cover - reports are emails
        raise AssertionError("no texts")


class MemoryMailLog(ReportMailLog):
    def __init__(self) -> None:
        self.markers: dict[tuple[str, date], tuple[str, datetime | None]] = {}

    def claim(
        self, seller_id: str, day: date, now: datetime, lease_until: datetime, keep_until: datetime
    ) -> bool:
        state, lease = self.markers.get((seller_id, day), ("", None))
        if state == "sent" or (state == "sending" and lease is not None and now < lease):
            return False
        self.markers[(seller_id, day)] = ("sending", lease_until)
        return True

    def sent(self, seller_id: str, day: date, message_id: str, now: datetime) -> None:
        self.markers[(seller_id, day)] = ("sent", None)

    def release(self, seller_id: str, day: date) -> None:
        del self.markers[(seller_id, day)]


def reports(*orders: Order) -> tuple[SellerSalesReports, Bucket, Outbox, PaymentsIndex]:
    index, bucket, outbox = PaymentsIndex(*orders), Bucket(), Outbox()
    directory = Directory(seller("seller-a", "Aurora Audio"), seller("seller-b", "Bolt Cables"))
    return (
        SellerSalesReports(index, bucket, directory, MemoryMailLog(), outbox, FixedClock(NIGHTLY)),
        bucket,
        outbox,
        index,
    )


def rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


# ---------------------------------------------------------------------- the file
def test_each_seller_gets_a_csv_of_their_own_lines_of_the_days_orders() -> None:
    mixed = order(
        "01JE0000000000000000000001",
        ("p-earbuds", "seller-a", "Aurora Earbuds", 7999, 2),
        ("p-cable", "seller-b", "USB-C Cable", 999, 3),
    )
    service, bucket, _, _ = reports(mixed)

    run = service.run()

    assert (run.day, run.sellers, run.files) == (DAY, 2, 2)
    assert set(bucket.files) == {
        "sellers/seller-a/sales/2026-12-01.csv",
        "sellers/seller-b/sales/2026-12-01.csv",
    }
    body = bucket.files[report_key("seller-a", DAY)]
    assert body.splitlines()[0] == ",".join(COLUMNS)
    assert rows(body) == [
        {
            "order_id": "01JE0000000000000000000001",
            "confirmed_at": "2026-12-01T09:01:00.000Z",
            "product_id": "p-earbuds",
            "product_name": "Aurora Earbuds",
            "quantity": "2",
            "unit_price": "79.99",
            "line_total": "159.98",
            "currency": "USD",
            "status": "confirmed",
        }
    ]
    assert [row["product_id"] for row in rows(bucket.files[report_key("seller-b", DAY)])] == ["p-cable"]


def test_lines_come_in_confirmation_order_and_names_with_commas_and_quotes_survive() -> None:
    late = order("01JE0000000000000000000002", ("p-2", "seller-a", 'The "Best", Cable', 500, 1))
    early = order(
        "01JE0000000000000000000009",
        ("p-1", "seller-a", "Earbuds", 7999, 1),
        placed=MORNING - timedelta(hours=2),
    )

    [sales] = sales_by_seller([late, early], DAY)

    assert [row["product_name"] for row in rows(sales.csv())] == ["Earbuds", 'The "Best", Cable']


def test_amounts_are_exact_decimals_of_their_currency() -> None:
    assert decimal(Money(1999, "USD")) == "19.99"
    assert decimal(Money(5, "EUR")) == "0.05"
    assert decimal(Money(-120, "GBP")) == "-1.20"
    assert decimal(Money(500, "JPY")) == "500"


def test_totals_are_per_currency_and_leave_out_cancelled_lines_which_stay_listed() -> None:
    usd = order("01JE0000000000000000000001", ("p-1", "seller-a", "Earbuds", 7999, 2))
    eur = order("01JE0000000000000000000002", ("p-2", "seller-a", "Kopfhörer", 4500, 1), currency="EUR")
    cancelled = order("01JE0000000000000000000003", ("p-1", "seller-a", "Earbuds", 7999, 1)).cancelled(
        CancellationReason.CUSTOMER_REQUEST, MORNING + timedelta(hours=1)
    )

    [sales] = sales_by_seller([usd, eur, cancelled], DAY)

    assert sales.totals == {"EUR": Money(4500, "EUR"), "USD": Money(15998, "USD")}
    assert [row["status"] for row in rows(sales.csv())] == ["confirmed", "confirmed", "cancelled"]
    assert (sales.order_count, sales.units) == (3, 3)


# ---------------------------------------------------------------------- which orders
def test_only_orders_confirmed_that_day_count_even_those_changed_since() -> None:
    on_the_day = order("01JE0000000000000000000001", ("p-1", "seller-a", "Earbuds", 7999, 1))
    shipped_next_night = on_the_day.shipped_by("seller-a", "UPS", "1Z1", NIGHTLY - timedelta(hours=1))
    day_before = order(
        "01JE0000000000000000000002",
        ("p-1", "seller-a", "Earbuds", 7999, 1),
        placed=MORNING - timedelta(days=1),
    )
    never_confirmed = order(
        "01JE0000000000000000000003", ("p-1", "seller-a", "Earbuds", 7999, 1), confirmed=False
    )
    confirmed_late = order(
        "01JE0000000000000000000004",
        ("p-1", "seller-a", "Earbuds", 7999, 1),
        placed=datetime(2026, 12, 1, 23, 59, 30, tzinfo=UTC),
    )  # placed on the day, confirmed on the next
    service, bucket, _, index = reports(shipped_next_night, day_before, never_confirmed, confirmed_late)

    service.run()

    assert index.days_read == [DAY, DAY + timedelta(days=1)], "the day, then every day since"
    [(order_id, status)] = [
        (row["order_id"], row["status"]) for row in rows(bucket.files[report_key("seller-a", DAY)])
    ]
    assert (order_id, status) == ("01JE0000000000000000000001", "shipped")


def test_an_order_read_twice_while_it_changes_is_listed_once_as_it_is_newest() -> None:
    first = order("01JE0000000000000000000001", ("p-1", "seller-a", "Earbuds", 7999, 1))
    newer = first.shipped_by("seller-a", "UPS", "1Z1", MORNING + timedelta(hours=3))

    [sales] = sales_by_seller([newer, first], DAY)

    assert [line.status.value for line in sales.lines] == ["shipped"]


def test_a_day_without_sales_writes_no_file_and_sends_no_email() -> None:
    service, bucket, outbox, _ = reports(
        order(
            "01JE0000000000000000000001",
            ("p-1", "seller-a", "Earbuds", 7999, 1),
            placed=MORNING - timedelta(days=1),
        )
    )

    run = service.run()

    assert (run.sellers, run.files, run.emails_sent) == (0, 0, 0)
    assert bucket.files == {} and outbox.emails == []


# ---------------------------------------------------------------------- the email, once
def test_each_seller_is_emailed_the_totals_and_where_the_file_is() -> None:
    service, _, outbox, _ = reports(
        order(
            "01JE0000000000000000000001",
            ("p-1", "seller-a", "Earbuds", 7999, 2),
            ("p-2", "seller-b", "Cable", 999, 1),
        ),
        order("01JE0000000000000000000002", ("p-3", "seller-a", "Kopfhörer", 4500, 1), currency="EUR"),
    )

    assert service.run().emails_sent == 2

    by_recipient = {to: (subject, text) for to, subject, text in outbox.emails}
    subject, text = by_recipient["seller-a@example.com"]
    assert subject == "Your sales on 2026-12-01"
    assert "Hello Aurora Audio," in text
    assert "2 orders, 3 units" in text
    assert "45.00 EUR" in text and "159.98 USD" in text
    assert "sellers/seller-a/sales/2026-12-01.csv" in text
    assert "9.99 USD" in by_recipient["seller-b@example.com"][1]


def test_running_the_day_again_rewrites_the_same_files_and_emails_nobody_twice() -> None:
    service, bucket, outbox, _ = reports(
        order(
            "01JE0000000000000000000001",
            ("p-1", "seller-a", "Earbuds", 7999, 2),
            ("p-2", "seller-b", "Cable", 999, 1),
        )
    )
    first = service.run()
    files = dict(bucket.files)

    again = service.run(DAY)

    assert (again.files, again.emails_sent, again.already_emailed) == (2, 0, 2)
    assert bucket.files == files and bucket.writes == 4
    assert len(outbox.emails) == first.emails_sent == 2


def test_a_file_that_cannot_be_stored_is_not_announced_and_the_next_run_completes_it() -> None:
    service, bucket, outbox, _ = reports(
        order("01JE0000000000000000000001", ("p-1", "seller-a", "Earbuds", 7999, 1))
    )
    bucket.failures = 1

    first = service.run()
    second = service.run()

    assert (first.failed, first.files, first.emails_sent) == (1, 0, 0)
    assert (second.failed, second.files, second.emails_sent) == (0, 1, 1)
    assert len(outbox.emails) == 1


def test_an_email_that_fails_is_sent_when_the_day_is_run_again() -> None:
    service, _, outbox, _ = reports(
        order("01JE0000000000000000000001", ("p-1", "seller-a", "Earbuds", 7999, 1))
    )
    outbox.failures = 1

    assert service.run().failed == 1
    assert service.run().emails_sent == 1
    assert len(outbox.emails) == 1


def test_a_claim_left_by_a_run_that_died_holds_for_its_lease() -> None:
    service, _, outbox, _ = reports(
        order("01JE0000000000000000000001", ("p-1", "seller-a", "Earbuds", 7999, 1))
    )
    assert service.log.claim("seller-a", DAY, NIGHTLY, NIGHTLY + CLAIM_LEASE, NIGHTLY + timedelta(days=400))

    during = service.run(DAY, NIGHTLY + CLAIM_LEASE - timedelta(seconds=1))
    after = service.run(DAY, NIGHTLY + CLAIM_LEASE)

    assert (during.already_emailed, after.emails_sent) == (1, 1)
    assert len(outbox.emails) == 1


def test_the_default_day_is_yesterday_in_utc() -> None:
    service, _, _, index = reports()

    assert service.run().day == DAY
    assert service.run(now=datetime(2026, 12, 2, 0, 30, tzinfo=UTC)).day == DAY
    assert index.days_read[-2:] == [DAY, DAY + timedelta(days=1)]


def test_a_seller_without_a_profile_still_gets_the_file_but_no_email() -> None:
    service, bucket, outbox, _ = reports(
        order("01JE0000000000000000000001", ("p-1", "seller-z", "Earbuds", 7999, 1))
    )

    run = service.run()

    assert (run.files, run.no_address, run.emails_sent) == (1, 1, 0)
    assert list(bucket.files) == ["sellers/seller-z/sales/2026-12-01.csv"]
    assert outbox.emails == []
