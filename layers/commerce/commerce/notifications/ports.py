"""What notifications need from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from commerce.notifications.model import Delivery, ProductSummary, Recipient, Watch

__all__ = [
    "Catalogue",
    "Claim",
    "DeliveryLedger",
    "Notifier",
    "Recipients",
    "Refusal",
    "WatchPage",
    "WatchRepository",
]


class Notifier(ABC):
    """Sends messages (SES and SNS in the cloud; moto's outbox locally). Each call sends one
    message and returns the provider's message id; failures raise ``DependencyFailure``."""

    @abstractmethod
    def email(self, to: str, subject: str, text: str, html: str | None = None) -> str: ...

    @abstractmethod
    def sms(self, phone: str, text: str) -> str: ...


class Recipients(ABC):
    @abstractmethod
    def recipient(self, customer_id: str) -> Recipient | None:
        """The customer's contact details, or ``None`` when there is no such customer."""


class Catalogue(ABC):
    @abstractmethod
    def summaries(self, product_ids: Iterable[str]) -> dict[str, ProductSummary]:
        """The products that exist among ``product_ids`` (archived ones too, marked inactive)."""


class Refusal(StrEnum):
    """Why a delivery could not be claimed."""

    #: It was sent already.
    SENT = "sent"
    #: Another delivery of the same event holds a live claim and is sending it now.
    BUSY = "busy"


@dataclass(frozen=True, slots=True)
class Claim:
    """The right to send one delivery, held until ``until``; ``token`` tells this holder from a later one."""

    delivery: Delivery
    token: str
    until: datetime


class DeliveryLedger(ABC):
    """Markers that make each delivery happen once: claimed before sending, marked sent after."""

    @abstractmethod
    def claim(self, delivery: Delivery, token: str, now: datetime, lease: timedelta) -> Claim | Refusal:
        """Claim ``delivery`` if it was never claimed, its claim lapsed unsent (the sender died) or its
        marker expired; otherwise say why not."""

    @abstractmethod
    def sent(self, claim: Claim, message_id: str, now: datetime) -> None:
        """Record the delivery as sent, for good (until the marker expires)."""

    @abstractmethod
    def release(self, claim: Claim) -> None:
        """Give the claim up after a failed send, so the retry need not wait for the lease to lapse."""


@dataclass(frozen=True, slots=True)
class WatchPage:
    items: list[Watch]
    next_cursor: str | None


class WatchRepository(ABC):
    @abstractmethod
    def add(self, watch: Watch) -> tuple[Watch, bool]:
        """Store ``watch`` unless the customer already watches the product: the stored watch, and
        whether it is the one just added."""

    @abstractmethod
    def remove(self, customer_id: str, product_id: str) -> None:
        """Remove the watch if there is one."""

    @abstractmethod
    def remove_told(self, watch: Watch) -> None:
        """Remove ``watch`` after its customer was told, unless it was replaced meanwhile (unwatched and
        watched again: a newer ``created_at``), which stays for the next restock."""

    @abstractmethod
    def of_customer(self, customer_id: str, cursor: str | None, limit: int) -> WatchPage:
        """The customer's watches, newest first. Raises ``InvalidInput(code="invalid_cursor")``."""

    @abstractmethod
    def watchers(self, product_id: str) -> Iterator[Watch]:
        """Everyone watching ``product_id``, read page by page."""
