"""Recommendation use cases: learn from confirmed orders and product views, and answer with a
customer's affinity, what is bought together, what is trending and a personal list.

Learning is counting (``ADD`` on stored counters, no read-modify-write); answering reads those
counters and ranks in memory. The two answers that cost more than a read are precomputed: trending
by an hourly job, a personal list on first ask and then cached for ``RECOMMENDATIONS_TTL``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from commerce.caching import TtlCache
from commerce.catalog.model import Product
from commerce.clock import Clock
from commerce.errors import FieldError, InvalidInput
from commerce.recommendations.model import (
    MAX_PRODUCTS_PER_ORDER,
    RECOMMENDATIONS_TTL,
    OrderActivity,
    Trending,
    TrendingProduct,
    ViewActivity,
    affinity_of,
    compose,
    is_recommendable,
    most_recent,
    ranked_counts,
    trending_hours,
    trending_scores,
)
from commerce.recommendations.ports import ProductLookup, RecommendationStore
from commerce.search.model import Affinity

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_TRENDING_LIMIT",
    "MAX_LIMIT",
    "MAX_TRENDING_STORED",
    "RecommendationService",
]

DEFAULT_LIMIT = 10
DEFAULT_TRENDING_LIMIT = 20
#: The most products one answer holds; a personal list is computed (and cached) this long.
MAX_LIMIT = 50
#: The trending list the hourly job stores: deeper than one page, so a personal list still finds
#: trending products in a customer's favourite categories.
MAX_TRENDING_STORED = 100
#: Bought-together candidates checked against the catalogue per personal list.
_MAX_CANDIDATES = 200
#: Ids per catalogue lookup (one BatchGetItem).
_LOOKUP_BATCH = 100


def _require_limit(limit: int, most: int) -> int:
    if not 1 <= limit <= most:
        raise InvalidInput(
            f"A list holds 1 to {most} products.",
            code="invalid_limit",
            errors=[FieldError("query.limit", f"must be between 1 and {most}")],
        )
    return limit


def _truncated(moment: datetime) -> datetime:
    """Stored instants have millisecond precision; comparisons must see what was stored."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass
