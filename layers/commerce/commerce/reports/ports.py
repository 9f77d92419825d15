"""What the sales report job needs from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import date, datetime
from typing import Protocol

from commerce.accounts.model import UserProfile
from commerce.orders.model import Order

__all__ = ["OrdersByPaymentDay", "ReportMailLog", "ReportStore", "UserDirectory"]


class OrdersByPaymentDay(Protocol):
    """The order repository's daily index of payments (``DynamoDBOrderRepository`` satisfies it)."""

    def payments_changed_on(self, day: date) -> Iterator[Order]:
        """Every order with a payment whose last change was on ``day`` (UTC)."""


class UserDirectory(Protocol):
    """Where an account's email address is (``UserRepository`` satisfies it)."""

    def get(self, user_id: str) -> UserProfile | None: ...


class ReportStore(ABC):
    """Where report files go (S3). Failures raise ``DependencyFailure``."""

    @abstractmethod
    def put_csv(self, key: str, body: str) -> None:
        """Write the file at ``key``, replacing what is there."""


class ReportMailLog(ABC):
    """One marker per seller and day: the report's email goes out once, however often the day is run."""

    @abstractmethod
    def claim(
        self, seller_id: str, day: date, now: datetime, lease_until: datetime, keep_until: datetime
    ) -> bool:
        """Take the right to send the day's email: ``True`` when nobody has it, or when an earlier
        claim was never completed and its lease ran out."""

    @abstractmethod
    def sent(self, seller_id: str, day: date, message_id: str, now: datetime) -> None: ...

    @abstractmethod
    def release(self, seller_id: str, day: date) -> None:
        """Sending failed: give the claim up so running the day again sends it."""
