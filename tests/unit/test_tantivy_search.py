"""What the embedded engine promises beyond the search contract: its cursor, its tie-breaking on
long runs of equal scores, its typo rules, and an index kept on disk."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.adapters.tantivy_search import TantivySearch, _pid_words
from commerce.errors import InvalidInput
from commerce.search.model import Affinity, SearchDocument, SearchQuery, SearchSort


def product(product_id: str, name: str = "Speaker", *, version: int = 1, price: int = 1000) -> SearchDocument:
    return SearchDocument(
        product_id=product_id,
        seller_id="seller-a",
        name=name,
        description="",
        category_id="audio",
        category_path=("electronics", "audio"),
        category_names=("Electronics", "Audio"),
        price_amount=price,
        currency="USD",
        in_stock=True,
        rating_average=None,
        rating_count=0,
        created_at=datetime(2024, 3, 1, tzinfo=UTC),
        version=version,
    )


def all_pages(backend: TantivySearch, query: SearchQuery) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        results = backend.search(replace(query, cursor=cursor))
        seen += [hit.product_id for hit in results.hits]
        cursor = results.next_cursor
        if cursor is None:
            return seen


def found(backend: TantivySearch, text: str) -> list[str]:
    return [hit.product_id for hit in backend.search(SearchQuery(text=text)).hits]


# -------------------------------------------------------------------------------------------------- cursor


def test_a_cursor_is_short_url_safe_and_says_nothing_of_the_query() -> None:
    backend = TantivySearch()
    assert backend.index([product(f"p{n}") for n in range(5)]) == []

    cursor = backend.search(SearchQuery(text="speaker", limit=2)).next_cursor

    assert cursor is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", cursor)
    assert "speaker" not in cursor.lower()


def test_a_cursor_made_by_one_instance_is_good_on_another_with_the_same_products() -> None:
    """A Lambda's next page may land on another instance."""
    first, second = TantivySearch(), TantivySearch()
    for backend in (first, second):
        assert backend.index([product(f"p{n}") for n in range(5)]) == []

    cursor = first.search(SearchQuery(limit=2)).next_cursor

    assert [hit.product_id for hit in second.search(SearchQuery(limit=2, cursor=cursor)).hits] == ["p2", "p3"]


def test_a_cursor_stays_good_when_the_page_size_or_the_affinity_changes() -> None:
    backend = TantivySearch()
    assert backend.index([product(f"p{n}") for n in range(6)]) == []
    cursor = backend.search(SearchQuery(text="speaker", limit=2)).next_cursor

    later = backend.search(
        SearchQuery(text="speaker", limit=3, cursor=cursor, affinity=Affinity(categories={"audio": 0.5}))
    )

    assert [hit.product_id for hit in later.hits] == ["p2", "p3", "p4"]


def test_a_cursor_past_the_end_of_a_shrunken_index_gives_an_empty_last_page() -> None:
    backend = TantivySearch()
    assert backend.index([product(f"p{n}") for n in range(6)]) == []
    cursor = backend.search(SearchQuery(limit=4)).next_cursor

    assert backend.remove([f"p{n}" for n in range(3)]) == []
    results = backend.search(SearchQuery(limit=4, cursor=cursor))

    assert (results.hits, results.next_cursor, results.total) == ((), None, 3)


def test_a_cursor_for_another_text_is_refused_even_when_only_the_case_differs() -> None:
    backend = TantivySearch()
    assert backend.index([product(f"p{n}") for n in range(5)]) == []
    cursor = backend.search(SearchQuery(text="speaker", limit=2)).next_cursor

    with pytest.raises(InvalidInput) as raised:
        backend.search(SearchQuery(text="Speaker", limit=2, cursor=cursor))
    assert raised.value.code == "invalid_cursor"
    assert [error.field for error in raised.value.errors] == ["query.cursor"]


# ---------------------------------------------------------------------------------------------------- ties


