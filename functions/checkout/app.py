"""Checkout API: the signed-in customer's cart becomes a pending order, and its saga starts.

Answers 202 at once (the saga confirms or cancels the order within moments); the client
follows the Location header. The ``Idempotency-Key`` header is required: the same key
returns the same order, however often and however concurrently it is sent.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header

from commerce.api.auth import principal
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.orders import CheckoutAccepted, CheckoutIn
from commerce.bootstrap import checkout_service

logger = Logger(service="checkout")
app = create_resolver(logger)


@app.post(
    "/v1/checkout",
    tags=["checkout"],
    summary="Place an order for the cart (202; replaying the Idempotency-Key returns the same order)",
    responses={202: {"description": "The order is placed and being confirmed."}},
)
def checkout(
    request: CheckoutIn,
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", description="Required: one key per intended order.")
    ] = None,
) -> Response[CheckoutAccepted]:
    order, placed = checkout_service().checkout(principal(app), idempotency_key, request.to_domain())
    logger.info("checkout", extra={"order_id": order.order_id, "placed": placed})
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=CheckoutAccepted(order_id=order.order_id, status=order.status.value),
        headers={"Location": f"/v1/orders/{order.order_id}", "Cache-Control": "no-store"},
    )


handler = lambda_handler(app, logger)
