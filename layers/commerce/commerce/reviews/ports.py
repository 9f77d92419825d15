"""What the review service needs from storage, and from the catalogue and orders it reads."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

from commerce.catalog.model import Product
from commerce.errors import DependencyFailure
from commerce.orders.model import Order
from commerce.reviews.model import Review

__all__ = [
    "AlreadyReviewed",
    "CustomerOrders",
    "ProductLookup",
    "ProductNotReviewable",
    "ReviewPage",
    "ReviewRepository",
    "ReviewsUnavailable",
]


class AlreadyReviewed(Exception):  # a signal between adapter and service
    """The customer's review of the product is already stored; nothing was written."""


class ProductNotReviewable(Exception):  # a signal between adapter and service
    """The product is gone or archived by the time the review was written; nothing was written."""


class ReviewsUnavailable(DependencyFailure):
    """The database is throttling or kept cancelling the write; nothing is known to be written."""

    default_code = "reviews_unavailable"


@dataclass(frozen=True, slots=True)
class ReviewPage:
    items: list[Review]
    next_cursor: str | None


class ReviewRepository(ABC):
    @abstractmethod
    def add(self, review: Review) -> None:
        """Store ``review`` and add its rating to the product's summary, all or nothing.

        Raises ``AlreadyReviewed`` when the customer reviewed the product before,
        ``ProductNotReviewable`` when the product is unknown or not active, and
        ``ReviewsUnavailable``.
        """

    @abstractmethod
    def newest(self, product_id: str, cursor: str | None, limit: int) -> ReviewPage:
        """The product's reviews, newest first. Raises ``InvalidInput(code="invalid_cursor")``."""


class ProductLookup(Protocol):
    """The catalogue's products (``ProductRepository`` satisfies it)."""

    def get(self, product_id: str) -> Product | None: ...


class CustomerOrders(Protocol):
    """A customer's order history, newest first (``OrderRepository`` satisfies it)."""

    def for_customer(
        self, customer_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Order], str | None]: ...
