"""What search needs from a search engine."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

from commerce.search.model import SearchDocument, SearchQuery, SearchResults, Suggestion

__all__ = ["SearchBackend"]


class SearchBackend(ABC):
    """An index of active products.

    Writes are visible to the next search once ``index``/``remove`` return (backends refresh
    as part of the call), which is what lets a product be found a second after it is listed.
    """

    @abstractmethod
    def index(self, documents: Iterable[SearchDocument]) -> list[str]:
        """Add or replace documents; returns the product ids that could NOT be written.

        A document older (by ``version``) than the one indexed is skipped, not an error.
        """

    @abstractmethod
    def remove(self, product_ids: Iterable[str]) -> list[str]:
        """Drop products (archived, deleted); unknown ids are fine. Returns ids that failed."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResults:
        """Raises ``InvalidInput(code="invalid_cursor")`` for a cursor it did not make for this sort."""

    @abstractmethod
    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Product names for autocomplete; tolerates a typo in what was typed so far."""

    @abstractmethod
    def recreate(self) -> None:
        """Drop everything and start an empty index (before a full reindex)."""
