"""Notifications and watches as a story about customers: each is told once, whatever is delivered twice
or fails half way, and watchers hear once when a product is back."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from commerce.adapters.dynamodb import decode_cursor, encode_cursor
from commerce.errors import DependencyFailure, InvalidInput, NotFound
from commerce.money import Money
from commerce.notifications.model import (
    MARKER_TTL,
    BackInStock,
    Channel,
    Delivery,
    OrderConfirmed,
    OrderLine,
    OrderShipped,
    ProductSummary,
    Recipient,
    Watch,
)
from commerce.notifications.ports import (
    Catalogue,
    Claim,
    DeliveryLedger,
    Notifier,
    Recipients,
    Refusal,
    WatchPage,
    WatchRepository,
)
from commerce.notifications.service import (
    CLAIM_LEASE,
    NotificationService,
    NotificationsNotSent,
    WatchService,
)
from unit.fakes import FixedClock

ORDER = "01JD3Q8Z6V8Y4WJ1M5T9K2C7RA"
PRODUCT = "01JD3Q8Z6V8Y4WJ1M5T9K2C7RB"
ADA = Recipient("c-ada", "ada@example.com", "Ada", "+14155550100", sms_opt_in=True)
BOB = Recipient("c-bob", "bob@example.com", "Bob")
CY = Recipient("c-cy", "cy@example.com", "Cy")


# ------------------------------------------------------------------------------------------------ fakes


@dataclass
class FakeNotifier(Notifier):
    """Records what it sends; ``failing`` holds addresses and phones whose next sends fail."""

    emails: list[tuple[str, str]] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    failing: dict[str, int] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def _fail(self, to: str) -> None:
        if self.failing.get(to, 0) > 0:
            self.failing[to] -= 1
            raise DependencyFailure(f"provider refused {to}", code="email_not_sent")

    def email(self, to: str, subject: str, text: str, html: str | None = None) -> str:
        self._fail(to)
        self.emails.append((to, subject))
        return f"m-{next(self._ids)}"

    def sms(self, phone: str, text: str) -> str:
        self._fail(phone)
        self.texts.append((phone, text))
        return f"m-{next(self._ids)}"


@dataclass
class FakeRecipients(Recipients):
    known: dict[str, Recipient] = field(default_factory=dict)

    def recipient(self, customer_id: str) -> Recipient | None:
        return self.known.get(customer_id)


@dataclass
class FakeCatalogue(Catalogue):
    products: dict[str, ProductSummary] = field(default_factory=dict)

    def summaries(self, product_ids: Iterable[str]) -> dict[str, ProductSummary]:
        return {p: self.products[p] for p in product_ids if p in self.products}


@dataclass
class _Marker:
    state: str
    token: str
    until: datetime
    expires: datetime


@dataclass
class FakeLedger(DeliveryLedger):
    """The ledger's contract in a dict (the DynamoDB adapter is held to the same rules)."""

    markers: dict[str, _Marker] = field(default_factory=dict)

    def claim(self, delivery: Delivery, token: str, now: datetime, lease: timedelta) -> Claim | Refusal:
        held = self.markers.get(delivery.key)
        if held is not None and held.expires >= now and not (held.state == "claimed" and held.until < now):
            return Refusal.SENT if held.state == "sent" else Refusal.BUSY
        self.markers[delivery.key] = _Marker("claimed", token, now + lease, now + MARKER_TTL)
        return Claim(delivery, token, now + lease)

    def sent(self, claim: Claim, message_id: str, now: datetime) -> None:
        self.markers[claim.delivery.key].state = "sent"

    def release(self, claim: Claim) -> None:
        held = self.markers.get(claim.delivery.key)
        if held is not None and held.state == "claimed" and held.token == claim.token:
            del self.markers[claim.delivery.key]


