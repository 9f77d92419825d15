"""Search use cases: ask the engine, personalise for a signed-in customer, show current products.

The index answers which products match and in what order; the products themselves are read
from the catalogue (through its cache), so a shopper always sees the current price and never
an archived product, even in the second before the index hears of the change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from aws_lambda_powertools import Logger

from commerce.catalog.model import Availability, CategoryTree, Product
from commerce.catalog.ports import ProductQuery, ProductRepository
from commerce.errors import CommerceError, InvalidInput
from commerce.search.model import (
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    Affinity,
    Facets,
    SearchDocument,
    SearchQuery,
    SearchSort,
    Suggestion,
)
from commerce.search.ports import SearchBackend

__all__ = ["SearchIndexer", "SearchPage", "SearchService", "active_products", "clean_query_text"]

logger = Logger(child=True)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")


def clean_query_text(text: str) -> str:
    """What a shopper typed, made safe to hand to any engine: NFKC, no control characters,
    single spaces. Refuses text longer than any product name could need."""
    cleaned = _SPACES.sub(" ", _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))).strip()
    if len(cleaned) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"Search for at most {MAX_QUERY_LENGTH} characters.", code="query_too_long")
    return cleaned


@dataclass(frozen=True, slots=True)
class SearchPage:
    products: list[Product]
    total: int
    next_cursor: str | None
    facets: Facets
    #: True when the order was adjusted to the signed-in customer's tastes.
    personalised: bool


@dataclass
class SearchService:
    backend: SearchBackend
    #: The active products among some ids (``CatalogService.active_products``: cached, batched).
    active_products: Callable[[Iterable[str]], Mapping[str, Product]]
    category_tree: Callable[[], CategoryTree]
    #: The customer's leanings (``RecommendationService.affinity``); None: no personalisation.
    affinity_of: Callable[[str], Affinity] | None = None

    def search(self, query: SearchQuery, customer_id: str | None = None) -> SearchPage:
        if query.min_price is not None and query.max_price is not None and query.min_price > query.max_price:
            raise InvalidInput("min_price is above max_price.", code="invalid_price_range")
        query = replace(
            query, text=clean_query_text(query.text), limit=max(1, min(query.limit, MAX_PAGE_SIZE))
        )
        affinity = self._affinity(customer_id) if query.sort is SearchSort.RELEVANCE else Affinity()
        if not query.text and query.sort is SearchSort.RELEVANCE and not affinity:
            # Browsing without words: nothing is more relevant than anything else, so newest first.
            query = replace(query, sort=SearchSort.NEWEST)
        results = self.backend.search(replace(query, affinity=affinity))
        found = self.active_products(hit.product_id for hit in results.hits)
        shown = [found[hit.product_id] for hit in results.hits if hit.product_id in found]
        return SearchPage(shown, results.total, results.next_cursor, results.facets, bool(affinity))

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        text = clean_query_text(prefix)
        return self.backend.suggest(text, limit) if text else []

    def _affinity(self, customer_id: str | None) -> Affinity:
        """Personalisation is a bonus: if it cannot be read, the shopper still gets results."""
        if customer_id is None or self.affinity_of is None:
            return Affinity()
        try:
            return self.affinity_of(customer_id)
        except CommerceError as error:
            logger.warning("affinity unavailable", extra={"code": error.code})
        except Exception:  # the store behind it failing must not fail the search
            logger.exception("affinity unavailable")
        return Affinity()


@dataclass
class SearchIndexer:
    """Keeps the index in step with the catalogue: products in, archived products out."""

    backend: SearchBackend
    category_tree: Callable[[], CategoryTree]

    def document(self, product: Product, tree: CategoryTree) -> SearchDocument:
        path = (
            tuple(c.category_id for c in tree.ancestors(product.category_id))
            if product.category_id in tree
            else (product.category_id,)
        )
        names = tuple(tree.get(c).name for c in path if c in tree)
        return SearchDocument(
            product_id=product.product_id,
            seller_id=product.seller_id,
            name=product.name,
            description=product.description,
            category_id=product.category_id,
            category_path=path,
            category_names=names,
            price_amount=product.price.amount,
            currency=product.price.currency,
            in_stock=product.availability is not Availability.OUT_OF_STOCK,
            rating_average=product.rating_average,
            rating_count=product.rating_count,
            created_at=product.created_at,
            version=product.version,
        )

    def apply(self, changes: Mapping[str, Product | None]) -> list[str]:
        """The latest state of each changed product (None: deleted). Returns the ids that failed."""
        tree = self.category_tree()
        documents = [
            self.document(product, tree)
            for product in changes.values()
            if product is not None and product.is_active
        ]
        gone = [
            product_id for product_id, product in changes.items() if product is None or not product.is_active
        ]
        failed = self.backend.index(documents) if documents else []
        return failed + (self.backend.remove(gone) if gone else [])

    def rebuild(self, products: Iterable[Product], batch_size: int = 1000) -> int:
        """Start from an empty index and add every active product; returns how many."""
        self.backend.recreate()
        tree = self.category_tree()
        batch: list[SearchDocument] = []
        indexed = 0
        for product in products:
            if not product.is_active:
                continue
            batch.append(self.document(product, tree))
            if len(batch) >= batch_size:
                indexed += len(batch) - len(self.backend.index(batch))
                batch = []
        if batch:
            indexed += len(batch) - len(self.backend.index(batch))
        return indexed


def active_products(products: ProductRepository, page_size: int = 100) -> Iterable[Product]:
    """Every active product, page by page (for a rebuild)."""
    cursor: str | None = None
    while True:
        page = products.list_active(ProductQuery(cursor=cursor, limit=page_size))
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
