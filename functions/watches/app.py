"""Back-in-stock watches: a customer asks to hear once when a product is back, sees what they
wait for, and changes their mind. The notifications function tells them and removes the watch."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from commerce.api.auth import principal
from commerce.api.caching import PRIVATE_NO_STORE
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.notifications import WatchList, WatchOut
from commerce.bootstrap import watch_service
from commerce.identity import Role
from commerce.ids import ULID_PATTERN

logger = Logger(service="watches")
app = create_resolver(logger)

ProductId = Annotated[str, Path(pattern=ULID_PATTERN)]
Cursor = Annotated[str | None, Query(max_length=4096)]
Limit = Annotated[int, Query(ge=1, le=100)]


def _customer_id() -> str:
    customer = principal(app)
    customer.require(Role.CUSTOMER)
    return customer.user_id


@app.put(
    "/v1/products/<product_id>/watch",
    tags=["watches"],
    summary="Watch a product: one email (and text, if opted in) when it is back in stock",
    responses={
        200: {"description": "Already watching: the existing watch."},
        201: {"description": "Now watching."},
        404: {"description": "No such product, or it was archived (`product_not_found`)."},
    },
)
def watch(product_id: ProductId) -> Response[WatchOut]:
    view, created = watch_service().watch(_customer_id(), product_id)
    headers = dict(PRIVATE_NO_STORE)
    if created:
        headers["Location"] = f"/v1/products/{product_id}/watch"
    return Response(
        status_code=201 if created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=WatchOut.of(view),
        headers=headers,
    )


@app.delete(
    "/v1/products/<product_id>/watch",
    tags=["watches"],
    summary="Stop watching a product (nothing to do when not watching)",
    responses={204: {"description": "Not watching (any more)."}},
)
def unwatch(product_id: ProductId) -> Response[None]:
    watch_service().unwatch(_customer_id(), product_id)
    return Response(status_code=204, body=None, headers=dict(PRIVATE_NO_STORE))


@app.get("/v1/me/watches", tags=["watches"], summary="The products the customer waits for, newest first")
def list_watches(cursor: Cursor = None, limit: Limit = 20) -> Response[WatchList]:
    view = watch_service().watching(_customer_id(), cursor, limit)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=WatchList.of(view),
        headers=dict(PRIVATE_NO_STORE),
    )


handler = lambda_handler(app, logger)