@dataclass
class FakeWatches(WatchRepository):
    watches: dict[tuple[str, str], Watch] = field(default_factory=dict)

    def add(self, watch: Watch) -> tuple[Watch, bool]:
        key = (watch.customer_id, watch.product_id)
        if key in self.watches:
            return self.watches[key], False
        self.watches[key] = watch
        return watch, True

    def remove(self, customer_id: str, product_id: str) -> None:
        self.watches.pop((customer_id, product_id), None)

    def remove_told(self, watch: Watch) -> None:
        key = (watch.customer_id, watch.product_id)
        if self.watches.get(key) == watch:
            del self.watches[key]

    def of_customer(self, customer_id: str, cursor: str | None, limit: int) -> WatchPage:
        mine = sorted(
            (w for w in self.watches.values() if w.customer_id == customer_id),
            key=lambda w: (w.created_at, w.product_id),
            reverse=True,
        )
        start = int(decode_cursor(cursor, {"at"})["at"]) if cursor else 0
        page = mine[start : start + limit]
        more = start + limit < len(mine)
        return WatchPage(page, encode_cursor({"at": start + limit}) if more else None)

    def watchers(self, product_id: str) -> Iterator[Watch]:
        yield from [w for w in self.watches.values() if w.product_id == product_id]


@dataclass
class World:
    clock: FixedClock = field(default_factory=FixedClock)
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    recipients: FakeRecipients = field(
        default_factory=lambda: FakeRecipients({r.customer_id: r for r in (ADA, BOB, CY)})
    )
    catalogue: FakeCatalogue = field(
        default_factory=lambda: FakeCatalogue({PRODUCT: ProductSummary(PRODUCT, "Aurora X2 Earbuds")})
    )
    ledger: FakeLedger = field(default_factory=FakeLedger)
    watches: FakeWatches = field(default_factory=FakeWatches)

    @property
    def service(self) -> NotificationService:
        return NotificationService(
            self.notifier, self.recipients, self.catalogue, self.ledger, self.watches, self.clock
        )

    @property
    def watch_service(self) -> WatchService:
        return WatchService(self.watches, self.catalogue, self.clock)

    def watch(self, *recipients: Recipient) -> None:
        for recipient in recipients:
            self.watch_service.watch(recipient.customer_id, PRODUCT)


@pytest.fixture
def world() -> World:
    return World()


def confirmed(customer: Recipient = ADA, event_id: str = "evt-1") -> OrderConfirmed:
    return OrderConfirmed(event_id, ORDER, customer.customer_id, Money(7999, "USD"), (OrderLine(PRODUCT, 1),))


# ------------------------------------------------------------------------------------------------ orders


def test_a_confirmed_order_emails_the_customer_and_texts_them_when_they_opted_in(world: World) -> None:
    outcome = world.service.notify(confirmed(ADA))
    assert world.notifier.emails == [("ada@example.com", f"Order {ORDER} confirmed")]
    assert [phone for phone, _ in world.notifier.texts] == ["+14155550100"]
    assert [d.channel for d in outcome.sent] == [Channel.EMAIL, Channel.SMS]


def test_a_customer_who_did_not_opt_in_gets_no_text(world: World) -> None:
    world.service.notify(confirmed(BOB))
    assert world.notifier.emails == [("bob@example.com", f"Order {ORDER} confirmed")]
    assert world.notifier.texts == []


def test_an_event_delivered_twice_notifies_once(world: World) -> None:
    world.service.notify(confirmed(ADA))
    again = world.service.notify(confirmed(ADA))
    assert len(world.notifier.emails) == 1
    assert len(world.notifier.texts) == 1
    assert again.sent == []
    assert len(again.already_sent) == 2


def test_an_order_event_republished_under_a_new_id_notifies_once(world: World) -> None:
    world.service.notify(confirmed(ADA, event_id="evt-1"))
    world.service.notify(confirmed(ADA, event_id="evt-2"))
    assert len(world.notifier.emails) == 1


def test_each_shipment_of_an_order_is_told(world: World) -> None:
    for seller, tracking in (("s-1", "T1"), ("s-2", "T2")):
        world.service.notify(OrderShipped("e", ORDER, BOB.customer_id, seller, "DHL", tracking))
    assert len(world.notifier.emails) == 2


