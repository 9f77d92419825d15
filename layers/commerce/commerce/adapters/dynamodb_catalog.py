"""Products and categories in DynamoDB.

Products: one item per product keyed by its ULID. Only active products carry
``active_category_id`` / ``active_seller_id``, so the two GSIs are sparse and listings never
read archived items; their sort key is the ULID, so a descending query is newest first.

Categories: one item per category (``pk = CATEGORY#<id>``) plus a guard item per slug
(``pk = SLUG#<slug>``) written in the same transaction, which keeps slugs unique.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import (
    condition_failed,
    decode_cursor,
    encode_cursor,
    from_item,
    invalid_cursor,
    put_if_version,
    to_item,
    transaction_cancel_reasons,
)
from commerce.catalog.model import Availability, Category, Product, ProductImage, ProductStatus
from commerce.catalog.ports import CategoryRepository, Page, ProductQuery, ProductRepository
from commerce.clock import isoformat
from commerce.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from commerce.ids import is_ulid
from commerce.inventory.ports import AvailabilityBoard, ProductOwners
from commerce.money import Money

__all__ = [
    "DynamoDBCategoryRepository",
    "DynamoDBProductAvailability",
    "DynamoDBProductOwners",
    "DynamoDBProductRepository",
    "append_image_update",
    "product_from_image",
]

_IMAGE_FIELDS = ("thumbnail", "medium", "large", "zoom", "alt")
#: What a product update never writes: the key, and the counters reviews add to.
_NOT_THE_SELLERS = frozenset({"product_id", "rating_count", "rating_total"})


def _product_item(product: Product) -> dict[str, Any]:
    active = product.status is ProductStatus.ACTIVE
    return to_item(
        {
            "product_id": product.product_id,
            "seller_id": product.seller_id,
            "name": product.name,
            "description": product.description,
            "price_amount": product.price.amount,
            "currency": product.price.currency,
            "category_id": product.category_id,
            "images": [
                {name: getattr(image, name) for name in _IMAGE_FIELDS if getattr(image, name) is not None}
                for image in product.images
            ],
            "status": product.status.value,
            "rating_count": product.rating_count,
            "rating_total": product.rating_total,
            "created_at": isoformat(product.created_at),
            "updated_at": isoformat(product.updated_at),
            "version": product.version,
            "active_category_id": product.category_id if active else None,
            "active_seller_id": product.seller_id if active else None,
        }
    )


def _product(item: dict[str, Any]) -> Product:
    values = from_item(item)
    return Product(
        product_id=values["product_id"],
        seller_id=values["seller_id"],
        name=values["name"],
        description=values["description"],
        price=Money(int(values["price_amount"]), values["currency"]),
        category_id=values["category_id"],
        images=tuple(ProductImage(**image) for image in values.get("images", [])),
        status=ProductStatus(values["status"]),
        rating_count=int(values.get("rating_count", 0)),
        rating_total=int(values.get("rating_total", 0)),
        created_at=datetime.fromisoformat(values["created_at"]),
        updated_at=datetime.fromisoformat(values["updated_at"]),
        version=int(values["version"]),
        availability=Availability(values.get("availability", Availability.OUT_OF_STOCK.value)),
    )


def product_from_image(image: dict[str, Any]) -> Product:
    """A product from a stream record's image (the same attribute-value shape as an item)."""
    return _product(image)


def append_image_update(
    table: str, product_id: str, image: ProductImage, max_images: int, now: datetime
) -> dict[str, Any]:
    """A transaction item adding ``image`` to an active product holding fewer than ``max_images``.

    An append, not a rewrite, so an image added at the same time is kept; the version moves on,
    so a seller's edit decided on the old list fails (``version_conflict``) instead of dropping it.
    """
    return {
        "Update": {
            "TableName": table,
            "Key": {"product_id": {"S": product_id}},
            "UpdateExpression": "SET images = list_append(if_not_exists(images, :none), :image), "
            "version = version + :one, updated_at = :now",
            "ConditionExpression": "attribute_exists(product_id) AND #status = :active "
            "AND (attribute_not_exists(images) OR size(images) < :max)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":image": {"L": [{"M": to_item({name: getattr(image, name) for name in _IMAGE_FIELDS})}]},
                ":none": {"L": []},
                ":one": {"N": "1"},
                ":now": {"S": isoformat(now)},
                ":active": {"S": ProductStatus.ACTIVE.value},
                ":max": {"N": str(max_images)},
            },
        }
    }


def _after_product(cursor: str) -> str:
    """The product id a single-sequence cursor (index query or scan) resumes after."""
    after = decode_cursor(cursor, {"after"}).get("after")
    if not isinstance(after, str) or not is_ulid(after):
        raise invalid_cursor()
    return after


