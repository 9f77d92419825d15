"""Catalogue API: the category tree and products.

Thin: each route validates with pydantic, calls one service method and shapes the reply.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from commerce.api.auth import principal
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
from commerce.bootstrap import catalog_service
from commerce.catalog.model import Product
from commerce.ids import ULID_PATTERN

logger = Logger(service="catalog")
app = create_resolver(logger)

CategoryId = Annotated[str, Path(pattern=ULID_PATTERN)]
ProductId = Annotated[str, Path(pattern=ULID_PATTERN)]
JSON = content_types.APPLICATION_JSON


def _etag(version: int) -> str:
    return f'"{version}"'


def _product_reply(product: Product, status: int = 200, created: bool = False) -> Response[ProductOut]:
    headers = {"ETag": _etag(product.version)}
    if created:
        headers["Location"] = f"/v1/products/{product.product_id}"
    return Response(status_code=status, content_type=JSON, body=ProductOut.of(product), headers=headers)


def _if_match_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    return int(value) if value.isdigit() else -1


# ---------------------------------------------------------------------- categories
@app.get("/v1/categories", tags=["catalog"], summary="The category tree")
def list_categories() -> CategoryTreeOut:
    tree = catalog_service().category_tree()
    return CategoryTreeOut(items=[CategoryNodeOut.of_node(node) for node in tree.roots()])


@app.get("/v1/categories/<category_id>", tags=["catalog"], summary="One category with its path")
def get_category(category_id: CategoryId) -> CategoryDetail:
    category, tree = catalog_service().category(category_id)
    return CategoryDetail(
        **CategoryOut.of(category).model_dump(),
        path=[CategoryOut.of(c) for c in tree.ancestors(category_id)[:-1]],
        children=[CategoryOut.of(c) for c in tree.children(category_id)],
    )


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
) -> ProductPage:
    page = catalog_service().list_products(category, seller, cursor, limit)
    return ProductPage(items=[ProductOut.of(p) for p in page.items], next_cursor=page.next_cursor)


@app.get("/v1/products/<product_id>", tags=["catalog"], summary="One product")
def get_product(product_id: ProductId) -> Response[ProductOut]:
    return _product_reply(catalog_service().product(product_id))


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
