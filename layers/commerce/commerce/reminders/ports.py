"""What the reminder job needs from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from commerce.accounts.model import UserProfile
from commerce.carts.model import Cart

__all__ = ["DueCarts", "ReminderLog", "UserDirectory"]


class DueCarts(Protocol):
    """The carts repository's index of reminders (a protocol: the repository serves carts too)."""

    def due_for_reminder(self, due_from: datetime, due_until: datetime) -> Iterator[Cart]:
        """Every stored cart whose reminder fell due in ``(due_from, due_until]``, read as it is now.
        The index may lag: a cart that changed since can come back, and the caller judges it again."""


class UserDirectory(Protocol):
    """Where an account's email address is (``UserRepository`` satisfies it)."""

    def get(self, user_id: str) -> UserProfile | None: ...


class ReminderLog(ABC):
    """One marker per cart and idle period: at most one reminder, however often or concurrently
    the job runs."""

    @abstractmethod
    def claim(
        self, cart_id: str, idle_since: datetime, now: datetime, lease_until: datetime, keep_until: datetime
    ) -> bool:
        """Take the right to send this period's reminder: ``True`` when nobody has it, or when an
        earlier claim was never completed and its lease ran out (the job died mid-way)."""

    @abstractmethod
    def sent(self, cart_id: str, idle_since: datetime, message_id: str, now: datetime) -> None:
        """The reminder went out: the claim becomes permanent."""

    @abstractmethod
    def release(self, cart_id: str, idle_since: datetime) -> None:
        """Sending failed: give the claim up so a later run tries again."""