class DynamoDBProductRepository(ProductRepository):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, product: Product) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=_product_item(product),
            ConditionExpression="attribute_not_exists(product_id)",
        )

    def get(self, product_id: str) -> Product | None:
        response = self._client.get_item(TableName=self._table, Key={"product_id": {"S": product_id}})
        return _product(response["Item"]) if "Item" in response else None

    def get_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        """BatchGetItem, 100 keys a call, retrying what DynamoDB leaves unprocessed."""
        ids = list(dict.fromkeys(product_ids))
        found: dict[str, Product] = {}
        for start in range(0, len(ids), 100):
            request: dict[str, Any] = {
                self._table: {"Keys": [{"product_id": {"S": pid}} for pid in ids[start : start + 100]]}
            }
            for _ in range(8):
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    product = _product(item)
                    found[product.product_id] = product
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    def save(self, product: Product, expected_version: int) -> None:
        """An update of the seller's fields only, so ``availability`` (written by the inventory
        stream) and the rating summary (added to by each review) are never overwritten with what
        this request read."""
        item = _product_item(product)
        names = {f"#a{i}": name for i, name in enumerate(n for n in item if n not in _NOT_THE_SELLERS)}
        sets = [f"{alias} = :v{alias[2:]}" for alias in names]
        values = {f":v{alias[2:]}": item[name] for alias, name in names.items()}
        gone = [name for name in ("active_category_id", "active_seller_id") if name not in item]
        for i, name in enumerate(gone):
            names[f"#r{i}"] = name
        expression = (
            "SET "
            + ", ".join(sets)
            + (" REMOVE " + ", ".join(f"#r{i}" for i in range(len(gone))) if gone else "")
        )
        values[":expected"] = {"N": str(expected_version)}
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"product_id": {"S": product.product_id}},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(product_id) AND version = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if condition_failed(error):
                raise PreconditionFailed(
                    "The product changed at the same time; read it again.", code="version_conflict"
                ) from None
            raise

    def has_active_in_category(self, category_id: str) -> bool:
        response = self._client.query(
            TableName=self._table,
            IndexName="by_category",
            KeyConditionExpression="active_category_id = :c",
            ExpressionAttributeValues={":c": {"S": category_id}},
            Limit=1,
            Select="COUNT",
        )
        return int(response.get("Count", 0)) > 0

    # ------------------------------------------------------------------ listings
    def list_active(self, query: ProductQuery) -> Page[Product]:
        if query.category_ids:
            return self._list_by_categories(query)
        if query.seller_id is not None:
            return self._list_by_index(query, "by_seller", "active_seller_id", query.seller_id, None)
        return self._scan_active(query)

    def _query_page(
        self, index: str, key_name: str, key_value: str, after: str | None, limit: int, seller: str | None
    ) -> tuple[list[Product], bool]:
        """Up to ``limit`` products of one index partition after ``after``; and whether more remain."""
        items: list[Product] = []
        start: dict[str, Any] | None = None
        if after is not None:
            start = {key_name: {"S": key_value}, "product_id": {"S": after}}
        while True:
            params: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": index,
                "KeyConditionExpression": f"{key_name} = :k",
                "ExpressionAttributeValues": {":k": {"S": key_value}},
                "ScanIndexForward": False,
                "Limit": limit - len(items) + 1,
            }
            if seller is not None:
                params["FilterExpression"] = "seller_id = :s"
                params["ExpressionAttributeValues"][":s"] = {"S": seller}
            if start is not None:
                # A GSI's exclusive start key also needs the table key, which equals the sort key here.
                params["ExclusiveStartKey"] = start
            response = self._client.query(**params)
            items.extend(_product(item) for item in response.get("Items", []))
            if len(items) > limit:
                return items[:limit], True
            start = response.get("LastEvaluatedKey")
            if start is None:
                return items, False

    def _list_by_index(
        self, query: ProductQuery, index: str, key_name: str, key_value: str, seller: str | None
    ) -> Page[Product]:
        after = _after_product(query.cursor) if query.cursor is not None else None
        items, more = self._query_page(index, key_name, key_value, after, query.limit, seller)
        next_cursor = encode_cursor({"after": items[-1].product_id}) if more and items else None
        return Page(items, next_cursor)

    def _list_by_categories(self, query: ProductQuery) -> Page[Product]:
        """Merge the newest-first listings of a category and its descendants.

        The cursor remembers, per category, the last product already returned (or that the
        category is exhausted), so each page costs one query per category that still has items.
        """
        positions: dict[str, str | None] = {category_id: None for category_id in query.category_ids}
        exhausted: set[str] = set()
        if query.cursor is not None:
            state = decode_cursor(query.cursor, {"after", "done"})
            after, done = state.get("after", {}), state.get("done", [])
            if not isinstance(after, dict) or not isinstance(done, list):
                raise invalid_cursor()
            for category_id, product_id in after.items():
                if category_id not in positions or not isinstance(product_id, str) or not is_ulid(product_id):
                    raise invalid_cursor()
                positions[category_id] = product_id
            exhausted = {category_id for category_id in done if category_id in positions}
        candidates: list[tuple[str, str, Product]] = []
        more: dict[str, bool] = {}
        for category_id, after_id in positions.items():
            if category_id in exhausted:
                continue
            items, has_more = self._query_page(
                "by_category", "active_category_id", category_id, after_id, query.limit, query.seller_id
            )
            more[category_id] = has_more
            candidates.extend((product.product_id, category_id, product) for product in items)
        taken = heapq.nlargest(query.limit, candidates, key=lambda candidate: candidate[0])
        for product_id, category_id, _ in taken:
            current = positions[category_id]
            if current is None or product_id < current:
                positions[category_id] = product_id
        taken_per_category: dict[str, int] = {}
        for _, category_id, _ in taken:
            taken_per_category[category_id] = taken_per_category.get(category_id, 0) + 1
        for category_id, has_more in more.items():
            returned = sum(1 for _, c, _ in candidates if c == category_id)
            if not has_more and taken_per_category.get(category_id, 0) == returned:
                exhausted.add(category_id)
        items = [product for _, _, product in taken]
        if len(exhausted) == len(positions):
            return Page(items, None)
        state = {
            "after": {c: p for c, p in positions.items() if p is not None and c not in exhausted},
            "done": sorted(exhausted),
        }
        return Page(items, encode_cursor(state))

    def _scan_active(self, query: ProductQuery) -> Page[Product]:
        """Browse everything: a filtered scan, in table order (search gives ranked order)."""
        start: dict[str, Any] | None = None
        if query.cursor is not None:
            start = {"product_id": {"S": _after_product(query.cursor)}}
        items: list[Product] = []
        while True:
            params: dict[str, Any] = {
                "TableName": self._table,
                "FilterExpression": "#status = :active",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":active": {"S": "active"}},
                "Limit": max(query.limit - len(items), 1) * 2,
            }
            if start is not None:
                params["ExclusiveStartKey"] = start
            response = self._client.scan(**params)
            for raw in response.get("Items", []):
                if len(items) == query.limit:
                    return Page(items, encode_cursor({"after": items[-1].product_id}))
                items.append(_product(raw))
            start = response.get("LastEvaluatedKey")
            if start is None:
                return Page(items, None)
            if len(items) == query.limit:
                return Page(items, encode_cursor({"after": items[-1].product_id}))


