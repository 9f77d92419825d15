"""Specification of abandoned-cart reminders: which carts are due, one email per idle period, what
the email says; and the send-once markers on moto's DynamoDB."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from commerce.accounts.model import UserProfile
from commerce.adapters.dynamodb_job_markers import DynamoDBReminderLog
from commerce.carts.model import CART_TTL, Cart, CartLine, new_guest_cart_id
from commerce.errors import DependencyFailure
from commerce.identity import Role
from commerce.money import Money
from commerce.notifications.ports import Notifier
from commerce.reminders.model import REMIND_AFTER, REMINDER_WINDOW, is_due, reminder_due_at, reminder_email
from commerce.reminders.ports import ReminderLog
from commerce.reminders.service import CLAIM_LEASE, CartReminders
from moto_table import dynamodb_table
from unit.fakes import FixedClock

CHANGED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
CUSTOMER = "4f0c2d1e-7a4b-4a8e-9d55-1b2c3d4e5f60"


def line(product_id: str = "p-1", amount: int = 7999, quantity: int = 1, name: str | None = None) -> CartLine:
    return CartLine(
        product_id, quantity, Money(amount, "USD"), CHANGED, CHANGED, name or f"Product {product_id}"
    )


def cart(*lines: CartLine, cart_id: str = CUSTOMER, at: datetime = CHANGED) -> Cart:
    return Cart(cart_id).touched(at, tuple(lines))


# ---------------------------------------------------------------------- fakes
class IndexOfEveryCart:
    """An index that never forgets a cart (the worst a lagging index can do): the service must
    judge every cart it is offered. Records the windows asked for."""

    def __init__(self, *carts: Cart) -> None:
        self.carts = {c.cart_id: c for c in carts}
        self.windows: list[tuple[datetime, datetime]] = []

    def due_for_reminder(self, due_from: datetime, due_until: datetime) -> Iterator[Cart]:
        self.windows.append((due_from, due_until))
        yield from list(self.carts.values())


class Directory:
    def __init__(self, *profiles: UserProfile) -> None:
        self.profiles = {p.user_id: p for p in profiles}

    def get(self, user_id: str) -> UserProfile | None:
        return self.profiles.get(user_id)


def customer(user_id: str = CUSTOMER, email: str = "ada@example.com", name: str = "Ada") -> UserProfile:
    return UserProfile(user_id, email, name, Role.CUSTOMER, CHANGED, CHANGED)


class Outbox(Notifier):
    def __init__(self) -> None:
        self.emails: list[dict[str, str | None]] = []
        self.failures = 0

    def email(self, to: str, subject: str, text: str, html: str | None = None) -> str:
        if self.failures:
            self.failures -= 1
            raise DependencyFailure("SES is down", code="email_not_sent")
        self.emails.append({"to": to, "subject": subject, "text": text, "html": html})
        return f"message-{len(self.emails)}"

    def sms(self, phone: str, text: str) -> str:  # pragma: no cover - reminders are emails
        raise AssertionError("no texts")


class MemoryReminderLog(ReminderLog):
    """The port's semantics in a dict: a claim is taken once, unless left sending past its lease."""

    def __init__(self) -> None:
        #: (cart, idle since) -> (state, lease until)
        self.markers: dict[tuple[str, datetime], tuple[str, datetime | None]] = {}
        self._lock = threading.Lock()

    def claim(
        self, cart_id: str, idle_since: datetime, now: datetime, lease_until: datetime, keep_until: datetime
    ) -> bool:
        with self._lock:
            state, lease = self.markers.get((cart_id, idle_since), ("", None))
            if state == "sent" or (state == "sending" and lease is not None and now < lease):
                return False
            self.markers[(cart_id, idle_since)] = ("sending", lease_until)
            return True

    def sent(self, cart_id: str, idle_since: datetime, message_id: str, now: datetime) -> None:
        self.markers[(cart_id, idle_since)] = ("sent", None)

    def release(self, cart_id: str, idle_since: datetime) -> None:
        del self.markers[(cart_id, idle_since)]


