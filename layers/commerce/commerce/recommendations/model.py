"""The recommendation rules, free of I/O: what an order or a product view teaches, how affinity is
normalised, how trending decays, and how a personal list is composed.

Signals and their weights (integers, so stored counters stay exact):

| signal                         | affinity (category and seller) | hourly activity (trending) |
|--------------------------------|--------------------------------|----------------------------|
| an order line                  | ``ORDER_LINE_WEIGHT`` per line  | ``UNIT_SOLD_WEIGHT`` a unit |
| a signed-in customer's view    | ``VIEW_WEIGHT``                 | ``VIEW_WEIGHT``             |

An order teaches about its first ``MAX_PRODUCTS_PER_ORDER`` distinct products only: every ordered
pair of them is counted as bought together, so the pairs grow with the square of the products and
the whole order must still fit in one DynamoDB transaction (at most 100 items; 8 products make 75).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from commerce.catalog.model import Availability, Product
from commerce.search.model import Affinity

__all__ = [
    "ACTIVITY_RETENTION",
    "MAX_PRODUCTS_PER_ORDER",
    "MAX_PURCHASES_CONSIDERED",
    "ORDER_LINE_WEIGHT",
    "ORDER_MARKER_RETENTION",
    "RECOMMENDATIONS_TTL",
    "TOP_AFFINITIES",
    "TRENDING_DECAY",
    "TRENDING_WINDOW_HOURS",
    "UNIT_SOLD_WEIGHT",
    "VIEW_WEIGHT",
    "OrderActivity",
    "Purchase",
    "PurchasedLine",
    "Trending",
    "TrendingProduct",
    "ViewActivity",
    "Weights",
    "affinity_of",
    "compose",
    "hour_of",
    "is_recommendable",
    "most_recent",
    "ranked_counts",
    "trending_hours",
    "trending_scores",
]

ORDER_LINE_WEIGHT = 3
VIEW_WEIGHT = 1
UNIT_SOLD_WEIGHT = 3

#: Distinct products an order teaches about: 3 + n + n*(n-1) + n transaction items must stay <= 100.
MAX_PRODUCTS_PER_ORDER = 8
#: Categories (and sellers) an ``Affinity`` holds: enough to lift search results, few enough to matter.
TOP_AFFINITIES = 5
TRENDING_WINDOW_HOURS = 24
#: An hour-old unit of activity counts 0.9, a day-old one 0.9**23 (about 0.09).
TRENDING_DECAY = 0.9
#: Hourly activity outlives the trending window by a week, for a late job or a look back.
ACTIVITY_RETENTION = timedelta(days=8)
#: Longer than any redelivery (EventBridge retries for 24 h; a DLQ holds messages for 14 days).
ORDER_MARKER_RETENTION = timedelta(days=30)
RECOMMENDATIONS_TTL = timedelta(hours=6)
#: The most recent purchases whose "bought together" partners feed a personal list.
MAX_PURCHASES_CONSIDERED = 10

_HOUR = timedelta(hours=1)
_SELLABLE = frozenset({Availability.IN_STOCK, Availability.LOW_STOCK})


def hour_of(at: datetime) -> datetime:
    """The UTC hour ``at`` falls in: the key of its activity bucket."""
    if at.tzinfo is None:
        raise ValueError("recommendation times must be timezone-aware")
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def trending_hours(now: datetime) -> list[datetime]:
    """The buckets trending sums, the current (partial) hour first."""
    current = hour_of(now)
    return [current - age * _HOUR for age in range(TRENDING_WINDOW_HOURS)]


def is_recommendable(product: Product) -> bool:
    """Worth showing unasked: listed, and a customer can buy it today."""
    return product.is_active and product.availability in _SELLABLE


class PurchasedLine(NamedTuple):
    """A line of an ``OrderConfirmed`` event: ``(product_id, seller_id, quantity)``."""

    product_id: str
    seller_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Weights:
    """Raw affinity counters per category and per seller (what is stored; never normalised)."""

    categories: Mapping[str, int] = field(default_factory=dict)
    sellers: Mapping[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.categories or self.sellers)


@dataclass(frozen=True, slots=True)
class OrderActivity:
    """Everything one confirmed order adds, written all or nothing and once per ``order_id``.

    ``products`` are the order's first ``MAX_PRODUCTS_PER_ORDER`` distinct products in line order;
    ``pairs`` every ordered pair of two of them (both directions); ``affinity`` and ``activity``
    cover the lines of those products. ``recorded_at`` is when it was recorded (the service's
    clock): it invalidates the customer's cached recommendations computed before it.
    """

    order_id: str
    customer_id: str
    at: datetime
    recorded_at: datetime
    products: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    affinity: Weights
    activity: Mapping[str, int]

    @classmethod
    def of(
        cls,
        order_id: str,
        customer_id: str,
        lines: Iterable[tuple[str, str, int]],
        categories: Mapping[str, str],
        at: datetime,
        recorded_at: datetime,
    ) -> OrderActivity:
        """``categories`` maps product ids to their category; a product missing from it (deleted
        from the catalogue) still counts for its seller, pairs and activity."""
        if not order_id or not customer_id:
            raise ValueError("an order activity needs the order and the customer")
        kept = [PurchasedLine(*line) for line in lines]
        for line in kept:
            if not line.product_id or line.quantity < 1:
                raise ValueError(f"not an order line: {line}")
        products = tuple(dict.fromkeys(line.product_id for line in kept))[:MAX_PRODUCTS_PER_ORDER]
        counted = [line for line in kept if line.product_id in products]
        category_weights: Counter[str] = Counter()
        seller_weights: Counter[str] = Counter()
        activity: Counter[str] = Counter()
        for line in counted:
            category = categories.get(line.product_id)
            if category:
                category_weights[category] += ORDER_LINE_WEIGHT
            if line.seller_id:
                seller_weights[line.seller_id] += ORDER_LINE_WEIGHT
            activity[line.product_id] += UNIT_SOLD_WEIGHT * line.quantity
        return cls(
            order_id=order_id,
            customer_id=customer_id,
            at=at,
            recorded_at=recorded_at,
            products=products,
            pairs=tuple((a, b) for a in products for b in products if a != b),
            affinity=Weights(dict(category_weights), dict(seller_weights)),
            activity=dict(activity),
        )

    @property
    def hour(self) -> datetime:
        return hour_of(self.at)


@dataclass(frozen=True, slots=True)
class ViewActivity:
    """A signed-in customer opened a product page: a light lean towards its category and seller."""

    customer_id: str
    product_id: str
    category_id: str
    seller_id: str
    at: datetime

    @classmethod
    def of(cls, customer_id: str, product: Product, at: datetime) -> ViewActivity:
        return cls(customer_id, product.product_id, product.category_id, product.seller_id, at)

    @property
    def affinity(self) -> Weights:
        return Weights({self.category_id: VIEW_WEIGHT}, {self.seller_id: VIEW_WEIGHT})

    @property
    def weight(self) -> int:
        return VIEW_WEIGHT

    @property
    def hour(self) -> datetime:
        return hour_of(self.at)


@dataclass(frozen=True, slots=True)
class Purchase:
    """A product the customer has bought, and when they last did."""

    product_id: str
    last_bought_at: datetime


@dataclass(frozen=True, slots=True)
class TrendingProduct:
    product_id: str
    score: float
    #: Kept with the entry, so a personal list can pick trending products in favourite categories.
    category_id: str


@dataclass(frozen=True, slots=True)
class Trending:
    """The ranked list the hourly job stored; ``computed_at`` is ``None`` before its first run."""

    products: tuple[TrendingProduct, ...] = ()
    computed_at: datetime | None = None

    def __len__(self) -> int:
        return len(self.products)

    def product_ids(self, limit: int | None = None) -> list[str]:
        return [entry.product_id for entry in self.products[:limit]]


# ---------------------------------------------------------------------------------------------- ranking


def _top(weights: Mapping[str, int], top: int) -> dict[str, float]:
    ranked = sorted(((key, w) for key, w in weights.items() if w > 0), key=lambda kw: (-kw[1], kw[0]))[:top]
    if not ranked:
        return {}
    largest = ranked[0][1]
    return {key: weight / largest for key, weight in ranked}


def affinity_of(weights: Weights, top: int = TOP_AFFINITIES) -> Affinity:
    """The ``top`` categories and sellers, each divided by the largest of its kind: the favourite is
    1.0 whatever the customer's volume, so a heavy buyer's affinity does not outweigh relevance."""
    return Affinity(categories=_top(weights.categories, top), sellers=_top(weights.sellers, top))


def ranked_counts(counts: Mapping[str, int], limit: int | None = None) -> list[tuple[str, int]]:
    """Most first; ties by id, so the same counts always give the same list."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