def test_a_customer_who_does_not_exist_is_nobody_to_tell_not_an_error(world: World) -> None:
    outcome = world.service.notify(OrderConfirmed("e", ORDER, "c-gone", Money(1, "USD")))
    assert outcome.unknown_customers == ["c-gone"]
    assert world.notifier.emails == []


def test_a_failed_email_is_retried_while_the_text_that_went_out_is_not_repeated(world: World) -> None:
    world.notifier.failing["ada@example.com"] = 1
    with pytest.raises(NotificationsNotSent) as raised:
        world.service.notify(confirmed(ADA))
    assert raised.value.code == "notification_not_sent"
    assert [d.channel for d, _ in raised.value.failed] == [Channel.EMAIL]
    assert len(world.notifier.texts) == 1  # the other channel was still tried
    # WHEN the queue delivers the event again
    retried = world.service.notify(confirmed(ADA))
    assert [d.channel for d in retried.sent] == [Channel.EMAIL]
    assert [d.channel for d in retried.already_sent] == [Channel.SMS]
    assert len(world.notifier.emails) == 1
    assert len(world.notifier.texts) == 1


def test_a_delivery_being_sent_by_another_copy_of_the_event_is_left_to_it(world: World) -> None:
    email = Delivery(confirmed().notice_key, ADA.customer_id, Channel.EMAIL)
    world.ledger.claim(email, "other", world.clock(), CLAIM_LEASE)
    outcome = world.service.notify(confirmed(ADA))
    assert outcome.in_progress == [email]
    assert world.notifier.emails == []


def test_a_claim_whose_sender_died_lapses_and_the_retry_sends(world: World) -> None:
    email = Delivery(confirmed().notice_key, ADA.customer_id, Channel.EMAIL)
    world.ledger.claim(email, "died", world.clock(), CLAIM_LEASE)
    world.clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)
    outcome = world.service.notify(confirmed(ADA))
    assert email in outcome.sent
    assert len(world.notifier.emails) == 1


def test_the_lease_outlives_the_function_and_lapses_before_the_queue_redelivers() -> None:
    function_timeout, visibility_timeout = timedelta(seconds=30), timedelta(seconds=180)
    assert function_timeout < CLAIM_LEASE < visibility_timeout


def test_a_marker_past_its_expiry_counts_as_never_sent(world: World) -> None:
    world.service.notify(confirmed(BOB))
    world.clock.advance(days=MARKER_TTL.days + 1)
    world.service.notify(confirmed(BOB))
    assert len(world.notifier.emails) == 2


# ------------------------------------------------------------------------------------------------ back in stock


def back_in_stock(event_id: str = "evt-stock") -> BackInStock:
    return BackInStock(event_id, PRODUCT, 5)


def test_every_watcher_is_told_once_and_their_watch_is_removed(world: World) -> None:
    world.watch(ADA, BOB)
    outcome = world.service.notify(back_in_stock())
    assert sorted(to for to, _ in world.notifier.emails) == ["ada@example.com", "bob@example.com"]
    assert world.notifier.emails[0][1] == "Aurora X2 Earbuds is back in stock"
    assert [phone for phone, _ in world.notifier.texts] == ["+14155550100"]
    assert outcome.watches_removed == 2
    assert world.watches.watches == {}
    world.service.notify(back_in_stock())
    assert len(world.notifier.emails) == 2


def test_a_watcher_whose_email_failed_keeps_their_watch_and_is_told_on_retry(world: World) -> None:
    world.watch(BOB, CY)
    world.notifier.failing["bob@example.com"] = 1
    with pytest.raises(NotificationsNotSent):
        world.service.notify(back_in_stock())
    assert list(world.watches.watches) == [(BOB.customer_id, PRODUCT)]
    world.service.notify(back_in_stock())
    assert sorted(to for to, _ in world.notifier.emails) == ["bob@example.com", "cy@example.com"]
    assert world.watches.watches == {}


