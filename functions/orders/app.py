"""Orders API: customers read and cancel their orders; sellers list, ship and deliver their part."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from commerce.api.auth import principal
from commerce.api.caching import PRIVATE_NO_STORE
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.orders import (
    OrderOut,
    OrderPage,
    PaymentOut,
    RefundOut,
    SellerOrderOut,
    SellerOrderPage,
    ShipmentIn,
)
from commerce.api.schemas.payments import RefundCreated, RefundIn
from commerce.bootstrap import order_service
from commerce.ids import ULID_PATTERN
from commerce.orders.model import RefundDestination

logger = Logger(service="orders")
app = create_resolver(logger)

OrderId = Annotated[str, Path(pattern=ULID_PATTERN)]
Cursor = Annotated[str | None, Query(max_length=4096)]
Limit = Annotated[int, Query(ge=1, le=100)]


# Orders are private and change as they move: never cached.
def _reply(body: object) -> Response[object]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=dict(PRIVATE_NO_STORE),
    )


@app.get("/v1/orders", tags=["orders"], summary="The customer's orders, newest first")
def list_orders(cursor: Cursor = None, limit: Limit = 20) -> Response[OrderPage]:
    orders, next_cursor = order_service().history(principal(app), limit, cursor)
    return _reply(OrderPage(items=[OrderOut.of(o) for o in orders], next_cursor=next_cursor))  # type: ignore[return-value]


@app.get(
    "/v1/orders/<order_id>", tags=["orders"], summary="One order: status, lines, totals, payment, shipments"
)
def get_order(order_id: OrderId) -> Response[OrderOut]:
    return _reply(OrderOut.of(order_service().view(principal(app), order_id)))  # type: ignore[return-value]


@app.post(
    "/v1/orders/<order_id>/cancel",
    tags=["orders"],
    summary="Cancel before shipping: stock goes back on sale and the payment is voided or refunded",
)
def cancel_order(order_id: OrderId) -> Response[OrderOut]:
    return _reply(OrderOut.of(order_service().cancel(principal(app), order_id)))  # type: ignore[return-value]


@app.post(
    "/v1/orders/<order_id>/payment/confirm",
    tags=["orders"],
    summary="The customer is back from 3-D Secure or PayPal approval: the order's checkout goes on",
)
def confirm_payment(order_id: OrderId) -> Response[OrderOut]:
    return _reply(OrderOut.of(order_service().customer_returned(principal(app), order_id)))  # type: ignore[return-value]


@app.post(
    "/v1/orders/<order_id>/refunds",
    tags=["orders"],
    summary="Admins: refund all or part of a captured payment, to the original method or the wallet",
    responses={201: {"description": "Refunded (a replay of the Idempotency-Key answers the same)."}},
)
def refund_order(
    order_id: OrderId,
    request: RefundIn,
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", description="Required: one key per intended refund.")
    ] = None,
) -> Response[RefundCreated]:
    order = order_service().refund(
        principal(app),
        order_id,
        idempotency_key,
        request.amount.to_domain() if request.amount else None,
        RefundDestination(request.destination),
        request.reason,
    )
    refund = order.payment.refund(idempotency_key or "")
    assert refund is not None
    body = RefundCreated(refund=RefundOut.of(refund), payment=PaymentOut.of(order))
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=dict(PRIVATE_NO_STORE),
    )


@app.get("/v1/seller/orders", tags=["seller orders"], summary="The seller's part of every confirmed order")
def list_seller_orders(cursor: Cursor = None, limit: Limit = 20) -> Response[SellerOrderPage]:
    parts, next_cursor = order_service().seller_orders(principal(app), limit, cursor)
    page = SellerOrderPage(items=[SellerOrderOut.of(o, f) for o, f in parts], next_cursor=next_cursor)
    return _reply(page)  # type: ignore[return-value]


@app.post(
    "/v1/seller/orders/<order_id>/shipments",
    tags=["seller orders"],
    summary="Ship the seller's part of an order with its carrier and tracking number",
)
def ship(order_id: OrderId, request: ShipmentIn) -> Response[SellerOrderOut]:
    seller = principal(app)
    order = order_service().ship(seller, order_id, request.carrier, request.tracking_number)
    return _reply(SellerOrderOut.of(order, order.fulfilment(seller.user_id)))  # type: ignore[return-value]


@app.post(
    "/v1/seller/orders/<order_id>/delivery",
    tags=["seller orders"],
    summary="Record that the seller's shipment was delivered",
)
def deliver(order_id: OrderId) -> Response[SellerOrderOut]:
    seller = principal(app)
    order = order_service().deliver(seller, order_id)
    return _reply(SellerOrderOut.of(order, order.fulfilment(seller.user_id)))  # type: ignore[return-value]


handler = lambda_handler(app, logger)
