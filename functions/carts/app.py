"""Carts API: the signed-in customer's cart, guest carts, and merging one into the other.

Thin: each route validates with pydantic, calls one service method and shapes the reply.
A guest cart's id is its only credential, so it is never validated into a 422 (an id that
cannot exist is as unknown as one that no longer does: 404 ``cart_not_found``).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path

from commerce.api.auth import principal
from commerce.api.caching import PRIVATE_NO_STORE
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.carts import CartLineUpdate, CartOut, MergedCartOut, MergeRequest
from commerce.bootstrap import cart_service
from commerce.carts.model import CartView
from commerce.ids import ULID_PATTERN

logger = Logger(service="carts")
app = create_resolver(logger)

ProductId = Annotated[str, Path(pattern=ULID_PATTERN)]
GuestCartId = Annotated[
    str, Path(description="`g_` and 32 hex characters, as `POST /v1/guest-carts` returned.")
]
JSON = content_types.APPLICATION_JSON


# A cart is private to one shopper (a guest cart's URL is its credential): never cached.
def _cart_reply(view: CartView, status: int = 200, location: str | None = None) -> Response[CartOut]:
    headers = dict(PRIVATE_NO_STORE)
    if location is not None:
        headers["Location"] = location
    return Response(status_code=status, content_type=JSON, body=CartOut.of(view), headers=headers)


def _emptied() -> Response[None]:
    return Response(status_code=204, body=None, headers=dict(PRIVATE_NO_STORE))


# ---------------------------------------------------------------------- the customer's cart
@app.get("/v1/cart", tags=["carts"], summary="The signed-in customer's cart at current prices and stock")
def get_cart() -> Response[CartOut]:
    return _cart_reply(cart_service().view(principal(app)))


@app.put(
    "/v1/cart/items/<product_id>",
    tags=["carts"],
    summary="Set a product's quantity in the cart (409 insufficient_stock)",
)
def set_cart_line(product_id: ProductId, request: CartLineUpdate) -> Response[CartOut]:
    return _cart_reply(cart_service().set_line(principal(app), product_id, request.quantity))


@app.delete("/v1/cart/items/<product_id>", tags=["carts"], summary="Remove a product from the cart")
def remove_cart_line(product_id: ProductId) -> Response[CartOut]:
    return _cart_reply(cart_service().remove_line(principal(app), product_id))


@app.delete("/v1/cart", tags=["carts"], summary="Empty the cart")
def empty_cart() -> Response[None]:
    cart_service().empty(principal(app))
    return _emptied()


@app.post(
    "/v1/cart/merge",
    tags=["carts"],
    summary="Move a guest cart into the customer's cart (after sign-in)",
)
def merge_guest_cart(request: MergeRequest) -> Response[MergedCartOut]:
    view = cart_service().merge(principal(app), request.guest_cart_id)
    return Response(
        status_code=200, content_type=JSON, body=MergedCartOut.of(view), headers=dict(PRIVATE_NO_STORE)
    )


# ---------------------------------------------------------------------- guest carts
@app.post("/v1/guest-carts", tags=["carts"], summary="Start a guest cart (its id is its credential)")
def create_guest_cart() -> Response[CartOut]:
    view = cart_service().create_guest_cart()
    return _cart_reply(view, 201, location=f"/v1/guest-carts/{view.cart_id}")


@app.get("/v1/guest-carts/<cart_id>", tags=["carts"], summary="A guest cart at current prices and stock")
def get_guest_cart(cart_id: GuestCartId) -> Response[CartOut]:
    return _cart_reply(cart_service().guest_view(cart_id))


@app.delete("/v1/guest-carts/<cart_id>", tags=["carts"], summary="Empty a guest cart")
def empty_guest_cart(cart_id: GuestCartId) -> Response[None]:
    cart_service().empty_guest_cart(cart_id)
    return _emptied()


@app.put(
    "/v1/guest-carts/<cart_id>/items/<product_id>",
    tags=["carts"],
    summary="Set a product's quantity in a guest cart (409 insufficient_stock)",
)
def set_guest_cart_line(
    cart_id: GuestCartId, product_id: ProductId, request: CartLineUpdate
) -> Response[CartOut]:
    return _cart_reply(cart_service().set_guest_line(cart_id, product_id, request.quantity))


@app.delete(
    "/v1/guest-carts/<cart_id>/items/<product_id>",
    tags=["carts"],
    summary="Remove a product from a guest cart",
)
def remove_guest_cart_line(cart_id: GuestCartId, product_id: ProductId) -> Response[CartOut]:
    return _cart_reply(cart_service().remove_guest_line(cart_id, product_id))


handler = lambda_handler(app, logger)
