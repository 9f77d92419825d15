"""Notification use cases: tell customers about their orders and watched products, once each, and let
them watch products that are sold out.

"Once, however often the event is delivered": EventBridge and SQS deliver at least once, and a send can
fail half way (the email went out, the text did not). So every delivery (one message, one recipient,
one channel) is claimed in the ledger before it is sent and marked sent after. A redelivery finds it
sent and skips it; a delivery whose send failed gave its claim back and is sent by the retry; a sender
that died holding a claim loses it when the lease lapses. The lease is longer than the function runs
(30 s) and shorter than the queue's visibility timeout (180 s), so a retry always finds a dead sender's
claim lapsed, and a live sender is never doubled. The one window left: a send that succeeded but whose
"sent" mark was lost, retried after the lease; SES and SNS take no idempotency key to close it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from commerce.clock import Clock
from commerce.errors import DependencyFailure, FieldError, InvalidInput, NotFound
from commerce.ids import new_id
from commerce.notifications.model import (
    BackInStock,
    Channel,
    CustomerEvent,
    Delivery,
    Message,
    ProductSummary,
    Recipient,
    Watch,
    compose,
)
from commerce.notifications.ports import (
    Catalogue,
    DeliveryLedger,
    Notifier,
    Recipients,
    Refusal,
    WatchRepository,
)

__all__ = [
    "CLAIM_LEASE",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "NotificationService",
    "NotificationsNotSent",
    "Outcome",
    "WatchService",
    "WatchView",
    "WatchesView",
]

CLAIM_LEASE = timedelta(seconds=90)
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class NotificationsNotSent(DependencyFailure):
    """Some deliveries of an event failed (the others were sent): the event must be retried."""

    default_code = "notification_not_sent"

    def __init__(self, failed: list[tuple[Delivery, DependencyFailure]]) -> None:
        summary = "; ".join(f"{d.channel.value} to {d.customer_id}: {e.detail}" for d, e in failed)
        super().__init__(f"{len(failed)} notification(s) not sent: {summary}")
        self.failed = failed


@dataclass
class Outcome:
    """What one event led to, delivery by delivery."""

    notice_key: str
    sent: list[Delivery] = field(default_factory=list)
    #: Sent by an earlier delivery of the event.
    already_sent: list[Delivery] = field(default_factory=list)
    #: Being sent right now by another delivery of the event (which retries it if it fails).
    in_progress: list[Delivery] = field(default_factory=list)
    unknown_customers: list[str] = field(default_factory=list)
    watches_removed: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "notice_key": self.notice_key,
            "sent": len(self.sent),
            "already_sent": len(self.already_sent),
            "in_progress": len(self.in_progress),
            "unknown_customers": len(self.unknown_customers),
            "watches_removed": self.watches_removed,
        }


@dataclass
class NotificationService:
    notifier: Notifier
    recipients: Recipients
    catalogue: Catalogue
    ledger: DeliveryLedger
    watches: WatchRepository
    clock: Clock
    claim_lease: timedelta = CLAIM_LEASE
    new_token: Callable[[], str] = new_id

    def notify(self, event: CustomerEvent) -> Outcome:
        """Send what ``event`` means to whoever should hear of it, each delivery once.

        A customer who does not exist is nobody to tell, not an error. Raises ``NotificationsNotSent``
        once every delivery was tried, if any failed (the sent ones are not repeated on retry).
        """
        if isinstance(event, BackInStock):
            return self._back_in_stock(event)
        outcome = Outcome(event.notice_key)
        recipient = self.recipients.recipient(event.customer_id)
        if recipient is None:
            outcome.unknown_customers.append(event.customer_id)
            return outcome
        products = self.catalogue.summaries(event.product_ids) if event.product_ids else {}
        failed = self._deliver(event.notice_key, recipient, compose(event, recipient, products), outcome)
        if failed:
            raise NotificationsNotSent(failed)
        return outcome

    def _back_in_stock(self, event: BackInStock) -> Outcome:
        """Tell every watcher once, then forget their watch (it was a one-off request)."""
        outcome = Outcome(event.notice_key)
        product = self.catalogue.summaries([event.product_id]).get(event.product_id)
        if product is None or not product.active:
            return outcome  # nothing anyone can buy; the watches wait for the product to return
        products = {product.product_id: product}
        failed: list[tuple[Delivery, DependencyFailure]] = []
        for watch in self.watches.watchers(event.product_id):
            recipient = self.recipients.recipient(watch.customer_id)
            if recipient is None:
                outcome.unknown_customers.append(watch.customer_id)
                self._forget(watch, outcome)
                continue
            busy_before = len(outcome.in_progress)
            message = compose(event, recipient, products)
            failed_here = self._deliver(event.notice_key, recipient, message, outcome)
            failed += failed_here
            if failed_here or len(outcome.in_progress) > busy_before:
                continue  # the retry (or the delivery holding the claim) removes the watch
            self._forget(watch, outcome)
        if failed:
            raise NotificationsNotSent(failed)
        return outcome

    def _forget(self, watch: Watch, outcome: Outcome) -> None:
        self.watches.remove_told(watch)
        outcome.watches_removed += 1

    def _deliver(
        self, notice_key: str, recipient: Recipient, message: Message, outcome: Outcome
    ) -> list[tuple[Delivery, DependencyFailure]]:
        failed: list[tuple[Delivery, DependencyFailure]] = []
        for channel in recipient.channels():
            delivery = Delivery(notice_key, recipient.customer_id, channel)
            claim = self.ledger.claim(delivery, self.new_token(), self.clock(), self.claim_lease)
            if isinstance(claim, Refusal):
                (outcome.already_sent if claim is Refusal.SENT else outcome.in_progress).append(delivery)
                continue
            try:
                message_id = self._send(channel, recipient, message)
            except DependencyFailure as error:
                self.ledger.release(claim)
                failed.append((delivery, error))
                continue
            self.ledger.sent(claim, message_id, self.clock())
            outcome.sent.append(delivery)
        return failed

    def _send(self, channel: Channel, recipient: Recipient, message: Message) -> str:
        if channel is Channel.SMS:
            return self.notifier.sms(str(recipient.sms_number), message.sms)
        return self.notifier.email(recipient.email, message.subject, message.text, message.html)


# ------------------------------------------------------------------------------------------------ watches


@dataclass(frozen=True, slots=True)
class WatchView:
    watch: Watch
    product: ProductSummary | None


@dataclass(frozen=True, slots=True)
class WatchesView:
    items: list[WatchView]
    next_cursor: str | None


@dataclass
class WatchService:
    watches: WatchRepository
    catalogue: Catalogue
    clock: Clock

    def _now(self) -> datetime:
        """Stored instants have millisecond precision; so do the values returned, so a replay is equal."""
        now = self.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def watch(self, customer_id: str, product_id: str) -> tuple[WatchView, bool]:
        """Watch a product (idempotent: watching again keeps the first watch); whether it is new.

        Raises ``NotFound(code="product_not_found")`` for a product that does not exist or is archived.
        """
        product = self.catalogue.summaries([product_id]).get(product_id)
        if product is None or not product.active:
            raise NotFound(f"Product {product_id} does not exist.", code="product_not_found")
        stored, created = self.watches.add(Watch(customer_id, product_id, self._now()))
        return WatchView(stored, product), created

    def unwatch(self, customer_id: str, product_id: str) -> None:
        """Stop watching; nothing to do when not watching."""
        self.watches.remove(customer_id, product_id)

    def watching(
        self, customer_id: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> WatchesView:
        """The customer's watches, newest first, with what each product is now (``None`` once deleted).

        Raises ``InvalidInput`` (``invalid_limit``, ``invalid_cursor``).
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(
                f"A page holds 1 to {MAX_PAGE_SIZE} watches.",
                code="invalid_limit",
                errors=[FieldError("query.limit", f"must be between 1 and {MAX_PAGE_SIZE}")],
            )
        page = self.watches.of_customer(customer_id, cursor, limit)
        products = self.catalogue.summaries(w.product_id for w in page.items) if page.items else {}
        return WatchesView([WatchView(w, products.get(w.product_id)) for w in page.items], page.next_cursor)