@pytest.mark.parametrize("sort", list(SearchSort))
def test_a_long_run_of_ties_is_paged_in_product_id_order(sort: SearchSort) -> None:
    ids = [f"01J{n:04d}" for n in range(150)] + ["x" * 40 + suffix for suffix in ("b", "a", "c")]
    ids += ["é" + suffix for suffix in ("b", "a")] + ["日本", "a\x00b", "a"]
    random.Random(3).shuffle(ids)
    backend = TantivySearch()
    assert backend.index([product(pid) for pid in ids]) == []

    for text in ("", "speaker"):
        assert all_pages(backend, SearchQuery(text=text, sort=sort, limit=7)) == sorted(ids)


@given(st.text(max_size=45), st.text(max_size=45))
def test_packed_product_ids_never_order_differently_from_the_ids(left: str, right: str) -> None:
    low, high = sorted((left, right))

    assert _pid_words(low) <= _pid_words(high)


def test_many_writes_in_small_batches_keep_the_order_total() -> None:
    """Several segments: ties across them still go by product id."""
    backend = TantivySearch()
    ids = [f"p{n:03d}" for n in range(60)]
    for start in range(0, 60, 6):
        assert backend.index([product(pid) for pid in reversed(ids[start : start + 6])]) == []

    assert all_pages(backend, SearchQuery(text="speaker", limit=9)) == ids


# --------------------------------------------------------------------------------------------------- typos


@pytest.mark.parametrize(
    ("typed", "finds"),
    [
        ("cat", True),
        ("car", False),  # three letters: exact only, or "car" would find "cat"
        ("lanp", True),  # four to seven letters: one edit
        ("lnmq", False),
        ("kettel", True),
        ("projecter", True),  # eight or more: two edits
        ("prjoectr", True),
        ("prjctr", False),
    ],
)
def test_how_many_typos_a_word_may_hold_grows_with_its_length(typed: str, finds: bool) -> None:
    backend = TantivySearch()
    assert backend.index([product("p1", "Lamp Kettle Projector Cat")]) == []

    assert (found(backend, typed) == ["p1"]) is finds


# ---------------------------------------------------------------------------------------------- versions


def test_within_one_batch_the_newest_version_of_a_product_wins() -> None:
    backend = TantivySearch()

    assert (
        backend.index([product("p1", "Floor Lamp", version=3), product("p1", "Desk Lamp", version=2)]) == []
    )

    assert found(backend, "floor") == ["p1"]
    assert found(backend, "desk") == []


def test_a_removed_product_can_be_listed_again() -> None:
    backend = TantivySearch()
    assert backend.index([product("p1", "Desk Lamp", version=4)]) == []
    assert backend.remove(["p1"]) == []

    assert backend.index([product("p1", "Desk Lamp", version=1)]) == []

    assert found(backend, "desk") == ["p1"]


def test_an_index_on_disk_keeps_its_products_and_its_version_guard_when_reopened(tmp_path: Path) -> None:
    first = TantivySearch(str(tmp_path / "index"))
    assert first.index([product("p1", "Floor Lamp", version=5), product("p2", "Desk Lamp")]) == []
    del first

    reopened = TantivySearch(str(tmp_path / "index"))
    assert reopened.index([product("p1", "Garden Lamp", version=4)]) == []

    assert sorted(found(reopened, "lamp")) == ["p1", "p2"]
    assert found(reopened, "floor") == ["p1"]
    assert found(reopened, "garden") == []


def test_a_bulk_load_is_one_call_and_everything_is_searchable_after_it() -> None:
    backend = TantivySearch()
    documents = [product(f"p{n:05d}", f"Speaker {n}", price=n) for n in range(5000)]

    assert backend.index(documents) == []

    results = backend.search(SearchQuery(text="speaker", sort=SearchSort.PRICE_DESC, limit=3))
    assert results.total == 5000
    assert [hit.product_id for hit in results.hits] == ["p04999", "p04998", "p04997"]
