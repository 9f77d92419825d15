"""The search service between the HTTP API and an engine: it cleans what shoppers type,
personalises for signed-in customers, and shows only current, active products."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from commerce.catalog.model import Availability, Category, CategoryTree, Product, ProductStatus
from commerce.errors import DependencyFailure, InvalidInput
from commerce.money import Money
from commerce.search.model import (
    Affinity,
    Facets,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchSort,
    Suggestion,
)
from commerce.search.ports import SearchBackend
from commerce.search.service import SearchIndexer, SearchService, clean_query_text

AT = datetime(2026, 11, 1, tzinfo=UTC)


class RecordingBackend(SearchBackend):
    """Answers every search with the ids it was given, and remembers what it was asked."""

    def __init__(self, hits: Iterable[str] = ()) -> None:
        self.hits = list(hits)
        self.queries: list[SearchQuery] = []
        self.indexed: list[SearchDocument] = []
        self.removed: list[str] = []
        self.recreated = 0
        self.failing: set[str] = set()

    def index(self, documents: Iterable[SearchDocument]) -> list[str]:
        batch = list(documents)
        self.indexed.extend(d for d in batch if d.product_id not in self.failing)
        return [d.product_id for d in batch if d.product_id in self.failing]

    def remove(self, product_ids: Iterable[str]) -> list[str]:
        self.removed.extend(product_ids)
        return []

    def search(self, query: SearchQuery) -> SearchResults:
        self.queries.append(query)
        return SearchResults(tuple(SearchHit(p, 1.0) for p in self.hits), len(self.hits), None, Facets())

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        self.queries.append(SearchQuery(text=prefix, limit=limit))
        return [Suggestion("Ember Espresso Machine", "p1")]

    def recreate(self) -> None:
        self.recreated += 1
        self.indexed.clear()


def category(category_id: str, name: str, parent_id: str | None = None) -> Category:
    return Category(category_id, name, name.lower(), parent_id, AT, AT)


TREE = CategoryTree([category("audio", "Audio"), category("headphones", "Headphones", "audio")])


def product(product_id: str, **changes: object) -> Product:
    base = Product(
        product_id=product_id,
        seller_id="seller-1",
        name=f"Product {product_id}",
        description="",
        price=Money(1999, "USD"),
        category_id="headphones",
        created_at=AT,
        updated_at=AT,
        availability=Availability.IN_STOCK,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def catalogue(*products: Product) -> object:
    by_id = {p.product_id: p for p in products}

    def active(ids: Iterable[str]) -> Mapping[str, Product]:
        return {i: by_id[i] for i in ids if i in by_id and by_id[i].is_active}

    return active


def service(backend: RecordingBackend, *products: Product, affinity: Affinity | None = None) -> SearchService:
    def affinity_of(customer_id: str) -> Affinity:
        if affinity is None:
            raise DependencyFailure("down")
        return affinity

    return SearchService(backend, catalogue(*products), lambda: TREE, affinity_of)  # type: ignore[arg-type]


def test_results_come_in_the_engines_order_without_products_archived_since_indexing() -> None:
    backend = RecordingBackend(["p2", "p1", "p3", "gone"])
    shown = service(
        backend, product("p1"), product("p2"), product("p3", status=ProductStatus.ARCHIVED)
    ).search(SearchQuery(text="x"))
    assert [p.product_id for p in shown.products] == ["p2", "p1"]
    assert shown.total == 4  # the engine's count; the next refresh of the index catches up


def test_what_a_shopper_types_is_normalised_before_it_reaches_the_engine() -> None:
    backend = RecordingBackend()
    service(backend).search(SearchQuery(text="  wireless\t\x00 earbuds\n "))
    assert backend.queries[0].text == "wireless earbuds"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "earbuds")
    assert clean_query_text(full_width) == "earbuds"  # full-width letters fold (NFKC)


def test_a_query_longer_than_any_product_name_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        service(RecordingBackend()).search(SearchQuery(text="a" * 201))
    assert refused.value.code == "query_too_long"


def test_a_price_range_upside_down_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        service(RecordingBackend()).search(SearchQuery(min_price=500, max_price=100))
    assert refused.value.code == "invalid_price_range"


def test_the_page_size_is_kept_between_1_and_50() -> None:
    backend = RecordingBackend()
    service(backend).search(SearchQuery(limit=500))
    service(backend).search(SearchQuery(limit=0))
    assert [q.limit for q in backend.queries] == [50, 1]


def test_a_signed_in_customers_tastes_go_with_a_relevance_search() -> None:
    backend = RecordingBackend(["p1"])
    tastes = Affinity(categories={"headphones": 1.0})
    page = service(backend, product("p1"), affinity=tastes).search(SearchQuery(text="x"), "customer-1")
    assert backend.queries[0].affinity == tastes
    assert page.personalised


def test_tastes_do_not_reorder_a_price_sort_and_anonymous_searches_have_none() -> None:
    backend = RecordingBackend()
    search = service(backend, affinity=Affinity(sellers={"s": 1.0}))
    search.search(SearchQuery(sort=SearchSort.PRICE_ASC), "customer-1")
    anonymous = search.search(SearchQuery(text="x"))
    assert [bool(q.affinity) for q in backend.queries] == [False, False]
    assert not anonymous.personalised


def test_a_search_still_answers_when_tastes_cannot_be_read() -> None:
    backend = RecordingBackend(["p1"])
    page = service(backend, product("p1"), affinity=None).search(SearchQuery(text="x"), "customer-1")
    assert [p.product_id for p in page.products] == ["p1"]
    assert not page.personalised


def test_suggestions_for_nothing_typed_ask_the_engine_nothing() -> None:
    backend = RecordingBackend()
    assert service(backend).suggest("   ") == []
    assert backend.queries == []
    assert service(backend).suggest("emb") == [Suggestion("Ember Espresso Machine", "p1")]


# ---------------------------------------------------------------------- indexing
def test_a_product_is_indexed_with_its_category_path_and_names() -> None:
    backend = RecordingBackend()
    SearchIndexer(backend, lambda: TREE).apply({"p1": product("p1")})
    [document] = backend.indexed
    assert document.category_path == ("audio", "headphones")
    assert document.category_names == ("Audio", "Headphones")
    assert document.in_stock


def test_low_stock_is_still_in_stock_and_sold_out_is_not() -> None:
    backend = RecordingBackend()
    SearchIndexer(backend, lambda: TREE).apply(
        {
            "low": product("low", availability=Availability.LOW_STOCK),
            "out": product("out", availability=Availability.OUT_OF_STOCK),
        }
    )
    assert {d.product_id: d.in_stock for d in backend.indexed} == {"low": True, "out": False}


def test_archived_and_deleted_products_are_removed_and_failures_are_reported() -> None:
    backend = RecordingBackend()
    backend.failing = {"p1"}
    failed = SearchIndexer(backend, lambda: TREE).apply(
        {"p1": product("p1"), "p2": product("p2", status=ProductStatus.ARCHIVED), "p3": None}
    )
    assert failed == ["p1"]
    assert backend.removed == ["p2", "p3"]


def test_a_product_in_a_deleted_category_is_still_indexed_under_its_id() -> None:
    backend = RecordingBackend()
    SearchIndexer(backend, lambda: TREE).apply({"p1": product("p1", category_id="gone")})
    assert backend.indexed[0].category_path == ("gone",)
    assert backend.indexed[0].category_names == ()


def test_a_rebuild_starts_empty_and_indexes_only_active_products_in_batches() -> None:
    backend = RecordingBackend()
    products = [product(f"p{i}") for i in range(5)] + [product("old", status=ProductStatus.ARCHIVED)]
    indexed = SearchIndexer(backend, lambda: TREE).rebuild(products, batch_size=2)
    assert indexed == 5
    assert backend.recreated == 1
    assert sorted(d.product_id for d in backend.indexed) == [f"p{i}" for i in range(5)]


def test_browsing_without_words_shows_the_newest_first_unless_tastes_rank_it() -> None:
    backend = RecordingBackend()
    service(backend, affinity=Affinity(categories={"headphones": 1.0})).search(SearchQuery(), "customer-1")
    service(backend).search(SearchQuery())
    assert [q.sort for q in backend.queries] == [SearchSort.RELEVANCE, SearchSort.NEWEST]