def trending_scores(buckets: Mapping[datetime, Mapping[str, int]], now: datetime) -> list[tuple[str, float]]:
    """Each product's activity summed over the window, an hour of age costing ``TRENDING_DECAY``;
    highest first. Buckets outside the window (or in the future) are ignored."""
    current = hour_of(now)
    scores: dict[str, float] = {}
    for hour, counts in buckets.items():
        age = int((current - hour_of(hour)) / _HOUR)
        if not 0 <= age < TRENDING_WINDOW_HOURS:
            continue
        factor = TRENDING_DECAY**age
        for product_id, weight in counts.items():
            if weight > 0:
                scores[product_id] = scores.get(product_id, 0.0) + weight * factor
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def most_recent(purchases: Iterable[Purchase], limit: int = MAX_PURCHASES_CONSIDERED) -> list[Purchase]:
    return sorted(purchases, key=lambda p: (-p.last_bought_at.timestamp(), p.product_id))[:limit]


def compose(
    together: Sequence[str],
    trending: Trending,
    favourite_categories: Iterable[str],
    exclude: Iterable[str],
    limit: int,
) -> list[str]:
    """A personal list: bought-together candidates (already ranked and filtered), then trending
    products in the favourite categories, then anything trending; never a product in ``exclude``
    (what the customer bought) and never one twice."""
    chosen: list[str] = []
    seen = set(exclude)
    favourites = set(favourite_categories)
    sources: list[Iterable[str]] = [
        together,
        (entry.product_id for entry in trending.products if entry.category_id in favourites),
        (entry.product_id for entry in trending.products),
    ]
    for source in sources:
        for product_id in source:
            if len(chosen) >= limit:
                return chosen
            if product_id not in seen:
                seen.add(product_id)
                chosen.append(product_id)
    return chosen
