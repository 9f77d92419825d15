"""Catalogue API: the category tree and products.

Thin: each route validates with pydantic, calls one service method and shapes the reply.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from commerce.api.auth import optional_principal, principal
from commerce.api.caching import conditional_reply, digest_etag
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.catalog import (
    CategoryCreate,
    CategoryDetail,
    CategoryNodeOut,
    CategoryOut,
    CategoryPatch,
    CategoryTreeOut,
    ProductCreate,
    ProductOut,
    ProductPage,
    ProductPatch,
)
from commerce.bootstrap import catalog_service, recommendation_service
from commerce.catalog.model import Product
from commerce.identity import Role
from commerce.ids import ULID_PATTERN

logger = Logger(service="catalog")
app = create_resolver(logger)

CategoryId = Annotated[str, Path(pattern=ULID_PATTERN)]
ProductId = Annotated[str, Path(pattern=ULID_PATTERN)]
JSON = content_types.APPLICATION_JSON
#: Browsers and the CDN may keep a product an hour, and the category tree and category listings
#: half an hour; other listings (a seller's own, everything) only a minute.
PRODUCT_MAX_AGE = 3600
CATEGORY_MAX_AGE = 1800
LISTING_MAX_AGE = 60


def _product_reply(product: Product, status: int = 200, created: bool = False) -> Response[ProductOut]:
    """The ETag starts with the version (what ``If-Match`` compares), then a digest of all
    that is shown, so a change of availability or rating is never answered with a 304."""
    body = ProductOut.of(product)
    headers = {"Location": f"/v1/products/{product.product_id}"} if created else None
    return conditional_reply(
        app,
        body,
        max_age=PRODUCT_MAX_AGE,
        etag=digest_etag(body, prefix=f"{product.version}-"),
        status=status,
        headers=headers,
    )


def _if_match_version(if_match: str | None) -> int | None:
    """``"3"`` or an ETag we sent (``"3-<digest>"``) means version 3; anything else matches nothing."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"').split("-", 1)[0]
    return int(value) if value.isdigit() else -1


# ---------------------------------------------------------------------- categories
@app.get("/v1/categories", tags=["catalog"], summary="The category tree")
def list_categories() -> Response[CategoryTreeOut]:
    tree = catalog_service().category_tree()
    body = CategoryTreeOut(items=[CategoryNodeOut.of_node(node) for node in tree.roots()])
    return conditional_reply(app, body, max_age=CATEGORY_MAX_AGE)


@app.get("/v1/categories/<category_id>", tags=["catalog"], summary="One category with its path")
def get_category(category_id: CategoryId) -> Response[CategoryDetail]:
    category, tree = catalog_service().category(category_id)
    body = CategoryDetail(
        **CategoryOut.of(category).model_dump(),
        path=[CategoryOut.of(c) for c in tree.ancestors(category_id)[:-1]],
        children=[CategoryOut.of(c) for c in tree.children(category_id)],
    )
    return conditional_reply(app, body, max_age=CATEGORY_MAX_AGE)


@app.post("/v1/categories", tags=["catalog"], summary="Create a category (admin)")
def create_category(request: CategoryCreate) -> Response[CategoryOut]:
    category = catalog_service().create_category(
        principal(app), request.name, request.parent_id, request.slug
    )
    return Response(
        status_code=201,
        content_type=JSON,
        body=CategoryOut.of(category),
        headers={"Location": f"/v1/categories/{category.category_id}"},
    )


@app.patch("/v1/categories/<category_id>", tags=["catalog"], summary="Rename a category (admin)")
def rename_category(category_id: CategoryId, request: CategoryPatch) -> CategoryOut:
    return CategoryOut.of(catalog_service().rename_category(principal(app), category_id, request.name))


@app.delete("/v1/categories/<category_id>", tags=["catalog"], summary="Delete an empty category (admin)")
def delete_category(category_id: CategoryId) -> Response[None]:
    catalog_service().delete_category(principal(app), category_id)
    return Response(status_code=204, body=None)


# ---------------------------------------------------------------------- products
@app.get("/v1/products", tags=["catalog"], summary="Active products, newest first")
def list_products(
    category: Annotated[
        str | None, Query(pattern=ULID_PATTERN, description="Includes sub-categories.")
    ] = None,
    seller: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response[ProductPage]:
    page = catalog_service().list_products(category, seller, cursor, limit)
    body = ProductPage(items=[ProductOut.of(p) for p in page.items], next_cursor=page.next_cursor)
    max_age = CATEGORY_MAX_AGE if category is not None and seller is None else LISTING_MAX_AGE
    return conditional_reply(app, body, max_age=max_age)


@app.get("/v1/products/<product_id>", tags=["catalog"], summary="One product")
def get_product(product_id: ProductId) -> Response[ProductOut]:
    product = catalog_service().product(product_id)
    viewer = optional_principal(app)
    if viewer is not None and viewer.has(Role.CUSTOMER):
        _remember_view(viewer.user_id, product)
    return _product_reply(product)


def _remember_view(customer_id: str, product: Product) -> None:
    """A signed-in customer's view feeds their recommendations; failing to note it must never
    fail the page."""
    try:
        recommendation_service().record_view(customer_id, product.product_id, product=product)
    except Exception:
        logger.exception("product view not recorded", extra={"product_id": product.product_id})


@app.post("/v1/products", tags=["catalog"], summary="List a new product (seller or admin)")
def create_product(request: ProductCreate) -> Response[ProductOut]:
    return _product_reply(
        catalog_service().create_product(principal(app), request.to_domain()), 201, created=True
    )


@app.patch("/v1/products/<product_id>", tags=["catalog"], summary="Change a product (its seller or admin)")
def update_product(
    product_id: ProductId,
    patch: ProductPatch,
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
) -> Response[ProductOut]:
    return _product_reply(
        catalog_service().update_product(
            principal(app), product_id, patch.changes(), _if_match_version(if_match)
        )
    )


@app.delete("/v1/products/<product_id>", tags=["catalog"], summary="Archive a product (its seller or admin)")
def archive_product(product_id: ProductId) -> Response[None]:
    catalog_service().archive_product(principal(app), product_id)
    return Response(status_code=204, body=None)


handler = lambda_handler(app, logger)
