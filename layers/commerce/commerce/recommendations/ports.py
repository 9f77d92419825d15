"""What recommendations need from the outside world: a store of counters and lists, and a way to
look products up."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from commerce.catalog.model import Product
from commerce.errors import DependencyFailure
from commerce.recommendations.model import OrderActivity, Purchase, Trending, ViewActivity, Weights

__all__ = [
    "MAX_PARTNERS_READ",
    "MAX_PURCHASES_READ",
    "ProductLookup",
    "RecommendationStore",
    "RecommendationsUnavailable",
]

#: A product's "bought together" partners read at most (then ranked in memory): a popular product
#: with more partners is ranked on a bounded sample, so a read never grows with the catalogue.
MAX_PARTNERS_READ = 1000
#: A customer's purchases read at most (their exclusions, and the source of the most recent ones).
MAX_PURCHASES_READ = 500


class RecommendationsUnavailable(DependencyFailure):
    """The store is throttling, unreachable or kept losing races; nothing is known to be written."""

    default_code = "recommendations_unavailable"


class ProductLookup(Protocol):
    """Structural, so the catalogue's ``ProductRepository`` serves as it is."""

    def get_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        """The products that exist among ``product_ids``, archived ones included."""
        ...


class RecommendationStore(ABC):
    """Counters, lists and caches. Expired items (TTL) are never returned, deleted or not."""

    # ------------------------------------------------------------------ signals
    @abstractmethod
    def record_order(self, activity: OrderActivity) -> bool:
        """Add everything the order teaches and invalidate the customer's cached list (as of
        ``activity.recorded_at``), all or nothing, once per order id.

        Returns ``False`` (nothing written) when the order was recorded before. Raises
        ``RecommendationsUnavailable`` when the write could not be made; retrying is safe.
        """

    @abstractmethod
    def record_view(self, view: ViewActivity) -> None:
        """Add a view's affinity and activity. Cheap and not idempotent: a retried view may count
        twice, which a ranking signal tolerates."""

    # ------------------------------------------------------------------ reads
    @abstractmethod
    def affinity_weights(self, customer_id: str) -> Weights: ...

    @abstractmethod
    def purchases(self, customer_id: str) -> list[Purchase]:
        """Up to ``MAX_PURCHASES_READ`` of the customer's purchased products, in no order;
        strongly consistent, so a list computed after an order sees it."""

    @abstractmethod
    def bought_with(self, product_id: str) -> dict[str, int]:
        """Orders that had each other product with ``product_id`` (up to ``MAX_PARTNERS_READ``)."""

    @abstractmethod
    def activity(self, hours: Sequence[datetime], now: datetime) -> dict[datetime, dict[str, int]]:
        """Activity per product in each of ``hours`` (UTC hour starts), as it stands at ``now``."""

    # ------------------------------------------------------------------ trending
    @abstractmethod
    def save_trending(self, trending: Trending) -> None: ...

    @abstractmethod
    def trending(self) -> Trending:
        """The last list saved; an empty ``Trending`` before the first."""

    # ------------------------------------------------------------------ personal lists
    @abstractmethod
    def cached_recommendations(self, customer_id: str, now: datetime) -> list[str] | None:
        """The cached list, or ``None`` when there is none, it expired, or it was invalidated."""

    @abstractmethod
    def cache_recommendations(
        self, customer_id: str, product_ids: Sequence[str], computed_at: datetime, expires_at: datetime
    ) -> bool:
        """Cache a list computed from what was stored at ``computed_at``. Refused (``False``) when
        the customer's list was invalidated at or after ``computed_at``: the list may miss an order."""

    @abstractmethod
    def invalidate_recommendations(self, customer_id: str, at: datetime) -> None:
        """Drop the cached list, and refuse lists computed before ``at``."""
