"""The SearchBackend contract: what product search relies on from every engine (the embedded one,
the SQLite FTS5 one the benchmark compares with, OpenSearch when a cluster is at hand).

Each test builds its own small catalogue, and every write is expected to be searchable as soon
as ``index``/``remove`` return.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commerce.errors import InvalidInput
from commerce.search.model import (
    MAX_PAGE_SIZE,
    PRICE_BANDS,
    Affinity,
    FacetCount,
    SearchDocument,
    SearchQuery,
    SearchResults,
    SearchSort,
)
from commerce.search.ports import SearchBackend
from contract.search_harness import BACKEND_NAMES, search_backend_named

ELECTRONICS = ("electronics",)
AUDIO = ("electronics", "audio")
HEADPHONES = ("electronics", "audio", "headphones")
HOME = ("home",)
LIGHTING = ("home", "lighting")
CATEGORY_NAMES = {
    "electronics": "Electronics",
    "audio": "Audio",
    "headphones": "Headphones",
    "home": "Home and Garden",
    "lighting": "Lighting",
}
LAUNCH = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=BACKEND_NAMES)
def backend(request: pytest.FixtureRequest) -> Iterator[SearchBackend]:
    with search_backend_named(request.param) as started:
        yield started


def product(
    product_id: str,
    name: str,
    *,
    description: str = "",
    path: tuple[str, ...] = AUDIO,
    price: int = 1999,
    currency: str = "USD",
    in_stock: bool = True,
    seller_id: str = "seller-a",
    rating: float | None = None,
    rating_count: int = 0,
    age_days: int = 0,
    version: int = 1,
) -> SearchDocument:
    """A product with dull defaults, so each test states only what it is about."""
    return SearchDocument(
        product_id=product_id,
        seller_id=seller_id,
        name=name,
        description=description,
        category_id=path[-1],
        category_path=path,
        category_names=tuple(CATEGORY_NAMES[category] for category in path),
        price_amount=price,
        currency=currency,
        in_stock=in_stock,
        rating_average=rating,
        rating_count=rating_count,
        created_at=LAUNCH - timedelta(days=age_days),
        version=version,
    )


def stock(backend: SearchBackend, *documents: SearchDocument) -> None:
    assert backend.index(documents) == []


def found(backend: SearchBackend, text: str = "", **criteria: Any) -> list[str]:
    """The product ids of the first page, in order."""
    return [hit.product_id for hit in backend.search(SearchQuery(text=text, **criteria)).hits]


def every_page(backend: SearchBackend, query: SearchQuery) -> list[list[str]]:
    pages: list[list[str]] = []
    results: SearchResults | None = None
    while results is None or results.next_cursor is not None:
        cursor = None if results is None else results.next_cursor
        results = backend.search(replace(query, cursor=cursor))
        pages.append([hit.product_id for hit in results.hits])
        assert len(pages) <= 100, "pagination does not end"
    return pages


def counts(facets: tuple[FacetCount, ...]) -> dict[str, int]:
    return {facet.key: facet.count for facet in facets}


def assert_invalid_cursor(backend: SearchBackend, query: SearchQuery) -> None:
    with pytest.raises(InvalidInput) as raised:
        backend.search(query)
    assert raised.value.code == "invalid_cursor"


# -------------------------------------------------------------------------------------------- text matching


def test_a_product_is_found_by_a_word_of_its_name(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Studio Monitor Speakers"), product("p2", "Desk Lamp", path=LIGHTING))

    assert found(backend, "monitor") == ["p1"]


def test_a_product_is_found_by_a_word_of_its_description(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Studio Monitors", description="Bi-amplified nearfield speakers with walnut cabinets"),
        product("p2", "Desk Lamp", description="Warm light for reading", path=LIGHTING),
    )

    assert found(backend, "walnut") == ["p1"]


def test_a_product_is_found_by_the_name_of_its_category_or_of_a_parent_category(
    backend: SearchBackend,
) -> None:
    stock(backend, product("p1", "Model X200", path=HEADPHONES), product("p2", "Model L5", path=LIGHTING))

    assert found(backend, "headphones") == ["p1"]
    assert found(backend, "electronics") == ["p1"]
    assert found(backend, "lighting") == ["p2"]


def test_a_name_match_ranks_above_a_description_only_match(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Carrying Case", description="Fits most headphones and chargers", path=ELECTRONICS),
        product("p2", "Headphones", description="Closed-back, 40 mm drivers"),
    )

    assert found(backend, "headphones") == ["p2", "p1"]


def test_the_product_named_exactly_as_the_query_comes_first(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Wireless Earbuds Charging Case", description="For wireless earbuds"),
        product("p2", "Wireless Earbuds", description="True wireless"),
        product("p3", "Wireless Earbuds Pro Max Edition", description="Wireless earbuds, the best earbuds"),
    )

    assert found(backend, "wireless earbuds")[0] == "p2"


def test_a_product_matching_more_of_the_words_ranks_higher(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Portable Speaker", description="Small and loud"),
        product("p2", "Portable Waterproof Speaker", description="Small, loud and waterproof"),
        product("p3", "Waterproof Phone Pouch", description="Keeps water out", path=ELECTRONICS),
    )

    hits = found(backend, "portable waterproof speaker")

    assert hits[0] == "p2"
    assert set(hits) == {"p1", "p2", "p3"}  # a product need not match every word


@pytest.mark.parametrize(
    "typed",
    ["hedphones", "headphnes", "haedphones", "hedphnes", "HEADPHONE"],
    ids=[
        "missing letter",
        "another missing letter",
        "swapped letters",
        "two missing letters",
        "singular in capitals",
    ],
)
def test_a_typo_of_one_or_two_letters_still_finds_the_product(backend: SearchBackend, typed: str) -> None:
    stock(backend, product("p1", "Studio Headphones", path=AUDIO), product("p2", "Desk Lamp", path=LIGHTING))

    assert found(backend, typed) == ["p1"]


def test_a_typo_in_one_of_several_words_still_finds_the_product(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Wireless Earbuds"), product("p2", "Desk Lamp", path=LIGHTING))

    assert found(backend, "wireles earbuds") == ["p1"]


def test_an_exact_match_ranks_above_a_near_spelling(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Brass Lump"), product("p2", "Brass Lamp"))

    assert found(backend, "lamp") == ["p2", "p1"]


def test_singular_and_plural_find_each_other(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Rechargeable Batteries", path=ELECTRONICS),
        product("p2", "Phone Charger", path=ELECTRONICS),
    )

    assert found(backend, "battery") == ["p1"]
    assert found(backend, "chargers") == ["p2"]


def test_case_and_accents_do_not_matter(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Crème Brûlée Torch", path=HOME), product("p2", "CAFE Grinder", path=HOME))

    assert found(backend, "creme brulee") == ["p1"]
    assert found(backend, "Café") == ["p2"]


def test_empty_text_browses_every_product(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Speaker"), product("p2", "Lamp", path=LIGHTING), product("p3", "Cable"))

    for blank in ("", "   "):
        results = backend.search(SearchQuery(text=blank))
        assert {hit.product_id for hit in results.hits} == {"p1", "p2", "p3"}
        assert results.total == 3


def test_a_search_that_matches_nothing_is_empty(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Speaker"))

    results = backend.search(SearchQuery(text="zeppelin"))

    assert results.hits == ()
    assert results.total == 0
    assert results.next_cursor is None


@pytest.mark.parametrize(
    "text",
    [
        '"studio headphones',
        'studio "headphones"',
        "(headphones",
        "headphones)",
        "name:headphones",
        "headphones AND NOT lamp",
        "OR",
        "+headphones -lamp",
        "head*",
        "headphones~2",
        "headphones^10",
        "[1 TO 5]",
        "{}",
        "!!! ??? ...",
        "\\",
        "/regex.*/",
        "🎧🎧",
        "наушники",
        "ヘッドホン",
        "x" * 200,
        "headphones " * 18,
        "'; DROP TABLE products; --",
        "1=1 OR ''='",
        "NEAR(a b)",
        "\x00\x1f",
    ],
)
def test_odd_query_text_is_answered_calmly(backend: SearchBackend, text: str) -> None:
    stock(backend, product("p1", "Studio Headphones"), product("p2", "Desk Lamp", path=LIGHTING))

    results = backend.search(SearchQuery(text=text))

    assert {hit.product_id for hit in results.hits} <= {"p1", "p2"}
    assert results.total == len(results.hits)


# -------------------------------------------------------------------------------------------------- filters


def test_a_category_filter_finds_the_category_and_everything_below_it(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Monitor Headphones", path=HEADPHONES),
        product("p2", "Bookshelf Speakers", path=AUDIO),
        product("p3", "USB Cable", path=ELECTRONICS),
        product("p4", "Floor Lamp", path=LIGHTING),
    )

    assert sorted(found(backend, category_id="headphones")) == ["p1"]
    assert sorted(found(backend, category_id="audio")) == ["p1", "p2"]
    assert sorted(found(backend, category_id="electronics")) == ["p1", "p2", "p3"]
    assert sorted(found(backend, category_id="home")) == ["p4"]
    assert found(backend, category_id="garden") == []


def test_the_price_range_includes_both_bounds(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Cable", price=999),
        product("p2", "Cable", price=1000),
        product("p3", "Cable", price=1500),
        product("p4", "Cable", price=2000),
        product("p5", "Cable", price=2001),
    )

    assert sorted(found(backend, min_price=1000, max_price=2000)) == ["p2", "p3", "p4"]
    assert sorted(found(backend, min_price=1500)) == ["p3", "p4", "p5"]
    assert sorted(found(backend, max_price=1000)) == ["p1", "p2"]
    assert found(backend, min_price=1500, max_price=1500) == ["p3"]


def test_the_currency_filter(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Cable", currency="USD"), product("p2", "Cable", currency="EUR"))

    assert found(backend, currency="EUR") == ["p2"]
    assert found(backend, currency="GBP") == []


def test_the_in_stock_filter(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Cable", in_stock=True), product("p2", "Cable", in_stock=False))

    assert found(backend, in_stock=True) == ["p1"]
    assert found(backend, in_stock=False) == ["p2"]
    assert sorted(found(backend)) == ["p1", "p2"]


def test_the_seller_filter(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Cable", seller_id="seller-a"), product("p2", "Cable", seller_id="seller-b"))

    assert found(backend, seller_id="seller-b") == ["p2"]


def test_filters_combine_with_each_other_and_with_the_text(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Studio Headphones", path=HEADPHONES, price=9900, seller_id="seller-a"),
        product("p2", "Studio Headphones", path=HEADPHONES, price=9900, seller_id="seller-a", in_stock=False),
        product("p3", "Studio Headphones", path=HEADPHONES, price=9900, seller_id="seller-b"),
        product("p4", "Studio Headphones", path=HEADPHONES, price=25000, seller_id="seller-a"),
        product("p5", "Studio Headphones", path=HEADPHONES, price=9900, seller_id="seller-a", currency="EUR"),
        product("p6", "Studio Lamp", path=LIGHTING, price=9900, seller_id="seller-a"),
        product("p7", "Headphone Stand", path=AUDIO, price=9900, seller_id="seller-a"),
    )

    assert found(
        backend,
        "studio",
        category_id="audio",
        min_price=5000,
        max_price=10000,
        currency="USD",
        in_stock=True,
        seller_id="seller-a",
    ) == ["p1"]


# ---------------------------------------------------------------------------------------------------- sorts


def sortable_catalogue(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p5", "Speaker", price=3000, rating=4.5, rating_count=3, age_days=4),
        product("p2", "Speaker", price=1000, rating=None, age_days=2),
        product("p4", "Speaker", price=3000, rating=2.0, rating_count=1, age_days=2),
        product("p1", "Speaker", price=5000, rating=4.5, rating_count=9, age_days=1),
        product("p3", "Speaker", price=1000, rating=None, age_days=3),
        product("p6", "Speaker", price=3000, rating=4.9, rating_count=2, age_days=0),
    )


def test_price_ascending_is_cheapest_first_and_equal_prices_go_by_product_id(backend: SearchBackend) -> None:
    sortable_catalogue(backend)

    assert found(backend, "speaker", sort=SearchSort.PRICE_ASC) == ["p2", "p3", "p4", "p5", "p6", "p1"]


def test_price_descending_is_dearest_first_and_equal_prices_go_by_product_id(backend: SearchBackend) -> None:
    sortable_catalogue(backend)

    assert found(backend, "speaker", sort=SearchSort.PRICE_DESC) == ["p1", "p4", "p5", "p6", "p2", "p3"]


def test_rating_is_best_rated_first_and_unrated_last(backend: SearchBackend) -> None:
    sortable_catalogue(backend)

    assert found(backend, sort=SearchSort.RATING) == ["p6", "p1", "p5", "p4", "p2", "p3"]


def test_newest_is_latest_created_first(backend: SearchBackend) -> None:
    sortable_catalogue(backend)

    assert found(backend, sort=SearchSort.NEWEST) == ["p6", "p1", "p2", "p4", "p3", "p5"]


def test_equally_relevant_products_go_by_product_id(backend: SearchBackend) -> None:
    stock(backend, *(product(f"p{n}", "Travel Adapter", path=ELECTRONICS) for n in (3, 1, 4, 2)))

    assert found(backend, "adapter") == ["p1", "p2", "p3", "p4"]


def test_relevance_ranks_by_score_with_scores_reported(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Lamp Shade", description="Fits a lamp"), product("p2", "Lamp"))

    hits = backend.search(SearchQuery(text="lamp")).hits

    assert hits[0].score is not None and hits[1].score is not None
    assert hits[0].score >= hits[1].score


# ----------------------------------------------------------------------------------------------- pagination


def pageable_catalogue(backend: SearchBackend) -> None:
    """Seventeen speakers with plenty of ties in every order."""
    stock(
        backend,
        *(
            product(
                f"p{n:02d}",
                "Speaker" if n % 3 else "Bluetooth Speaker",
                description="Loud speaker" if n % 2 else "",
                price=1000 * (n % 4),
                rating=None if n % 5 == 0 else float(n % 3 + 2),
                age_days=n % 6,
            )
            for n in range(17)
        ),
    )


@pytest.mark.parametrize("sort", list(SearchSort))
@pytest.mark.parametrize("text", ["", "speaker"])
def test_pages_never_repeat_or_skip_a_hit(backend: SearchBackend, sort: SearchSort, text: str) -> None:
    pageable_catalogue(backend)
    query = SearchQuery(text=text, sort=sort, limit=4)

    pages = every_page(backend, query)
    in_one_page = found(backend, text, sort=sort, limit=MAX_PAGE_SIZE)

    assert [len(page) for page in pages] == [4, 4, 4, 4, 1]
    assert [hit for page in pages for hit in page] == in_one_page
    assert len(set(in_one_page)) == 17


def test_the_last_page_has_no_cursor_and_every_page_reports_the_total(backend: SearchBackend) -> None:
    pageable_catalogue(backend)

    first = backend.search(SearchQuery(text="speaker", limit=10))
    last = backend.search(SearchQuery(text="speaker", limit=10, cursor=first.next_cursor))

    assert first.next_cursor is not None
    assert (len(first.hits), first.total) == (10, 17)
    assert (len(last.hits), last.total, last.next_cursor) == (7, 17, None)


def test_a_page_that_ends_exactly_at_the_last_hit_has_no_cursor(backend: SearchBackend) -> None:
    stock(backend, *(product(f"p{n}", "Speaker") for n in range(4)))

    assert backend.search(SearchQuery(text="speaker", limit=4)).next_cursor is None


@pytest.mark.parametrize(
    "garble",
    [
        lambda cursor: "not-a-cursor",
        lambda cursor: "",
        lambda cursor: cursor[:-2],
        lambda cursor: cursor + "A",
        lambda cursor: cursor[:3] + ("B" if cursor[3] != "B" else "C") + cursor[4:],
        lambda cursor: cursor + "!",
        lambda cursor: "eyJvZmZzZXQiOjB9",  # base64 of {"offset":0}
        lambda cursor: "%%%",
    ],
    ids=[
        "made up",
        "empty",
        "truncated",
        "extended",
        "one character changed",
        "stray symbol",
        "json",
        "symbols",
    ],
)
def test_a_forged_or_garbled_cursor_is_refused(backend: SearchBackend, garble: Callable[[str], str]) -> None:
    pageable_catalogue(backend)
    cursor = backend.search(SearchQuery(text="speaker", limit=4)).next_cursor
    assert cursor is not None

    assert_invalid_cursor(backend, SearchQuery(text="speaker", limit=4, cursor=garble(cursor)))


def test_a_cursor_made_for_another_sort_is_refused(backend: SearchBackend) -> None:
    pageable_catalogue(backend)
    cursor = backend.search(SearchQuery(text="speaker", sort=SearchSort.PRICE_ASC, limit=4)).next_cursor

    assert_invalid_cursor(
        backend, SearchQuery(text="speaker", sort=SearchSort.PRICE_DESC, limit=4, cursor=cursor)
    )
    assert_invalid_cursor(
        backend, SearchQuery(text="speaker", sort=SearchSort.RELEVANCE, limit=4, cursor=cursor)
    )


def test_a_cursor_made_for_another_query_is_refused(backend: SearchBackend) -> None:
    pageable_catalogue(backend)
    cursor = backend.search(SearchQuery(text="speaker", limit=4)).next_cursor

    assert_invalid_cursor(backend, SearchQuery(text="bluetooth", limit=4, cursor=cursor))
    assert_invalid_cursor(backend, SearchQuery(text="speaker", max_price=2000, limit=4, cursor=cursor))


def test_the_page_size_is_clamped_between_one_and_fifty(backend: SearchBackend) -> None:
    stock(backend, *(product(f"p{n:02d}", "Speaker") for n in range(MAX_PAGE_SIZE + 5)))

    assert len(backend.search(SearchQuery(limit=500)).hits) == MAX_PAGE_SIZE
    assert len(backend.search(SearchQuery(limit=0)).hits) == 1
    assert len(backend.search(SearchQuery(limit=-3)).hits) == 1
    assert backend.search(SearchQuery(limit=500)).total == MAX_PAGE_SIZE + 5


# --------------------------------------------------------------------------------------------------- facets


def facet_catalogue(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Studio Headphones", path=HEADPHONES, price=2499, rating=4.6),
        product("p2", "Travel Headphones", path=HEADPHONES, price=2500, rating=4.0),
        product("p3", "Kids Headphones", path=HEADPHONES, price=4999, rating=3.2),
        product("p4", "Headphone Amplifier", path=AUDIO, price=19999, rating=1.5),
        product("p5", "Headphone Stand", path=AUDIO, price=50000, rating=None),
        product("p6", "Headphone Cable", path=ELECTRONICS, price=900, rating=2.0),
        product("p7", "Reading Lamp", path=LIGHTING, price=3000, rating=5.0),
    )


def test_facets_count_each_category_most_first(backend: SearchBackend) -> None:
    facet_catalogue(backend)

    facets = backend.search(SearchQuery(text="headphones")).facets

    assert facets.categories == (
        FacetCount("headphones", 3),
        FacetCount("audio", 2),
        FacetCount("electronics", 1),
    )


def test_facets_list_every_price_band_in_order_zeros_included(backend: SearchBackend) -> None:
    facet_catalogue(backend)

    facets = backend.search(SearchQuery(text="headphones")).facets

    assert [facet.key for facet in facets.price_bands] == [band.key for band in PRICE_BANDS]
    assert counts(facets.price_bands) == {
        "under_25": 2,
        "25_to_50": 2,
        "50_to_100": 0,
        "100_to_200": 1,
        "200_to_500": 0,
        "500_and_up": 1,
    }


def test_facets_count_products_at_or_above_each_rating(backend: SearchBackend) -> None:
    facet_catalogue(backend)

    facets = backend.search(SearchQuery(text="headphones")).facets

    assert facets.ratings == (FacetCount("4", 2), FacetCount("3", 3), FacetCount("2", 4), FacetCount("1", 5))


def test_facets_count_every_match_with_the_filters_applied_not_just_the_page(backend: SearchBackend) -> None:
    facet_catalogue(backend)

    results = backend.search(SearchQuery(text="headphones", category_id="audio", max_price=20000, limit=1))

    assert (len(results.hits), results.total) == (1, 4)
    assert counts(results.facets.categories) == {"headphones": 3, "audio": 1}
    assert counts(results.facets.price_bands)["under_25"] == 1
    assert counts(results.facets.price_bands)["500_and_up"] == 0
    assert counts(results.facets.ratings) == {"4": 2, "3": 3, "2": 3, "1": 4}


def test_facets_of_a_search_that_matches_nothing_are_zeros(backend: SearchBackend) -> None:
    facet_catalogue(backend)

    facets = backend.search(SearchQuery(text="zeppelin")).facets

    assert facets.categories == ()
    assert [facet.count for facet in facets.price_bands] == [0] * len(PRICE_BANDS)
    assert [facet.count for facet in facets.ratings] == [0, 0, 0, 0]


def test_facets_hold_at_most_twenty_categories(backend: SearchBackend) -> None:
    stock(
        backend,
        *(
            replace(
                product(f"p{n:02d}", "Cable"), category_id=f"c{n % 25:02d}", category_path=(f"c{n % 25:02d}",)
            )
            for n in range(50)
        ),
    )

    categories = backend.search(SearchQuery(text="cable")).facets.categories

    assert len(categories) == 20
    assert all(facet.count == 2 for facet in categories)


# ------------------------------------------------------------------------------------------------- affinity


def twin_catalogue(backend: SearchBackend) -> None:
    """Two products that match "kettle" equally, in different categories and from different sellers."""
    stock(
        backend,
        product("p1", "Electric Kettle", path=ELECTRONICS, seller_id="seller-a", price=3000),
        product("p2", "Electric Kettle", path=HOME, seller_id="seller-b", price=2000),
        product("p3", "Garden Hose", path=HOME, seller_id="seller-b", price=1000),
    )


def test_a_favourite_category_lifts_an_equal_match_above_the_other(backend: SearchBackend) -> None:
    twin_catalogue(backend)

    assert found(backend, "kettle") == ["p1", "p2"]
    assert found(backend, "kettle", affinity=Affinity(categories={"home": 1.0})) == ["p2", "p1"]


def test_a_favourite_seller_lifts_an_equal_match_above_the_other(backend: SearchBackend) -> None:
    twin_catalogue(backend)

    assert found(backend, "kettle", affinity=Affinity(sellers={"seller-b": 0.8})) == ["p2", "p1"]


def test_affinity_never_adds_a_product_that_does_not_match(backend: SearchBackend) -> None:
    twin_catalogue(backend)

    results = backend.search(SearchQuery(text="kettle", affinity=Affinity({"home": 1.0}, {"seller-b": 1.0})))

    assert sorted(hit.product_id for hit in results.hits) == ["p1", "p2"]
    assert results.total == 2


def test_affinity_does_not_change_the_other_sorts(backend: SearchBackend) -> None:
    twin_catalogue(backend)
    affinity = Affinity(categories={"electronics": 1.0}, sellers={"seller-a": 1.0})

    for sort in (SearchSort.PRICE_ASC, SearchSort.PRICE_DESC, SearchSort.RATING, SearchSort.NEWEST):
        assert found(backend, "kettle", sort=sort, affinity=affinity) == found(backend, "kettle", sort=sort)
    assert found(backend, "kettle", sort=SearchSort.PRICE_ASC, affinity=affinity) == ["p2", "p1"]


def test_affinity_lifts_favourites_when_browsing_without_text(backend: SearchBackend) -> None:
    twin_catalogue(backend)

    assert found(backend, affinity=Affinity(categories={"home": 1.0}))[-1] == "p1"


# --------------------------------------------------------------------------------------------------- writes


def test_reindexing_a_product_replaces_it(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Desk Lamp", path=LIGHTING))

    stock(backend, product("p1", "Floor Lamp", path=LIGHTING, version=2))

    assert found(backend, "desk") == []
    assert found(backend, "floor") == ["p1"]
    assert backend.search(SearchQuery(text="lamp")).total == 1


def test_an_older_version_does_not_overwrite_a_newer_one(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Floor Lamp", path=LIGHTING, version=5))

    assert backend.index([product("p1", "Desk Lamp", path=LIGHTING, version=4)]) == []

    assert found(backend, "desk") == []
    assert found(backend, "floor") == ["p1"]


def test_a_removed_product_is_no_longer_found(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Desk Lamp", path=LIGHTING), product("p2", "Floor Lamp", path=LIGHTING))

    assert backend.remove(["p1"]) == []

    assert found(backend, "lamp") == ["p2"]
    assert counts(backend.search(SearchQuery()).facets.categories) == {"lighting": 1}


def test_removing_unknown_products_is_fine(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Desk Lamp", path=LIGHTING))

    assert backend.remove(["nope", "p1", "p1"]) == []
    assert backend.remove([]) == []

    assert found(backend) == []


def test_indexing_nothing_is_fine(backend: SearchBackend) -> None:
    assert backend.index([]) == []


def test_recreate_empties_the_index(backend: SearchBackend) -> None:
    stock(backend, product("p1", "Desk Lamp", path=LIGHTING), product("p2", "Speaker"))

    backend.recreate()

    assert backend.search(SearchQuery()).total == 0
    assert backend.suggest("desk") == []
    stock(backend, product("p3", "Floor Lamp", path=LIGHTING))
    assert found(backend, "lamp") == ["p3"]


def test_concurrent_writes_and_searches_all_land(backend: SearchBackend) -> None:
    stock(backend, product("seed", "Speaker"))
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for batch in range(5):
                seller = f"seller-{worker}-{batch}"
                ids = [f"w{worker}-{batch}-{n}" for n in range(4)]
                assert backend.index([product(pid, "Speaker", seller_id=seller) for pid in ids]) == []
                assert found(backend, "speaker", seller_id=seller) == ids  # visible once index returns
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread below
            failures.append(error)

    def read() -> None:
        try:
            for _ in range(20):
                assert found(backend, "speaker", sort=SearchSort.PRICE_ASC)
                backend.suggest("spea")
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert backend.search(SearchQuery(text="speaker")).total == 1 + 4 * 5 * 4


# -------------------------------------------------------------------------------------------------- suggest


def suggestion_catalogue(backend: SearchBackend) -> None:
    stock(
        backend,
        product("p1", "Headphones", rating_count=3),
        product("p2", "Headphone Stand", rating_count=40),
        product("p3", "Wireless Headphones", rating_count=12),
        product("p4", "Headphones", rating_count=1),
        product("p5", "Desk Lamp", path=LIGHTING, rating_count=99),
        product("p6", "Heat Gun", path=ELECTRONICS, rating_count=0),
    )


def test_suggest_completes_the_word_being_typed(backend: SearchBackend) -> None:
    suggestion_catalogue(backend)

    texts = [suggestion.text for suggestion in backend.suggest("headph")]

    assert sorted(texts) == ["Headphone Stand", "Headphones", "Wireless Headphones"]


def test_suggest_puts_the_most_reviewed_first(backend: SearchBackend) -> None:
    suggestion_catalogue(backend)

    assert [suggestion.text for suggestion in backend.suggest("headph")] == [
        "Headphone Stand",
        "Wireless Headphones",
        "Headphones",
    ]


def test_suggest_names_the_product_of_each_suggestion(backend: SearchBackend) -> None:
    suggestion_catalogue(backend)

    suggestions = backend.suggest("desk l")

    assert [(s.text, s.product_id) for s in suggestions] == [("Desk Lamp", "p5")]


def test_suggest_treats_earlier_words_as_complete(backend: SearchBackend) -> None:
    suggestion_catalogue(backend)

    assert [suggestion.text for suggestion in backend.suggest("wireless hea")] == ["Wireless Headphones"]


def test_suggest_tolerates_a_typo(backend: SearchBackend) -> None:
    suggestion_catalogue(backend)

    texts = [suggestion.text for suggestion in backend.suggest("hedpho")]

    assert "Wireless Headphones" in texts
    assert "Desk Lamp" not in texts


def test_suggest_lists_each_name_once(backend: SearchBackend) -> None:
    suggestion_catalogue(backend)

    texts = [suggestion.text for suggestion in backend.suggest("headphones")]

    assert texts.count("Headphones") == 1


def test_suggest_returns_at_most_the_limit(backend: SearchBackend) -> None:
    stock(backend, *(product(f"p{n:02d}", f"Speaker Model {n}") for n in range(30)))

    assert len(backend.suggest("spea", limit=5)) == 5
    assert len(backend.suggest("spea")) == 10


@pytest.mark.parametrize("prefix", ["", "   ", "!!", "🎧"])
def test_suggest_for_nothing_typed_is_empty(backend: SearchBackend, prefix: str) -> None:
    suggestion_catalogue(backend)

    assert backend.suggest(prefix) == []


def test_suggest_for_odd_text_is_answered_calmly(backend: SearchBackend) -> None:
    suggestion_catalogue(backend)

    for odd in ('"head', "head*", "(head", "h:e", "x" * 200, "AND", "ヘッド"):
        assert {s.product_id for s in backend.suggest(odd)} <= {"p1", "p2", "p3", "p4", "p5", "p6"}