def test_a_watch_being_told_by_another_copy_of_the_event_is_left_for_it_to_remove(world: World) -> None:
    world.watch(BOB)
    email = Delivery(back_in_stock().notice_key, BOB.customer_id, Channel.EMAIL)
    world.ledger.claim(email, "other", world.clock(), CLAIM_LEASE)
    world.service.notify(back_in_stock())
    assert (BOB.customer_id, PRODUCT) in world.watches.watches


def test_the_watch_of_a_customer_who_is_gone_is_removed(world: World) -> None:
    world.watch(BOB)
    del world.recipients.known[BOB.customer_id]
    outcome = world.service.notify(back_in_stock())
    assert outcome.unknown_customers == [BOB.customer_id]
    assert world.watches.watches == {}


@pytest.mark.parametrize(
    "product", [None, ProductSummary(PRODUCT, "Aurora", active=False)], ids=["gone", "archived"]
)
def test_nobody_is_told_of_a_product_they_cannot_buy(world: World, product: ProductSummary | None) -> None:
    world.watch(BOB)
    if product is None:
        del world.catalogue.products[PRODUCT]
    else:
        world.catalogue.products[PRODUCT] = product
    world.service.notify(back_in_stock())
    assert world.notifier.emails == []
    assert (BOB.customer_id, PRODUCT) in world.watches.watches


# ------------------------------------------------------------------------------------------------ watches


def test_watching_twice_keeps_one_watch(world: World) -> None:
    first, created = world.watch_service.watch(BOB.customer_id, PRODUCT)
    world.clock.advance(seconds=5)
    again, created_again = world.watch_service.watch(BOB.customer_id, PRODUCT)
    assert (created, created_again) == (True, False)
    assert again.watch == first.watch
    assert again.product is not None and again.product.name == "Aurora X2 Earbuds"


@pytest.mark.parametrize(
    "product", [None, ProductSummary(PRODUCT, "Aurora", active=False)], ids=["unknown", "archived"]
)
def test_a_product_that_cannot_be_bought_cannot_be_watched(
    world: World, product: ProductSummary | None
) -> None:
    if product is None:
        del world.catalogue.products[PRODUCT]
    else:
        world.catalogue.products[PRODUCT] = product
    with pytest.raises(NotFound) as raised:
        world.watch_service.watch(BOB.customer_id, PRODUCT)
    assert raised.value.code == "product_not_found"
    assert world.watches.watches == {}


def test_unwatching_what_is_not_watched_is_fine(world: World) -> None:
    world.watch_service.unwatch(BOB.customer_id, PRODUCT)
    world.watch(BOB)
    world.watch_service.unwatch(BOB.customer_id, PRODUCT)
    world.watch_service.unwatch(BOB.customer_id, PRODUCT)
    assert world.watches.watches == {}


def test_a_customer_sees_their_watches_newest_first_page_by_page(world: World) -> None:
    products = [f"01JD3Q8Z6V8Y4WJ1M5T9K2C7R{c}" for c in "CDE"]
    for product_id in products:
        world.catalogue.products[product_id] = ProductSummary(product_id, f"P{product_id[-1]}")
        world.watch_service.watch(BOB.customer_id, product_id)
        world.clock.advance(seconds=1)
    world.watch_service.watch(CY.customer_id, products[0])
    first = world.watch_service.watching(BOB.customer_id, limit=2)
    assert [v.watch.product_id for v in first.items] == products[:0:-1]
    assert first.next_cursor is not None
    rest = world.watch_service.watching(BOB.customer_id, first.next_cursor, limit=2)
    assert [v.watch.product_id for v in rest.items] == products[:1]
    assert rest.next_cursor is None


def test_a_watched_product_that_is_gone_is_listed_without_details(world: World) -> None:
    world.watch(BOB)
    del world.catalogue.products[PRODUCT]
    [view] = world.watch_service.watching(BOB.customer_id).items
    assert view.product is None


@pytest.mark.parametrize("limit", [0, 101])
def test_a_page_holds_one_to_a_hundred_watches(world: World, limit: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.watch_service.watching(BOB.customer_id, limit=limit)
    assert raised.value.code == "invalid_limit"
