"""The hourly abandoned-cart reminder job.

Each run reads the carts whose reminder fell due during the last ``REMINDER_WINDOW`` (so a run
that failed or was skipped is made up by the next), judges each again as it is now, and sends
one email per cart and idle period: the period is claimed in the reminder log before sending,
so a second run, concurrent or later, finds it taken. A send that fails gives the claim back
for the next run; a run that dies between claim and send leaves a claim whose lease runs out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from commerce.carts.model import Cart
from commerce.clock import Clock
from commerce.errors import DependencyFailure
from commerce.notifications.ports import Notifier
from commerce.reminders.model import REMINDER_WINDOW, is_due, reminder_email
from commerce.reminders.ports import DueCarts, ReminderLog, UserDirectory

__all__ = ["CLAIM_LEASE", "MARKER_KEPT", "CartReminders", "ReminderRun"]

#: Longer than the jobs function may run (900 s): a claim older than this was left by a dead run.
CLAIM_LEASE = timedelta(minutes=16)
#: How long a marker outlives its cart (then the table's TTL may delete it: the cart is gone).
MARKER_KEPT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ReminderRun:
    """What one run did with each cart the index offered."""

    checked: int = 0
    sent: int = 0
    #: This idle period was already reminded (by an earlier or a concurrent run).
    already_sent: int = 0
    #: Changed, emptied, expired or being checked out since the index entry was written.
    not_due: int = 0
    #: No profile or no email address to write to.
    no_address: int = 0
    #: The email could not be sent; the next run tries again.
    failed: int = 0

    def summary(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class CartReminders:
    carts: DueCarts
    users: UserDirectory
    log: ReminderLog
    notifier: Notifier
    clock: Clock
    #: Where the storefront shows the cart (the email links to it).
    cart_path: str = "/cart"

    def run(self, now: datetime | None = None) -> ReminderRun:
        """Remind every cart due by ``now`` (default: the clock) and not yet reminded."""
        now = now or self.clock()
        outcomes = {name: 0 for name in ReminderRun.__dataclass_fields__}
        for cart in self.carts.due_for_reminder(now - REMINDER_WINDOW, now):
            outcomes["checked"] += 1
            outcomes[self._remind(cart, now)] += 1
        return ReminderRun(**outcomes)

    def _remind(self, cart: Cart, now: datetime) -> str:
        if not is_due(cart, now) or cart.updated_at is None or cart.expires_at is None:
            return "not_due"
        idle_since = cart.updated_at
        if not self.log.claim(
            cart.cart_id, idle_since, now, now + CLAIM_LEASE, cart.expires_at + MARKER_KEPT
        ):
            return "already_sent"  # the common case for a cart seen again: decided before any read
        profile = self.users.get(cart.cart_id)
        if profile is None or not profile.email:
            self.log.release(cart.cart_id, idle_since)
            return "no_address"
        email = reminder_email(cart, profile.name, self.cart_path)
        try:
            message_id = self.notifier.email(profile.email, email.subject, email.text, email.html)
        except DependencyFailure:
            self.log.release(cart.cart_id, idle_since)
            return "failed"
        self.log.sent(cart.cart_id, idle_since, message_id, now)
        return "sent"