def reminders(
    *carts: Cart, profiles: tuple[UserProfile, ...] = (customer(),), now: datetime | None = None
) -> tuple[CartReminders, Outbox, MemoryReminderLog, IndexOfEveryCart]:
    outbox, log, index = Outbox(), MemoryReminderLog(), IndexOfEveryCart(*carts)
    service = CartReminders(
        index, Directory(*profiles), log, outbox, FixedClock(now or CHANGED + REMIND_AFTER)
    )
    return service, outbox, log, index


# ---------------------------------------------------------------------- which carts are due
def test_a_customers_cart_with_lines_is_due_twenty_hours_after_its_last_change() -> None:
    assert reminder_due_at(cart(line())) == CHANGED + timedelta(hours=20)
    assert REMIND_AFTER < CART_TTL, "reminded while the cart still exists"
    assert CART_TTL - REMINDER_WINDOW == REMIND_AFTER, "the window ends when the cart expires"


def test_guest_carts_and_empty_carts_are_never_due() -> None:
    assert reminder_due_at(cart(line(), cart_id=new_guest_cart_id())) is None
    assert reminder_due_at(cart()) is None


@pytest.mark.parametrize(
    ("idle", "due"),
    [
        (REMIND_AFTER - timedelta(seconds=1), False),
        (REMIND_AFTER, True),
        (CART_TTL - timedelta(seconds=1), True),
        (CART_TTL, False),  # expired: nothing left to come back to
    ],
)
def test_a_cart_is_due_from_twenty_hours_idle_until_it_expires(idle: timedelta, due: bool) -> None:
    assert is_due(cart(line()), CHANGED + idle) is due


def test_a_cart_being_checked_out_is_not_due() -> None:
    now = CHANGED + REMIND_AFTER
    locked = replace(cart(line()), checkout_order_id="order-1", checkout_until=now + timedelta(minutes=5))
    assert not is_due(locked, now)
    assert is_due(locked, now + timedelta(minutes=5)), "a lock past its deadline holds nothing"


# ---------------------------------------------------------------------- the job
def test_an_idle_cart_gets_one_email_with_its_lines_prices_and_a_link_to_the_cart() -> None:
    idle = cart(line("p-1", 7999, 2, "Aurora Earbuds"), line("p-2", 999, 1, "USB-C Cable"))
    service, outbox, _, index = reminders(idle)

    run = service.run()

    assert (run.checked, run.sent) == (1, 1)
    assert index.windows == [(CHANGED + REMIND_AFTER - REMINDER_WINDOW, CHANGED + REMIND_AFTER)]
    [email] = outbox.emails
    assert email["to"] == "ada@example.com"
    assert email["subject"] == "You left 3 items in your cart"
    text = str(email["text"])
    assert "Hello Ada," in text
    assert "- Aurora Earbuds x 2 at 79.99 USD = 159.98 USD" in text
    assert "- USB-C Cable x 1 at 9.99 USD = 9.99 USD" in text
    assert "Total: 169.97 USD" in text
    assert "until 2026-12-02 09:30 UTC" in text
    assert "/cart" in text
    assert '<a href="/cart">' in str(email["html"])


def test_running_again_in_the_same_idle_period_sends_nothing_more() -> None:
    service, outbox, _, _ = reminders(cart(line()))
    service.run()

    again = service.run(CHANGED + REMIND_AFTER + timedelta(hours=1))

    assert (again.sent, again.already_sent) == (0, 1)
    assert len(outbox.emails) == 1


def test_concurrent_runs_send_one_email() -> None:
    service, outbox, _, _ = reminders(cart(line()))
    barrier = threading.Barrier(8)

    def run() -> None:
        barrier.wait()
        service.run()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outbox.emails) == 1


def test_a_change_after_the_reminder_starts_a_new_idle_period_that_gets_its_own() -> None:
    service, outbox, _, index = reminders(cart(line()))
    service.run()
    changed_again = CHANGED + REMIND_AFTER + timedelta(minutes=30)
    index.carts[CUSTOMER] = cart(line(quantity=3), at=changed_again)

    too_soon = service.run(changed_again + timedelta(hours=1))
    later = service.run(changed_again + REMIND_AFTER)

    assert (too_soon.sent, too_soon.not_due) == (0, 1)
    assert later.sent == 1
    assert [email["subject"] for email in outbox.emails] == [
        "You left 1 item in your cart",
        "You left 3 items in your cart",
    ]


