"""Catalogue aggregates and their rules, free of I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from commerce.errors import Conflict, Forbidden, InvalidInput, NotFound
from commerce.identity import Principal, Role
from commerce.money import Money

__all__ = [
    "MAX_CATEGORY_DEPTH",
    "Availability",
    "Category",
    "CategoryNode",
    "CategoryTree",
    "Product",
    "ProductImage",
    "ProductStatus",
    "slugify",
]

#: Deepest nesting of the category tree (Electronics > Audio > Headphones > In-ear).
MAX_CATEGORY_DEPTH = 4


def slugify(text: str) -> str:
    """``"Home & Kitchen"`` -> ``"home-kitchen"``: ASCII, lower case, hyphen separated."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    # Accents fold away ("é" -> "e"); any other non-ASCII character separates words ("Rock—Pop").
    kept = "".join(
        char if char.isascii() else ("" if unicodedata.combining(char) else "-") for char in decomposed
    )
    return re.sub(r"[^a-z0-9]+", "-", kept).strip("-")


class Availability(StrEnum):
    """What shoppers see of stock: exact counts are the inventory API's business."""

    IN_STOCK = "in_stock"
    LOW_STOCK = "low_stock"
    OUT_OF_STOCK = "out_of_stock"

    @classmethod
    def of(cls, available: int, low_stock_threshold: int) -> Availability:
        if available <= 0:
            return cls.OUT_OF_STOCK
        return cls.LOW_STOCK if available < low_stock_threshold else cls.IN_STOCK


class ProductStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class ProductImage:
    """One picture of a product in the four sizes the storefront shows."""

    thumbnail: str
    medium: str
    large: str
    zoom: str
    alt: str | None = None


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    seller_id: str
    name: str
    description: str
    price: Money
    category_id: str
    created_at: datetime
    updated_at: datetime
    status: ProductStatus = ProductStatus.ACTIVE
    images: tuple[ProductImage, ...] = ()
    rating_count: int = 0
    rating_total: int = 0
    version: int = 1
    #: Kept up to date from the inventory stream, so reading a product costs one GetItem.
    availability: Availability = Availability.OUT_OF_STOCK

    @property
    def is_active(self) -> bool:
        return self.status is ProductStatus.ACTIVE

    @property
    def rating_average(self) -> float | None:
        if self.rating_count == 0:
            return None
        return round(self.rating_total / self.rating_count, 2)

    def ensure_managed_by(self, principal: Principal) -> None:
        """Only the product's own seller, or an admin, may change it."""
        if principal.is_admin:
            return
        principal.require(Role.SELLER)
        if principal.user_id != self.seller_id:
            raise Forbidden("This product belongs to another seller.", code="not_product_owner")

    def ensure_visible(self) -> None:
        if not self.is_active:
            raise NotFound("No such product.", code="product_not_found")

    def with_changes(self, changes: dict[str, Any], now: datetime) -> Product:
        if not self.is_active:
            raise Conflict("An archived product cannot be changed.", code="product_archived")
        allowed = {"name", "description", "price", "category_id", "images"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
        return replace(self, **changes, updated_at=now, version=self.version + 1)

    def archived(self, now: datetime) -> Product:
        return replace(self, status=ProductStatus.ARCHIVED, updated_at=now, version=self.version + 1)


@dataclass(frozen=True, slots=True)
class Category:
    category_id: str
    name: str
    slug: str
    parent_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int = 1


@dataclass
class CategoryNode:
    category: Category
    children: list[CategoryNode] = field(default_factory=list)


class CategoryTree:
    """The whole category tree, built from a flat list (the tree is small: thousands at most)."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self._by_id = {category.category_id: category for category in categories}

    def __contains__(self, category_id: object) -> bool:
        return category_id in self._by_id

    def get(self, category_id: str) -> Category:
        try:
            return self._by_id[category_id]
        except KeyError:
            raise NotFound("No such category.", code="category_not_found") from None

    def children(self, category_id: str | None) -> list[Category]:
        return sorted(
            (c for c in self._by_id.values() if c.parent_id == category_id), key=lambda c: c.name.lower()
        )

    def ancestors(self, category_id: str) -> list[Category]:
        """Root first, the category itself last."""
        path: list[Category] = []
        current: str | None = category_id
        while current is not None:
            category = self.get(current)
            path.append(category)
            current = category.parent_id
        return list(reversed(path))

    def depth(self, category_id: str) -> int:
        return len(self.ancestors(category_id))

    def descendants(self, category_id: str) -> list[Category]:
        """The category and everything below it, parents before children."""
        result = [self.get(category_id)]
        for category in result:
            result.extend(self.children(category.category_id))
        return result

    def roots(self) -> list[CategoryNode]:
        def node(category: Category) -> CategoryNode:
            return CategoryNode(category, [node(child) for child in self.children(category.category_id)])

        return [node(root) for root in self.children(None)]

    def ensure_can_attach(self, parent_id: str | None) -> None:
        """A new child under ``parent_id`` must not make the tree deeper than allowed."""
        if parent_id is None:
            return
        if parent_id not in self._by_id:
            raise InvalidInput(
                "The parent category does not exist.",
                code="unknown_category",
            )
        if self.depth(parent_id) >= MAX_CATEGORY_DEPTH:
            raise InvalidInput(
                f"Categories nest at most {MAX_CATEGORY_DEPTH} levels deep.", code="category_too_deep"
            )

    def ensure_leaf_free(self, category_id: str) -> None:
        if self.children(category_id):
            raise Conflict("The category still has sub-categories.", code="category_not_empty")
