"""Specification of the search benchmark's inputs: a catalogue that is the same on every run and
covers what the engines are compared on, typos the engines are meant to forgive, and a floor
that answers what the port asks."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.search import (
    QUERY_KINDS,
    PlainScan,
    Product,
    categories,
    inject_typo,
    known_answers,
    products,
    query_set,
)
from bench.sqlite_search import edit_distance, words
from commerce.search.model import PRICE_BANDS, SearchQuery, SearchSort


@pytest.fixture(scope="module")
def catalogue() -> list[Product]:
    return products(2_000)


def test_the_catalogue_is_the_same_on_every_run(catalogue: list[Product]) -> None:
    again = products(2_000)

    assert [p.document for p in again] == [p.document for p in catalogue]


def test_the_category_tree_has_eight_roots_and_about_forty_leaves() -> None:
    tree = categories()

    assert sum(len(c.path) == 1 for c in tree) == 8
    assert 38 <= sum(len(c.path) == 2 for c in tree) <= 42
    assert "Running Shoes" in {c.name for c in tree}


def test_the_catalogue_covers_every_price_band_ratings_stock_and_sellers(catalogue: list[Product]) -> None:
    documents = [p.document for p in catalogue]
    bands = Counter(band.key for d in documents for band in PRICE_BANDS if band.holds(d.price_amount))

    assert all(bands[band.key] >= 20 for band in PRICE_BANDS)
    assert 0.1 < sum(d.rating_average is None for d in documents) / len(documents) < 0.3
    assert {d.in_stock for d in documents} == {True, False}
    assert len({d.seller_id for d in documents}) >= 20
    assert {d.currency for d in documents} == {"USD"}


def test_names_end_with_a_model_code_no_other_product_has(catalogue: list[Product]) -> None:
    codes = [p.model_code for p in catalogue]

    assert len(set(codes)) == len(codes)
    assert all(
        p.document.name.endswith(p.model_code) and p.document.name.startswith(p.brand) for p in catalogue
    )


def test_descriptions_run_twenty_to_sixty_words(catalogue: list[Product]) -> None:
    lengths = [len(p.document.description.split()) for p in catalogue]

    assert min(lengths) >= 20 and max(lengths) <= 60


def test_the_query_set_holds_about_two_hundred_queries_of_every_kind(catalogue: list[Product]) -> None:
    queries = query_set(catalogue)

    assert 180 <= len(queries) <= 220
    assert {q.kind for q in queries} == set(QUERY_KINDS)
    assert any(q.query.sort is not SearchSort.RELEVANCE for q in queries)
    assert any(q.query.affinity for q in queries)


def test_every_target_has_exact_and_misspelt_known_answers(catalogue: list[Product]) -> None:
    answers = known_answers(catalogue, 20)

    assert len({a.target for a in answers}) == 20
    assert {(a.kind, a.typo) for a in answers} >= {("name", False), ("name", True), ("code", False)}


@given(
    st.text(alphabet="abcdefghij0123", min_size=4, max_size=14),
    st.integers(0, 2**32),
    st.sampled_from([1, 2]),
)
def test_a_typo_is_exactly_as_many_edits_away_as_asked_and_keeps_the_first_letter(
    word: str, seed: int, edits: int
) -> None:
    typed = inject_typo(word, edits, random.Random(seed), keep_length=True)

    assert edit_distance(word, typed, 3) == edits
    assert typed[0] == word[0] and len(typed) == len(word)


def _reference_distance(a: str, b: str) -> int:
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@given(st.text(alphabet="abc", max_size=7), st.text(alphabet="abc", max_size=7), st.sampled_from([1, 2]))
def test_the_bounded_edit_distance_agrees_with_the_textbook_one(a: str, b: str, bound: int) -> None:
    assert edit_distance(a, b, bound) == min(_reference_distance(a, b), bound + 1)


def test_words_are_cut_as_unicode61_cuts_them() -> None:
    assert words("Crème-Brûlée TORCH x2, 50%!") == ["creme", "brulee", "torch", "x2", "50"]
    assert words("🎧 \"'; DROP") == ["drop"]


def test_the_scan_filters_sorts_and_pages(catalogue: list[Product]) -> None:
    scan = PlainScan([p.document for p in catalogue])
    target = catalogue[0]

    found = scan.search(SearchQuery(text=target.document.name, limit=5))
    cheapest = scan.search(
        SearchQuery(category_id=target.document.category_path[0], sort=SearchSort.PRICE_ASC)
    )
    prices = [p.document.price_amount for p in catalogue if p.document.product_id in cheapest.product_ids]

    assert found.product_ids[0] == target.document.product_id and len(found.product_ids) == 5
    assert len(cheapest.product_ids) == 20 and min(prices) == min(
        p.document.price_amount
        for p in catalogue
        if target.document.category_path[0] in p.document.category_path
    )
