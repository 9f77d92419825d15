"""An in-memory recommendation store with the port's semantics (once per order, expiry, refused
stale caches), for specifications of the recommendation service."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from commerce.recommendations.model import (
    OrderActivity,
    Purchase,
    Trending,
    ViewActivity,
    Weights,
    hour_of,
)
from commerce.recommendations.ports import RecommendationStore

__all__ = ["FakeRecommendationStore"]


@dataclass
class _Cached:
    product_ids: list[str] | None
    expires_at: datetime
    invalidated_at: datetime | None = None


class FakeRecommendationStore(RecommendationStore):
    """Counters in dicts. ``computations`` counts the reads only a fresh personal list makes."""

    def __init__(self) -> None:
        self.orders: set[str] = set()
        self.categories: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.sellers: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.bought: defaultdict[str, dict[str, Purchase]] = defaultdict(dict)
        self.together: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.hourly: defaultdict[datetime, Counter[str]] = defaultdict(Counter)
        self.saved_trending = Trending()
        self.cache: dict[str, _Cached] = {}
        self.computations = 0

    # ------------------------------------------------------------------ signals
    def record_order(self, activity: OrderActivity) -> bool:
        if activity.order_id in self.orders:
            return False
        self.orders.add(activity.order_id)
        self.invalidate_recommendations(activity.customer_id, activity.recorded_at)
        self.categories[activity.customer_id].update(activity.affinity.categories)
        self.sellers[activity.customer_id].update(activity.affinity.sellers)
        for product_id in activity.products:
            self.bought[activity.customer_id][product_id] = Purchase(product_id, activity.at)
        for product_id, other in activity.pairs:
            self.together[product_id][other] += 1
        self.hourly[activity.hour].update(activity.activity)
        return True

    def record_view(self, view: ViewActivity) -> None:
        self.categories[view.customer_id].update(view.affinity.categories)
        self.sellers[view.customer_id].update(view.affinity.sellers)
        self.hourly[view.hour][view.product_id] += view.weight

    # ------------------------------------------------------------------ reads
    def affinity_weights(self, customer_id: str) -> Weights:
        return Weights(dict(self.categories[customer_id]), dict(self.sellers[customer_id]))

    def purchases(self, customer_id: str) -> list[Purchase]:
        self.computations += 1
        return list(self.bought[customer_id].values())

    def bought_with(self, product_id: str) -> dict[str, int]:
        return dict(self.together[product_id])

    def activity(self, hours: Sequence[datetime], now: datetime) -> dict[datetime, dict[str, int]]:
        return {hour_of(hour): dict(self.hourly[hour_of(hour)]) for hour in hours}

    # ------------------------------------------------------------------ trending
    def save_trending(self, trending: Trending) -> None:
        self.saved_trending = trending

    def trending(self) -> Trending:
        return self.saved_trending

    # ------------------------------------------------------------------ personal lists
    def cached_recommendations(self, customer_id: str, now: datetime) -> list[str] | None:
        cached = self.cache.get(customer_id)
        if cached is None or cached.product_ids is None or cached.expires_at <= now:
            return None
        return list(cached.product_ids)

    def cache_recommendations(
        self, customer_id: str, product_ids: Sequence[str], computed_at: datetime, expires_at: datetime
    ) -> bool:
        stored = self.cache.get(customer_id)
        if stored is not None and stored.invalidated_at is not None and stored.invalidated_at >= computed_at:
            return False
        self.cache[customer_id] = _Cached(list(product_ids), expires_at)
        return True

    def invalidate_recommendations(self, customer_id: str, at: datetime) -> None:
        self.cache[customer_id] = _Cached(None, at, invalidated_at=at)
