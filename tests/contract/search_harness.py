"""The search backends the search contract runs against, by name.

The embedded engine always runs; the SQLite FTS5 engine (the one the benchmark compares
against) always runs too, so the benchmark compares two correct engines; OpenSearch runs
only when ``OPENSEARCH_URL`` points at a cluster (an index named ``contract-<random>`` is
created there and dropped afterwards).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from commerce.search.ports import SearchBackend

__all__ = ["BACKEND_NAMES", "search_backend_named"]


@contextmanager
def _tantivy() -> Iterator[SearchBackend]:
    from commerce.adapters.tantivy_search import TantivySearch

    yield TantivySearch()


@contextmanager
def _sqlite_fts5() -> Iterator[SearchBackend]:
    from bench.sqlite_search import SqliteFtsSearch

    backend = SqliteFtsSearch()
    try:
        yield backend
    finally:
        backend.close()


@contextmanager
def _opensearch() -> Iterator[SearchBackend]:
    url = os.environ.get("OPENSEARCH_URL")
    if not url:
        pytest.skip("OPENSEARCH_URL is not set: the OpenSearch adapter is checked offline instead")
    from commerce.adapters.opensearch_search import OpenSearchSearch, opensearch_client

    backend = OpenSearchSearch(opensearch_client(url), index_name=f"contract-{uuid.uuid4().hex[:12]}")
    backend.recreate()
    try:
        yield backend
    finally:
        backend.drop()


_BACKENDS: dict[str, Callable[[], AbstractContextManager[SearchBackend]]] = {
    "tantivy": _tantivy,
    "sqlite_fts5": _sqlite_fts5,
    "opensearch": _opensearch,
}
#: OpenSearch joins only when a cluster is given (107 skips in every run would hide real ones).
BACKEND_NAMES = tuple(name for name in _BACKENDS if name != "opensearch" or os.environ.get("OPENSEARCH_URL"))


@contextmanager
def search_backend_named(name: str) -> Iterator[SearchBackend]:
    with _BACKENDS[name]() as backend:
        yield backend