class RecommendationService:
    store: RecommendationStore
    #: The catalogue's ``ProductRepository`` (only ``get_many`` is used).
    products: ProductLookup
    clock: Clock
    #: Every trending request reads the one stored list: a warm function keeps it this long (it is
    #: recomputed hourly; a refresh made through this function replaces it at once).
    trending_ttl_seconds: float = 60.0
    _trending: TtlCache[str, Trending] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._trending = TtlCache(self.trending_ttl_seconds, max_entries=1)

    def _now(self) -> datetime:
        return _truncated(self.clock())

    # ------------------------------------------------------------------ learning
    def record_order(
        self, order_id: str, customer_id: str, lines: Iterable[tuple[str, str, int]], at: datetime
    ) -> bool:
        """Learn from an ``OrderConfirmed`` event: ``lines`` are ``(product_id, seller_id, quantity)``
        and ``at`` its ``confirmed_at``. Exactly once per order however often it is delivered:
        returns ``False`` for a delivery already recorded (or an order without lines).

        Raises ``RecommendationsUnavailable`` when nothing could be written; redelivery is safe.
        """
        lines = list(lines)
        if not lines:
            return False
        # Only the products the order teaches about (the first few distinct ones) are looked up.
        first = list(dict.fromkeys(line[0] for line in lines))[:MAX_PRODUCTS_PER_ORDER]
        found = self.products.get_many(first)
        categories = {product_id: product.category_id for product_id, product in found.items()}
        activity = OrderActivity.of(order_id, customer_id, lines, categories, at, self._now())
        return self.store.record_order(activity)

    def record_view(
        self, customer_id: str, product_id: str, at: datetime | None = None, *, product: Product | None = None
    ) -> bool:
        """A signed-in customer opened a product page; ``False`` (nothing written) for a product
        that does not exist or is archived. A caller that has just read the product passes it as
        ``product`` and saves the lookup: the view is then two writes and no read."""
        if product is None or product.product_id != product_id:
            product = self.products.get_many([product_id]).get(product_id)
        if product is None or not product.is_active:
            return False
        self.store.record_view(ViewActivity.of(customer_id, product, at or self.clock()))
        return True

    # ------------------------------------------------------------------ answers
    def affinity(self, customer_id: str) -> Affinity:
        """Top categories and sellers, weights in (0, 1]; empty for a customer with no history."""
        return affinity_of(self.store.affinity_weights(customer_id))

    def bought_together(self, product_id: str, limit: int = DEFAULT_LIMIT) -> list[tuple[str, int]]:
        """``(product_id, orders)`` most first: raw statistics, archived products included."""
        _require_limit(limit, MAX_LIMIT)
        return ranked_counts(self.store.bought_with(product_id), limit)

    def refresh_trending(self, now: datetime | None = None, limit: int = MAX_TRENDING_STORED) -> Trending:
        """The hourly job: rank the last 24 hours of activity (decayed by age), keep products that
        are active and in stock (or low), and store the list. Returns what it stored."""
        _require_limit(limit, MAX_TRENDING_STORED)
        now = _truncated(now or self.clock())
        ranked = trending_scores(self.store.activity(trending_hours(now), now), now)
        chosen: list[TrendingProduct] = []
        for start in range(0, len(ranked), _LOOKUP_BATCH):
            batch = ranked[start : start + _LOOKUP_BATCH]
            found = self.products.get_many(product_id for product_id, _ in batch)
            for product_id, score in batch:
                product = found.get(product_id)
                if product is not None and is_recommendable(product):
                    chosen.append(TrendingProduct(product_id, round(score, 6), product.category_id))
                    if len(chosen) == limit:
                        break
            if len(chosen) == limit:
                break
        trending = Trending(tuple(chosen), now)
        self.store.save_trending(trending)
        self._trending.put("current", trending)
        return trending

    def trending(self, limit: int = DEFAULT_TRENDING_LIMIT) -> list[str]:
        """What the last refresh stored, best first; empty before the first refresh."""
        _require_limit(limit, MAX_TRENDING_STORED)
        return self._trending.get_or_load("current", self.store.trending).product_ids(limit)

    def recommendations_for(
        self, customer_id: str, now: datetime | None = None, limit: int = DEFAULT_LIMIT
    ) -> list[str]:
        """A personal list, cached for ``RECOMMENDATIONS_TTL``: bought together with the customer's
        recent purchases, then trending in their favourite categories, then trending; never what
        they bought. A customer with no history gets trending."""
        _require_limit(limit, MAX_LIMIT)
        now = _truncated(now or self.clock())
        cached = self.store.cached_recommendations(customer_id, now)
        if cached is not None:
            return cached[:limit]
        product_ids = self._compute(customer_id)
        # Refused when an order was recorded meanwhile: this list may have missed it.
        self.store.cache_recommendations(customer_id, product_ids, now, now + RECOMMENDATIONS_TTL)
        return product_ids[:limit]

    def invalidate_recommendations(self, customer_id: str) -> None:
        """The next read computes afresh (``record_order`` already does this for the buyer)."""
        self.store.invalidate_recommendations(customer_id, self._now())

    def _compute(self, customer_id: str) -> list[str]:
        purchases = self.store.purchases(customer_id)
        bought = {purchase.product_id for purchase in purchases}
        together: Counter[str] = Counter()
        for purchase in most_recent(purchases):
            together.update(self.store.bought_with(purchase.product_id))
        candidates = [product_id for product_id, _ in ranked_counts(together) if product_id not in bought][
            :_MAX_CANDIDATES
        ]
        active: set[str] = set()
        for start in range(0, len(candidates), _LOOKUP_BATCH):
            found = self.products.get_many(candidates[start : start + _LOOKUP_BATCH])
            active.update(product_id for product_id, product in found.items() if product.is_active)
        return compose(
            [product_id for product_id in candidates if product_id in active],
            self.store.trending(),
            self.affinity(customer_id).categories,
            bought,
            MAX_LIMIT,
        )
