"""Request and response shapes of the reviews API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from commerce.api.schemas.catalog import RatingOut
from commerce.api.schemas.common import RequestModel, Schema
from commerce.reviews.model import (
    MAX_RATING,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MIN_RATING,
    Review,
    ReviewDraft,
)
from commerce.reviews.service import ProductReviews

__all__ = ["ReviewIn", "ReviewOut", "ReviewPageOut"]

Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TITLE_LENGTH)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_LENGTH)]


class ReviewIn(RequestModel):
    rating: StrictInt = Field(ge=MIN_RATING, le=MAX_RATING, description="Whole stars.", examples=[5])
    title: Title | None = Field(default=None, examples=["Great sound, all day"])
    text: Text = Field(examples=["The battery really lasts a long-haul flight."])

    def to_domain(self) -> ReviewDraft:
        return ReviewDraft(rating=self.rating, text=self.text, title=self.title or None)


class ReviewOut(Schema):
    review_id: str
    product_id: str
    reviewer_name: str = Field(description='The reviewer\'s first name, or "Verified buyer".')
    rating: int
    title: str | None
    text: str
    created_at: datetime
    verified_purchase: bool = Field(description="The reviewer received the product: always true.")

    @classmethod
    def of(cls, review: Review) -> ReviewOut:
        return cls(
            review_id=review.review_id,
            product_id=review.product_id,
            reviewer_name=review.reviewer_name,
            rating=review.rating,
            title=review.title,
            text=review.text,
            created_at=review.created_at,
            verified_purchase=review.verified_purchase,
        )


class ReviewPageOut(Schema):
    items: list[ReviewOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    rating: RatingOut = Field(description="The product's rating over all its reviews.")

    @classmethod
    def of(cls, reviews: ProductReviews) -> ReviewPageOut:
        product = reviews.product
        return cls(
            items=[ReviewOut.of(review) for review in reviews.page.items],
            next_cursor=reviews.page.next_cursor,
            rating=RatingOut(average=product.rating_average, count=product.rating_count),
        )
