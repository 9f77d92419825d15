"""Catalogue use cases: who may do what to categories and products."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from commerce.caching import TtlCache
from commerce.catalog.model import Category, CategoryTree, Product, ProductImage, slugify
from commerce.catalog.ports import CategoryRepository, Page, ProductQuery, ProductRepository
from commerce.clock import Clock
from commerce.errors import Conflict, FieldError, InvalidInput, NotFound, PreconditionFailed
from commerce.identity import Principal, Role
from commerce.ids import new_id
from commerce.money import Money

__all__ = ["CatalogService", "NewProduct"]


@dataclass(frozen=True, slots=True)
class NewProduct:
    name: str
    description: str
    price: Money
    category_id: str
    images: tuple[ProductImage, ...] = ()
    seller_id: str | None = None


@dataclass
class CatalogService:
    products: ProductRepository
    categories: CategoryRepository
    clock: Clock
    #: How long a warm function reuses the category tree it read (categories change rarely).
    tree_ttl_seconds: float = 60.0
    monotonic: Callable[[], float] = time.monotonic
    #: How long a warm function reuses a product it read: the bound on how stale a hot product's
    #: availability or rating may be here (those are written by other functions).
    product_ttl_seconds: float = 30.0
    _tree: tuple[float, CategoryTree] | None = field(default=None, init=False, repr=False)
    _products: TtlCache[str, Product | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._products = TtlCache(self.product_ttl_seconds, max_entries=2048, timer=self.monotonic)

    def forget_cached(self) -> None:
        """Read everything afresh from now on, as a cold environment would."""
        self._tree = None
        self._products.clear()

    # ------------------------------------------------------------------ categories
    def category_tree(self) -> CategoryTree:
        now = self.monotonic()
        if self._tree is None or now - self._tree[0] > self.tree_ttl_seconds:
            self._tree = (now, CategoryTree(self.categories.all()))
        return self._tree[1]

    def _fresh_tree(self) -> CategoryTree:
        """Writes decide on what is stored now, never on a cached copy."""
        self._tree = None
        return self.category_tree()

    def category(self, category_id: str) -> tuple[Category, CategoryTree]:
        tree = self.category_tree()
        return tree.get(category_id), tree

    def create_category(
        self, principal: Principal, name: str, parent_id: str | None, slug: str | None
    ) -> Category:
        principal.require(Role.ADMIN)
        tree = self._fresh_tree()
        tree.ensure_can_attach(parent_id)
        slug = slug or slugify(name)
        if not slug:
            raise InvalidInput("The name needs at least one letter or digit.", code="invalid_slug")
        now = self.clock()
        category = Category(new_id(), name, slug, parent_id, created_at=now, updated_at=now)
        self.categories.add(category)
        self._tree = None
        return category

    def rename_category(self, principal: Principal, category_id: str, name: str) -> Category:
        principal.require(Role.ADMIN)
        current = self._fresh_tree().get(category_id)
        renamed = Category(
            current.category_id,
            name,
            current.slug,
            current.parent_id,
            created_at=current.created_at,
            updated_at=self.clock(),
            version=current.version + 1,
        )
        self.categories.save(renamed, expected_version=current.version)
        self._tree = None
        return renamed

    def delete_category(self, principal: Principal, category_id: str) -> None:
        principal.require(Role.ADMIN)
        tree = self._fresh_tree()
        category = tree.get(category_id)
        tree.ensure_leaf_free(category_id)
        if self.products.has_active_in_category(category_id):
            raise Conflict("The category still has active products.", code="category_not_empty")
        self.categories.delete(category)
        self._tree = None

    # ------------------------------------------------------------------ products
    def _ensure_category_exists(self, category_id: str) -> None:
        if self.categories.get(category_id) is None:
            raise InvalidInput(
                "The category does not exist.",
                code="unknown_category",
                errors=[FieldError("body.category_id", "No category has this id.", "unknown_category")],
            )

    def create_product(self, principal: Principal, draft: NewProduct) -> Product:
        principal.require(Role.SELLER)
        if draft.seller_id is not None and not principal.is_admin:
            raise InvalidInput(
                "Only an admin may list a product for another seller.", code="seller_id_not_allowed"
            )
        seller_id = draft.seller_id or principal.user_id
        self._ensure_category_exists(draft.category_id)
        now = self.clock()
        product = Product(
            product_id=new_id(),
            seller_id=seller_id,
            name=draft.name,
            description=draft.description,
            price=draft.price,
            category_id=draft.category_id,
            images=draft.images,
            created_at=now,
            updated_at=now,
        )
        self.products.add(product)
        return product

    def product(self, product_id: str) -> Product:
        """A product as shoppers see it, from this environment's cache when read recently."""
        product = self._products.get_or_load(product_id, lambda: self.products.get(product_id))
        if product is None:
            raise NotFound("No such product.", code="product_not_found")
        product.ensure_visible()
        return product

    def active_products(self, product_ids: Iterable[str]) -> dict[str, Product]:
        """The active ones among ``product_ids``: recently read ones from the cache, the rest in
        one batch read (search results, recommendations)."""
        wanted = list(dict.fromkeys(product_ids))
        cached = {product_id: self._products.peek(product_id) for product_id in wanted}
        missing = [product_id for product_id, hit in cached.items() if hit is None]
        fetched = self.products.get_many(missing) if missing else {}
        for product_id in missing:
            self._products.put(product_id, fetched.get(product_id))
        found = {**{k: v for k, v in cached.items() if v is not None}, **fetched}
        return {k: found[k] for k in wanted if found.get(k) is not None and found[k].is_active}

    def _managed_product(self, principal: Principal, product_id: str) -> Product:
        product = self.products.get(product_id)
        if product is None:
            raise NotFound("No such product.", code="product_not_found")
        product.ensure_managed_by(principal)
        return product

    def update_product(
        self,
        principal: Principal,
        product_id: str,
        changes: dict[str, Any],
        if_match: int | None = None,
    ) -> Product:
        current = self._managed_product(principal, product_id)
        if if_match is not None and if_match != current.version:
            raise PreconditionFailed(
                "The product changed since you read it.",
                code="version_conflict",
                extra={"current_version": current.version},
            )
        if "category_id" in changes:
            self._ensure_category_exists(changes["category_id"])
        updated = current.with_changes(changes, self.clock())
        self.products.save(updated, expected_version=current.version)
        self._products.invalidate(product_id)
        return updated

    def archive_product(self, principal: Principal, product_id: str) -> None:
        current = self._managed_product(principal, product_id)
        if not current.is_active:
            return
        self.products.save(current.archived(self.clock()), expected_version=current.version)
        self._products.invalidate(product_id)

    def list_products(
        self, category_id: str | None, seller_id: str | None, cursor: str | None, limit: int
    ) -> Page[Product]:
        category_ids: tuple[str, ...] = ()
        if category_id is not None:
            tree = self.category_tree()
            if category_id not in tree:
                raise NotFound("No such category.", code="category_not_found")
            category_ids = tuple(c.category_id for c in tree.descendants(category_id))
        query = ProductQuery(category_ids=category_ids, seller_id=seller_id, cursor=cursor, limit=limit)
        return self.products.list_active(query)
