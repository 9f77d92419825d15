"""Review use cases: anyone reads a product's reviews, newest first; a customer who received the
product writes one review of it, which counts in the product's rating from the same instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commerce.catalog.model import Product
from commerce.clock import Clock
from commerce.errors import FieldError, InvalidInput, NotFound
from commerce.identity import Principal, Role
from commerce.ids import new_id
from commerce.reviews.model import Review, ReviewDraft, ReviewExists, ReviewRequiresDelivery, received
from commerce.reviews.ports import (
    AlreadyReviewed,
    CustomerOrders,
    ProductLookup,
    ProductNotReviewable,
    ReviewPage,
    ReviewRepository,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_ORDERS_READ",
    "MAX_PAGE_SIZE",
    "ORDERS_PAGE_SIZE",
    "ProductReviews",
    "ReviewService",
]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
#: The delivery check reads the customer's history newest first, this many orders a page, and
#: gives up after ``MAX_ORDERS_READ``: a bound on what one POST costs, whoever sends it. A product
#: received longer ago than the customer's 500 latest orders cannot be reviewed.
ORDERS_PAGE_SIZE = 100
MAX_ORDERS_READ = 500


def _product_not_found() -> NotFound:
    return NotFound("No such product.", code="product_not_found")


@dataclass(frozen=True, slots=True)
class ProductReviews:
    """A page of a product's reviews, with the product (for its rating summary)."""

    product: Product
    page: ReviewPage


@dataclass
class ReviewService:
    reviews: ReviewRepository
    products: ProductLookup
    orders: CustomerOrders
    clock: Clock

    def _now(self) -> datetime:
        """Stored instants have millisecond precision; so does what is returned."""
        now = self.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def _active_product(self, product_id: str) -> Product:
        product = self.products.get(product_id)
        if product is None or not product.is_active:
            raise _product_not_found()
        return product

    def product_reviews(
        self, product_id: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> ProductReviews:
        """Raises ``NotFound(code="product_not_found")`` for an unknown or archived product and
        ``InvalidInput`` (``invalid_limit``, ``invalid_cursor``)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(
                f"A page holds 1 to {MAX_PAGE_SIZE} reviews.",
                code="invalid_limit",
                errors=[FieldError("query.limit", f"must be between 1 and {MAX_PAGE_SIZE}")],
            )
        product = self._active_product(product_id)
        return ProductReviews(product, self.reviews.newest(product_id, cursor, limit))

    def received(self, customer_id: str, product_id: str) -> bool:
        """Whether one of the customer's latest ``MAX_ORDERS_READ`` orders had its part holding
        the product delivered."""
        cursor: str | None = None
        read = 0
        while read < MAX_ORDERS_READ:
            orders, cursor = self.orders.for_customer(
                customer_id, min(ORDERS_PAGE_SIZE, MAX_ORDERS_READ - read), cursor
            )
            if any(received(order, product_id) for order in orders):
                return True
            read += len(orders)
            if cursor is None or not orders:
                return False
        return False

    def write(self, principal: Principal, product_id: str, draft: ReviewDraft, reviewer_name: str) -> Review:
        """The customer's one review of the product, counted in its rating in the same write.

        Raises ``Forbidden`` (``role_required``, ``review_requires_delivery``),
        ``NotFound(code="product_not_found")``, ``ReviewExists`` (409 ``review_exists``, also for
        the losers of concurrent first reviews) and ``ReviewsUnavailable``.
        """
        principal.require(Role.CUSTOMER)
        self._active_product(product_id)
        if not self.received(principal.user_id, product_id):
            raise ReviewRequiresDelivery(
                "Only a customer whose order of this product was delivered may review it."
            )
        review = Review.write(new_id(), product_id, principal.user_id, reviewer_name, draft, self._now())
        try:
            self.reviews.add(review)
        except AlreadyReviewed:
            raise ReviewExists("You have already reviewed this product.") from None
        except ProductNotReviewable:
            raise _product_not_found() from None  # archived between the read and the write
        return review
