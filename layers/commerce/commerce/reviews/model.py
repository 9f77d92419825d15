"""Reviews and the rules for writing one, free of I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from commerce.clock import isoformat
from commerce.errors import Conflict, FieldError, Forbidden, InvalidInput
from commerce.orders.model import FulfilmentStatus, Order

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_RATING",
    "MAX_TEXT_LENGTH",
    "MAX_TITLE_LENGTH",
    "MIN_RATING",
    "VERIFIED_BUYER",
    "Review",
    "ReviewDraft",
    "ReviewExists",
    "ReviewRequiresDelivery",
    "display_name",
    "received",
]

MIN_RATING = 1
MAX_RATING = 5
MAX_TITLE_LENGTH = 120
MAX_TEXT_LENGTH = 5000
#: A first name longer than this is cut: it is shown next to every review.
MAX_NAME_LENGTH = 40
#: Shown for a reviewer whose token carries no name.
VERIFIED_BUYER = "Verified buyer"

_CREATED_KEY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9A-HJKMNP-TV-Z]{26}")


class ReviewExists(Conflict):
    """The customer already reviewed this product; a review is written once."""

    default_code = "review_exists"


class ReviewRequiresDelivery(Forbidden):
    """Only a customer who received the product may review it."""

    default_code = "review_requires_delivery"


def _invalid(field: str, message: str, code: str) -> InvalidInput:
    return InvalidInput(message, code=code, errors=[FieldError(f"body.{field}", message, code)])


@dataclass(frozen=True, slots=True)
class ReviewDraft:
    """What the customer wrote, checked: the API validates the same bounds, this keeps any other
    caller (the admin CLI, a script) from storing what the API would refuse."""

    rating: int
    text: str
    title: str | None = None

    def __post_init__(self) -> None:
        if type(self.rating) is not int or not MIN_RATING <= self.rating <= MAX_RATING:
            raise _invalid(
                "rating", f"A rating is a whole number from {MIN_RATING} to {MAX_RATING}.", "invalid_rating"
            )
        text = self.text.strip()
        if not 1 <= len(text) <= MAX_TEXT_LENGTH:
            raise _invalid("text", f"A review is 1 to {MAX_TEXT_LENGTH} characters.", "invalid_text")
        title = (self.title or "").strip() or None
        if title is not None and len(title) > MAX_TITLE_LENGTH:
            raise _invalid("title", f"A title is at most {MAX_TITLE_LENGTH} characters.", "invalid_title")
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "title", title)


@dataclass(frozen=True, slots=True)
class Review:
    review_id: str
    product_id: str
    customer_id: str
    #: As the reviewer was called when they wrote it (their first name, or ``VERIFIED_BUYER``).
    reviewer_name: str
    rating: int
    text: str
    created_at: datetime
    title: str | None = None
    #: Every review comes from a customer whose order part holding the product was delivered.
    verified_purchase: bool = True

    @classmethod
    def write(
        cls,
        review_id: str,
        product_id: str,
        customer_id: str,
        reviewer_name: str,
        draft: ReviewDraft,
        now: datetime,
    ) -> Review:
        return cls(
            review_id=review_id,
            product_id=product_id,
            customer_id=customer_id,
            reviewer_name=reviewer_name,
            rating=draft.rating,
            title=draft.title,
            text=draft.text,
            created_at=now,
        )

    @property
    def created_key(self) -> str:
        """Sorts reviews of a product by time, newest last; the ULID keeps two of one millisecond apart."""
        return f"{isoformat(self.created_at)}#{self.review_id}"

    @staticmethod
    def is_created_key(value: str) -> bool:
        return bool(_CREATED_KEY.fullmatch(value))


def display_name(given_name: str | None, name: str | None) -> str:
    """The reviewer's first name as their token carries it, or ``VERIFIED_BUYER``: reviews are
    public, so never a surname, an email or an id."""
    for candidate in (given_name, name):
        words = (candidate or "").split()
        first = "".join(char for char in words[0] if unicodedata.category(char)[0] != "C") if words else ""
        if first and "@" not in first:
            return first[:MAX_NAME_LENGTH]
    return VERIFIED_BUYER


def received(order: Order, product_id: str) -> bool:
    """Whether the part of ``order`` holding ``product_id`` was delivered (the rest of the order
    may still be on its way)."""
    return any(
        fulfilment.status is FulfilmentStatus.DELIVERED
        and any(line.product_id == product_id for line in fulfilment.lines)
        for fulfilment in order.fulfilments
    )
