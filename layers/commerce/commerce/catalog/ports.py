"""What the catalogue service needs from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from commerce.catalog.model import Category, Product

__all__ = ["CategoryRepository", "Page", "ProductQuery", "ProductRepository"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """A listing of active products. ``category_ids`` is one category and its descendants."""

    category_ids: tuple[str, ...] = ()
    seller_id: str | None = None
    cursor: str | None = None
    limit: int = 20


class ProductRepository(ABC):
    @abstractmethod
    def add(self, product: Product) -> None: ...

    @abstractmethod
    def get(self, product_id: str) -> Product | None: ...

    def get_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        """The products that exist among ``product_ids`` (adapters read them in batches)."""
        found = {product_id: self.get(product_id) for product_id in dict.fromkeys(product_ids)}
        return {product_id: product for product_id, product in found.items() if product is not None}

    @abstractmethod
    def save(self, product: Product, expected_version: int) -> None:
        """Store ``product`` if the stored version is still ``expected_version``.

        Raises ``PreconditionFailed(code="version_conflict")`` otherwise.
        """

    @abstractmethod
    def list_active(self, query: ProductQuery) -> Page[Product]:
        """Newest first where an index gives an order. Raises ``InvalidInput(code="invalid_cursor")``."""

    @abstractmethod
    def has_active_in_category(self, category_id: str) -> bool: ...


class CategoryRepository(ABC):
    @abstractmethod
    def all(self) -> list[Category]: ...

    @abstractmethod
    def get(self, category_id: str) -> Category | None: ...

    @abstractmethod
    def add(self, category: Category) -> None:
        """Raises ``Conflict(code="slug_taken")`` if the slug is in use."""

    @abstractmethod
    def save(self, category: Category, expected_version: int) -> None: ...

    @abstractmethod
    def delete(self, category: Category) -> None: ...