def _category_item(category: Category) -> dict[str, Any]:
    return to_item(
        {
            "pk": f"CATEGORY#{category.category_id}",
            "kind": "category",
            "category_id": category.category_id,
            "name": category.name,
            "slug": category.slug,
            "parent_id": category.parent_id,
            "created_at": isoformat(category.created_at),
            "updated_at": isoformat(category.updated_at),
            "version": category.version,
        }
    )


def _category(values: dict[str, Any]) -> Category:
    return Category(
        category_id=values["category_id"],
        name=values["name"],
        slug=values["slug"],
        parent_id=values.get("parent_id"),
        created_at=datetime.fromisoformat(values["created_at"]),
        updated_at=datetime.fromisoformat(values["updated_at"]),
        version=int(values.get("version", 1)),
    )


class DynamoDBCategoryRepository(CategoryRepository):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def all(self) -> list[Category]:
        categories: list[Category] = []
        params: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "kind = :category",
            "ExpressionAttributeValues": {":category": {"S": "category"}},
        }
        while True:
            response = self._client.scan(**params)
            categories.extend(_category(from_item(item)) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return categories
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get(self, category_id: str) -> Category | None:
        response = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": f"CATEGORY#{category_id}"}}, ConsistentRead=True
        )
        return _category(from_item(response["Item"])) if "Item" in response else None

    def add(self, category: Category) -> None:
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {"pk": f"SLUG#{category.slug}", "kind": "slug", "category_id": category.category_id}
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _category_item(category),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        if category.parent_id is not None:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": f"CATEGORY#{category.parent_id}"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = transaction_cancel_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise Conflict(f"The slug {category.slug!r} is taken.", code="slug_taken") from None
            if len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed":
                raise InvalidInput("The parent category does not exist.", code="unknown_category") from None
            raise

    def save(self, category: Category, expected_version: int) -> None:
        put_if_version(self._client, self._table, _category_item(category), expected_version, "category")

    def delete(self, category: Category) -> None:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": f"CATEGORY#{category.category_id}"}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {"Delete": {"TableName": self._table, "Key": {"pk": {"S": f"SLUG#{category.slug}"}}}},
                ]
            )
        except ClientError as error:
            if transaction_cancel_reasons(error):
                raise NotFound("No such category.", code="category_not_found") from None
            raise


class DynamoDBProductAvailability(AvailabilityBoard):
    """Writes a product's shopper-facing availability; never creates a product."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def show(self, product_id: str, availability: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"product_id": {"S": product_id}},
                UpdateExpression="SET availability = :a",
                ConditionExpression="attribute_exists(product_id)",
                ExpressionAttributeValues={":a": {"S": availability}},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise


class DynamoDBProductOwners(ProductOwners):
    """The catalogue's answer to "who sells this?", read with a one-attribute GetItem."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def seller_of(self, product_id: str) -> str | None:
        response = self._client.get_item(
            TableName=self._table,
            Key={"product_id": {"S": product_id}},
            ProjectionExpression="seller_id",
        )
        item = response.get("Item")
        return str(item["seller_id"]["S"]) if item else None
