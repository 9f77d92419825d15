"""What is searched and what a search asks and answers, the same for every backend.

A backend ranks and filters; the rules shared by all of them (price bands, rating bands,
sort orders, page sizes, how long a query may be) live here, so the embedded engine and
OpenSearch give the same answers to the same question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_QUERY_LENGTH",
    "PRICE_BANDS",
    "RATING_THRESHOLDS",
    "Affinity",
    "FacetCount",
    "Facets",
    "PriceBand",
    "SearchDocument",
    "SearchHit",
    "SearchQuery",
    "SearchResults",
    "SearchSort",
    "Suggestion",
]

#: The most results one page holds.
MAX_PAGE_SIZE = 50
#: Longer queries are refused before they reach a backend (no product name is this long).
MAX_QUERY_LENGTH = 200


class SearchSort(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    RATING = "rating"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class PriceBand:
    """``[min_amount, max_amount)`` in minor units; ``max_amount`` None is open-ended."""

    key: str
    min_amount: int
    max_amount: int | None

    def holds(self, amount: int) -> bool:
        return amount >= self.min_amount and (self.max_amount is None or amount < self.max_amount)


#: Facet bands over the price's minor units, whatever the currency.
PRICE_BANDS: tuple[PriceBand, ...] = (
    PriceBand("under_25", 0, 2500),
    PriceBand("25_to_50", 2500, 5000),
    PriceBand("50_to_100", 5000, 10000),
    PriceBand("100_to_200", 10000, 20000),
    PriceBand("200_to_500", 20000, 50000),
    PriceBand("500_and_up", 50000, None),
)

#: Rating facet: how many products average at least 4, 3, 2 and 1 stars ("4 stars & up").
RATING_THRESHOLDS: tuple[int, ...] = (4, 3, 2, 1)


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One active product as the index holds it."""

    product_id: str
    seller_id: str
    name: str
    description: str
    #: The product's own category (a leaf or not), the one facets count.
    category_id: str
    #: Its category and every ancestor, root first: a filter on any of them finds the product.
    category_path: tuple[str, ...]
    #: The names along that path, searched as text ("headphones" finds In-ear > Headphones).
    category_names: tuple[str, ...]
    price_amount: int
    currency: str
    in_stock: bool
    rating_average: float | None
    rating_count: int
    created_at: datetime
    #: The product's version: a backend that can must never let an older version overwrite a newer one.
    version: int


@dataclass(frozen=True, slots=True)
class Affinity:
    """How much a customer leans towards categories and sellers, each weight in (0, 1].

    Backends add ``CATEGORY_BOOST * weight`` (and ``SELLER_BOOST * weight``) to the text score of
    a matching product, so a favourite category lifts a result without burying a better match.
    """

    CATEGORY_BOOST = 2.0
    SELLER_BOOST = 1.0

    categories: Mapping[str, float] = field(default_factory=dict)
    sellers: Mapping[str, float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.categories or self.sellers)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """``text`` empty matches every product (browse with filters). Prices are minor units.

    ``category_id`` matches the category and everything below it. ``cursor`` is what the
    previous page returned for the same query; a backend refuses one made for another sort.
    """

    text: str = ""
    category_id: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    currency: str | None = None
    in_stock: bool | None = None
    seller_id: str | None = None
    sort: SearchSort = SearchSort.RELEVANCE
    cursor: str | None = None
    limit: int = 20
    #: Only applied to relevance ordering.
    affinity: Affinity = field(default_factory=Affinity)


@dataclass(frozen=True, slots=True)
class SearchHit:
    product_id: str
    score: float | None = None


@dataclass(frozen=True, slots=True)
class FacetCount:
    key: str
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    """Counts over every product the query matches (all pages), filters applied.

    ``categories``: by the product's own category, most first (at most 20).
    ``price_bands``: one per ``PRICE_BANDS`` entry, in that order, zeros included.
    ``ratings``: ``"4"`` counts products averaging 4 or more, and so on (``RATING_THRESHOLDS``).
    """

    categories: tuple[FacetCount, ...] = ()
    price_bands: tuple[FacetCount, ...] = ()
    ratings: tuple[FacetCount, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResults:
    hits: tuple[SearchHit, ...]
    total: int
    next_cursor: str | None
    facets: Facets


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An autocomplete entry: a product name that starts with (or nearly with) what was typed."""

    text: str
    product_id: str