def test_guest_empty_and_expired_carts_get_nothing_even_when_the_index_offers_them() -> None:
    guest = cart(line(), cart_id=new_guest_cart_id())
    empty = cart(cart_id="customer-empty")
    expired = cart(line(), cart_id="customer-expired", at=CHANGED - timedelta(hours=5))
    profiles = (customer(), customer("customer-empty"), customer("customer-expired"))
    service, outbox, _, _ = reminders(guest, empty, expired, profiles=profiles)

    run = service.run()

    assert (run.checked, run.not_due, run.sent) == (3, 3, 0)
    assert outbox.emails == []


def test_a_customer_without_a_profile_is_skipped() -> None:
    service, outbox, log, _ = reminders(cart(line()), profiles=())

    assert service.run().no_address == 1
    assert outbox.emails == [] and log.markers == {}


def test_an_email_that_fails_is_sent_by_the_next_run() -> None:
    service, outbox, log, _ = reminders(cart(line()))
    outbox.failures = 1

    first = service.run()
    second = service.run(CHANGED + REMIND_AFTER + timedelta(hours=1))

    assert (first.failed, first.sent) == (1, 0)
    assert second.sent == 1
    assert len(outbox.emails) == 1
    assert [state for state, _ in log.markers.values()] == ["sent"]


def test_a_claim_left_by_a_run_that_died_is_taken_over_once_its_lease_runs_out() -> None:
    now = CHANGED + REMIND_AFTER
    service, outbox, log, _ = reminders(cart(line()))
    assert log.claim(CUSTOMER, CHANGED, now, now + CLAIM_LEASE, now + timedelta(days=2))  # then it died

    during = service.run(now + CLAIM_LEASE - timedelta(seconds=1))
    after = service.run(now + CLAIM_LEASE)

    assert (during.already_sent, after.sent) == (1, 1)
    assert len(outbox.emails) == 1


def test_the_email_escapes_product_names_in_html() -> None:
    email = reminder_email(cart(line(name="<b>Bold</b> & Co")), "Ada", "/cart")

    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in email.html
    assert "<b>Bold</b> & Co" in email.text


# ---------------------------------------------------------------------- the markers in DynamoDB
def test_the_dynamodb_log_lets_one_of_many_concurrent_claims_through() -> None:
    now = CHANGED + REMIND_AFTER
    with dynamodb_table("notifications") as (client, table):
        log = DynamoDBReminderLog(client, table)
        barrier = threading.Barrier(10)
        results: list[bool] = []

        def claim() -> None:
            barrier.wait()
            results.append(log.claim(CUSTOMER, CHANGED, now, now + CLAIM_LEASE, now + timedelta(days=1)))

        threads = [threading.Thread(target=claim) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(results) == [False] * 9 + [True]


def test_the_dynamodb_log_keeps_a_sent_marker_and_gives_back_a_released_claim() -> None:
    now = CHANGED + REMIND_AFTER
    lease, keep = now + CLAIM_LEASE, now + timedelta(days=1)
    later = now + timedelta(hours=1)
    with dynamodb_table("notifications") as (client, table):
        log = DynamoDBReminderLog(client, table)
        assert log.claim(CUSTOMER, CHANGED, now, lease, keep)
        log.sent(CUSTOMER, CHANGED, "message-1", now)
        log.release(CUSTOMER, CHANGED)  # a sent marker is not given back

        assert not log.claim(CUSTOMER, CHANGED, later, later + CLAIM_LEASE, keep)
        other_period = CHANGED + timedelta(minutes=1)
        assert log.claim(CUSTOMER, other_period, now, lease, keep)
        log.release(CUSTOMER, other_period)
        assert log.claim(CUSTOMER, other_period, now, lease, keep)
        assert not log.claim(CUSTOMER, other_period, now, lease, keep), "a live claim holds"
        assert log.claim(CUSTOMER, other_period, lease, lease + CLAIM_LEASE, keep), "a lapsed one does not"
        assert log.claim(CUSTOMER, CHANGED, keep, keep + CLAIM_LEASE, keep + CLAIM_LEASE), "expired"
