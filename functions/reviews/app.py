"""Reviews API: anyone reads a product's reviews; a customer who received it writes one."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from commerce.api.auth import principal
from commerce.api.caching import PRIVATE_NO_STORE, conditional_reply
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.problems import PROBLEM_CONTENT_TYPE
from commerce.api.schemas.common import Problem
from commerce.api.schemas.reviews import ReviewIn, ReviewOut, ReviewPageOut
from commerce.bootstrap import review_service
from commerce.ids import ULID_PATTERN
from commerce.reviews.model import display_name
from commerce.reviews.service import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

logger = Logger(service="reviews")
app = create_resolver(logger)

ProductId = Annotated[str, Path(pattern=ULID_PATTERN)]
#: Reviews change slowly; a new one shows within five minutes (sooner for a cache-busting client).
REVIEWS_MAX_AGE = 300


def _problem(description: str) -> OpenAPIResponse:
    """An error reply as the OpenAPI document describes it: problem details."""
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"model": Problem}}}


def _claim(name: str) -> str | None:
    """A claim of the verified token (a pre-token-generation trigger may add names to it)."""
    authorizer: Any = app.current_event.request_context.authorizer
    claims = (authorizer.jwt_claim if authorizer is not None else None) or {}
    value = claims.get(name)
    return value if isinstance(value, str) else None


@app.get("/v1/products/<product_id>/reviews", tags=["reviews"], summary="A product's reviews, newest first")
def list_reviews(
    product_id: ProductId,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> Response[ReviewPageOut]:
    reviews = review_service().product_reviews(product_id, cursor, limit)
    return conditional_reply(app, ReviewPageOut.of(reviews), max_age=REVIEWS_MAX_AGE)


@app.post(
    "/v1/products/<product_id>/reviews",
    tags=["reviews"],
    summary="Review a product you received (once); it counts in the product's rating at once",
    responses={
        201: {"description": "Written, and counted in the product's rating."},
        403: _problem(
            "`review_requires_delivery`: no delivered order of yours holds it (or `role_required`)."
        ),
        404: _problem("`product_not_found`: unknown or archived."),
        409: _problem("`review_exists`: you already reviewed it."),
    },
)
def post_review(product_id: ProductId, request: ReviewIn) -> Response[ReviewOut]:
    customer = principal(app)
    review = review_service().write(
        customer, product_id, request.to_domain(), display_name(_claim("given_name"), _claim("name"))
    )
    logger.info("review written", extra={"product_id": product_id, "review_id": review.review_id})
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=ReviewOut.of(review),
        headers=dict(PRIVATE_NO_STORE),
    )


handler = lambda_handler(app, logger)
