"""What a payment provider's webhook does to orders: resume a saga waiting for the customer, and
bring the order's record of its payment up to date. Each event is handled once.

A webhook never decides anything on its own: the event only says *which* order to look at. The
provider's current record (read again, strongly consistent) is what the order follows, and an
older record never moves it back, so duplicated, late and out-of-order events are all harmless.
The order's status stays the saga's to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from commerce.clock import Clock
from commerce.orders.ports import WebhookInbox
from commerce.orders.saga import FulfilmentSteps
from commerce.payments.stripe_webhooks import StripeEvent

__all__ = ["PaymentWebhooks", "WebhookOutcome"]

#: Events that mean the customer finished (or failed) 3-D Secure: the waiting saga goes on.
_CUSTOMER_ACTED = frozenset(
    {
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
    }
)


class WebhookOutcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    #: Not about an order of ours, or a type the platform does not act on.
    IGNORED = "ignored"


@dataclass
class PaymentWebhooks:
    steps: FulfilmentSteps
    inbox: WebhookInbox
    clock: Clock

    def stripe_event(self, event: StripeEvent) -> WebhookOutcome:
        """Handle the event unless it was handled before. It is remembered only once handled,
        so an event whose handling failed is handled again when Stripe retries it."""
        if self.inbox.seen("stripe", event.event_id):
            return WebhookOutcome.DUPLICATE
        outcome = self._handle(event)
        self.inbox.remember("stripe", event.event_id, event.type, event.order_id, self.clock())
        return outcome

    def _handle(self, event: StripeEvent) -> WebhookOutcome:
        if event.order_id is None or not event.type.startswith("payment_intent."):
            return WebhookOutcome.IGNORED
        if self.steps.orders.get(event.order_id) is None:
            return WebhookOutcome.IGNORED
        if event.type in _CUSTOMER_ACTED:
            # Before recording the payment: once the order sees it authorised, it forgets the token.
            self.steps.customer_acted(event.order_id)
        self.steps.record_payment(event.order_id)
        return WebhookOutcome.PROCESSED
