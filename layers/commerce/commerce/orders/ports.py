"""What checkout and order management need from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from commerce.accounts.model import Address
from commerce.carts.model import Cart
from commerce.orders.model import Fulfilment, Order

__all__ = [
    "AddressBook",
    "CheckoutClaim",
    "CheckoutConflict",
    "CheckoutRecord",
    "FulfilmentWorkflow",
    "OrderRepository",
    "StaleOrder",
    "WebhookInbox",
]


class StaleOrder(Exception):  # a signal between adapter and service, never shown to clients
    """The stored order is no longer the version that was read: read it again and redo the change."""


@dataclass(frozen=True, slots=True)
class CheckoutRecord:
    """What an ``Idempotency-Key`` was first used for: the order it made and a digest of the
    request, so a replay of the key with another body is recognised."""

    customer_id: str
    key: str
    order_id: str
    request_digest: str


@dataclass(frozen=True, slots=True)
class CheckoutClaim:
    """Everything checkout writes in one transaction: the key's record, and the lock on the
    cart (still at the version that was priced) until ``lock_until``."""

    record: CheckoutRecord
    cart: Cart
    now: datetime
    lock_until: datetime


class CheckoutConflict(Exception):  # a signal between adapter and service
    """The placing transaction was refused: the key was taken meanwhile, or the cart changed
    or was locked by another checkout. The service reads again to tell which."""


class OrderRepository(ABC):
    @abstractmethod
    def place(self, order: Order, claim: CheckoutClaim) -> None:
        """Store the new order, the key's record and the cart lock, all or nothing. Raises
        ``CheckoutConflict`` when any of them is refused."""

    @abstractmethod
    def checkout_record(self, customer_id: str, key: str) -> CheckoutRecord | None:
        """Strongly consistent."""

    @abstractmethod
    def get(self, order_id: str) -> Order | None:
        """Strongly consistent."""

    @abstractmethod
    def save(self, before: Order, after: Order) -> None:
        """Store ``after`` if the stored order is still ``before`` (same version); raises
        ``StaleOrder`` otherwise. Once an order is confirmed its sellers can list it."""

    @abstractmethod
    def for_customer(
        self, customer_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Order], str | None]:
        """The customer's orders, newest first."""

    @abstractmethod
    def for_seller(
        self, seller_id: str, limit: int, cursor: str | None
    ) -> tuple[list[tuple[Order, Fulfilment]], str | None]:
        """The seller's part of every order that reached them (confirmed or later), newest first."""


class AddressBook(Protocol):
    """A customer's saved addresses (``UserRepository`` satisfies it)."""

    def get_address(self, user_id: str, address_id: str) -> Address | None: ...


class FulfilmentWorkflow(ABC):
    """The order fulfilment saga (a Step Functions state machine in the cloud)."""

    @abstractmethod
    def start(self, order: Order) -> None:
        """Start the saga for ``order``, named after it: starting it again is harmless."""

    @abstractmethod
    def resume(self, task_token: str) -> bool:
        """Wake the saga waiting on ``task_token`` (the customer acted); False when it no longer
        waits (already resumed, timed out, finished): resuming twice is harmless."""


class WebhookInbox(ABC):
    """The webhook events already handled, by provider and event id (kept for 30 days, longer
    than any provider retries)."""

    @abstractmethod
    def seen(self, provider: str, event_id: str) -> bool: ...

    @abstractmethod
    def remember(
        self, provider: str, event_id: str, event_type: str, order_id: str | None, at: datetime
    ) -> None: ...
