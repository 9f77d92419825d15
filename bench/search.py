"""Search: the embedded engines (tantivy, SQLite FTS5) against a plain scan of the same products.

The project needs one embedded search engine for local runs and tests (the cloud has OpenSearch).
Both candidates sit behind the ``SearchBackend`` port and pass the same contract; this measures
what separates them on a catalogue of realistic size, against a floor with no index at all:

- a catalogue: 100,000 generated products (2,000 with ``--quick``), the same for the same seed:
  names of brand + adjectives + product noun + model code ("Kestrel Wireless Headphones KX-4821"),
  descriptions of 20-60 words, 8 root categories over 41 leaves, USD prices in every facet band,
  ratings (a fifth unrated), stock, creation dates over three years, a few hundred sellers;
- build: one ``index()`` call with every product, until it returns (a write is searchable then);
  the scan's "build" is holding the list;
- latency: about 200 queries of eight kinds (exact names, single words, two words, category
  names, typos of one or two letters, model codes, text with filters and other sorts, browsing
  by category with facets), each a first page of 20 with facets, in a fixed shuffled order,
  repeated; median and p95 over every call. The scan answers each query once, on a subset
  when the catalogue is large (it takes about a second a query), and "x scan" divides each
  engine's median over that same subset by the scan's;
- recall@10: known-answer queries, each made for one target product (its full name, its model
  code, its brand + noun + model code), as typed and with a typo: one or two letters changed,
  dropped, added or swapped within a word long enough for the engines' rule (1 edit from 4
  letters, 2 from 8), so recall measures the engines, not the rule. A query counts when the
  target is among the first ten hits;
- suggest: median latency of autocomplete over prefixes of names, a third with a typo.

The scan tokenises every product on every query (lower case, runs of letters and digits),
keeps those containing any of the query's words with the filters, scores them by the words
found (a word in the name counts twice), sorts, counts the facets and takes the page.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from bench import percentile
from commerce.search.model import (
    MAX_PAGE_SIZE,
    PRICE_BANDS,
    Affinity,
    SearchDocument,
    SearchQuery,
    SearchSort,
)
from commerce.search.ports import SearchBackend

__all__ = [
    "CHOSEN",
    "EngineResult",
    "KnownAnswer",
    "PlainScan",
    "Product",
    "ScanPage",
    "SearchBenchResult",
    "TimedQuery",
    "categories",
    "inject_typo",
    "known_answers",
    "main",
    "products",
    "query_set",
    "report",
    "run",
]

#: The engine the summary's headline row is about: the one this benchmark argues for.
CHOSEN = "tantivy"
#: An index should answer a typical query at least this much faster than reading every product.
TARGET = 0.1
ENGINES = ("tantivy", "sqlite_fts5")
SCAN = "plain scan"

_FULL = {
    "products": 100_000,
    "targets": 100,
    "repeats": 5,
    "scan_queries": 24,
    "scan_targets": 6,
    "suggest_repeats": 5,
}
_QUICK = {
    "products": 2_000,
    "targets": 30,
    "repeats": 2,
    "scan_queries": 60,
    "scan_targets": 10,
    "suggest_repeats": 2,
}
_SEED = 20240611

# ------------------------------------------------------------------------------------ catalogue
#: root name -> (brands, adjectives, {leaf name: product nouns}); ~8 roots, 40 leaves.
TREE: dict[str, tuple[tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    "Electronics": (
        ("Sonora", "Voltix", "Auralis", "Kestrel", "Nimbus", "Quantra", "Lumio", "Zentek", "Orbis"),
        ("Wireless", "Bluetooth", "Noise-Cancelling", "Portable", "Compact", "Smart", "Waterproof", "4K"),
        {
            "Headphones": ("Headphones", "Earbuds", "Headset"),
            "Speakers": ("Speaker", "Soundbar", "Subwoofer"),
            "Smartphones": ("Smartphone", "Phone"),
            "Laptops": ("Laptop", "Notebook", "Ultrabook"),
            "Cameras": ("Camera", "Camcorder", "Webcam"),
            "Smartwatches": ("Smartwatch", "Fitness Tracker"),
        },
    ),
    "Sports & Outdoors": (
        ("Stridex", "Peakline", "Trailborn", "Apexa", "Ridgeway", "Vantor", "Solano"),
        ("Lightweight", "Breathable", "Cushioned", "Waterproof", "Insulated", "Foldable", "Trail"),
        {
            "Running Shoes": ("Running Shoes", "Trail Runners", "Racing Flats"),
            "Yoga Mats": ("Yoga Mat", "Exercise Mat"),
            "Bicycles": ("Mountain Bike", "Road Bike", "Bicycle"),
            "Tents": ("Tent", "Shelter", "Bivy"),
            "Backpacks": ("Backpack", "Daypack", "Hydration Pack"),
        },
    ),
    "Home & Kitchen": (
        ("Casaline", "Hearthly", "Brevora", "Kitchara", "Domani", "Ovenly", "Mistral"),
        ("Stainless", "Nonstick", "Programmable", "Ceramic", "Cast-Iron", "Dishwasher-Safe", "Electric"),
        {
            "Coffee Makers": ("Coffee Maker", "Espresso Machine", "French Press"),
            "Blenders": ("Blender", "Juicer", "Food Processor"),
            "Cookware": ("Frying Pan", "Saucepan", "Dutch Oven", "Wok"),
            "Knives": ("Chef Knife", "Knife Set", "Paring Knife"),
            "Toasters": ("Toaster", "Toaster Oven"),
        },
    ),
    "Fashion": (
        ("Velmora", "Carrow", "Ashby", "Maison Lune", "Northfold", "Tessaro", "Brixen"),
        ("Slim-Fit", "Leather", "Cotton", "Vintage", "Quilted", "Linen", "Classic", "Oversized"),
        {
            "Jackets": ("Jacket", "Parka", "Blazer", "Raincoat"),
            "Sneakers": ("Sneakers", "Trainers", "High-Tops"),
            "Handbags": ("Handbag", "Tote", "Crossbody Bag"),
            "Sunglasses": ("Sunglasses", "Aviators"),
            "Watches": ("Watch", "Chronograph"),
        },
    ),
    "Toys & Games": (
        ("Playfort", "Tinkerly", "Gigglo", "Brickwell", "Puzzlar", "Wonderkin"),
        ("Educational", "Wooden", "Magnetic", "Collectible", "Deluxe", "Family", "Glow-in-the-Dark"),
        {
            "Board Games": ("Board Game", "Strategy Game", "Card Game"),
            "Puzzles": ("Jigsaw Puzzle", "Puzzle Cube", "Puzzle"),
            "Action Figures": ("Action Figure", "Figure Set"),
            "Building Blocks": ("Building Set", "Construction Kit", "Blocks"),
            "Dolls": ("Doll", "Dollhouse", "Plush Toy"),
        },
    ),
    "Office": (
        ("Deskwise", "Scribe & Co", "Officio", "Penrose", "Ledgerly", "Ergonova"),
        ("Ergonomic", "Adjustable", "Refillable", "Recycled", "Executive", "Dual", "Curved"),
        {
            "Desk Lamps": ("Desk Lamp", "LED Lamp", "Task Light"),
            "Office Chairs": ("Office Chair", "Task Chair", "Gaming Chair"),
            "Notebooks": ("Notebook", "Journal", "Planner"),
            "Pens": ("Fountain Pen", "Ballpoint Pen", "Gel Pen"),
            "Monitors": ("Monitor", "Display"),
        },
    ),
    "Garden": (
        ("Verdano", "Greenhollow", "Yardline", "Fernwick", "Bloomsby", "Terrava"),
        ("Cordless", "Expandable", "Weatherproof", "Self-Watering", "Heavy-Duty", "Solar", "Raised"),
        {
            "Lawn Mowers": ("Lawn Mower", "Robot Mower", "Reel Mower"),
            "Garden Hoses": ("Garden Hose", "Hose Reel", "Spray Nozzle"),
            "Planters": ("Planter", "Flower Pot", "Garden Bed"),
            "Grills": ("Grill", "Smoker", "Barbecue"),
            "Patio Furniture": ("Patio Chair", "Lounger", "Hammock"),
        },
    ),
    "Automotive": (
        ("Motorex", "Drivana", "Torqly", "Roadwise", "Gearon", "Axleby"),
        ("Heavy-Duty", "Universal", "Magnetic", "Digital", "All-Weather", "Fast-Charging", "Compact"),
        {
            "Dash Cams": ("Dash Cam", "Dashboard Camera"),
            "Car Chargers": ("Car Charger", "Charging Cable", "Power Inverter"),
            "Tire Inflators": ("Tire Inflator", "Air Compressor", "Tire Gauge"),
            "Seat Covers": ("Seat Cover", "Seat Cushion"),
            "Floor Mats": ("Floor Mat", "Cargo Liner", "Trunk Organizer"),
        },
    ),
}

_DESCRIPTION_TEXT = (
    "designed built made crafted engineered tested trusted durable reliable comfortable everyday "
    "premium quality performance travel home office outdoor indoor family gift friends kids adults "
    "battery life charge hours minutes weight grams size fit colour color finish black white grey "
    "blue red green silver steel aluminium plastic fabric leather wood glass rubber easy clean care "
    "warranty year years support included box cable case strap cover pocket handle grip button "
    "control setting mode level sound light power speed storage capacity space compact sturdy soft "
    "smooth quiet fast strong simple modern classic elegant versatile perfect ideal great best new "
    "improved upgraded design feature features comfort style sport work weekend morning evening daily "
    "with for and the your you every all day long lasting keeps stays works fits holds carries "
    "protects delivers offers brings makes helps lets"
)
_DESCRIPTION_WORDS = tuple(_DESCRIPTION_TEXT.split())
_STOCK_PHRASES = (
    "Ships in recyclable packaging.",
    "Backed by a two-year warranty.",
    "Made with responsibly sourced materials.",
    "A favourite with our customers.",
    "Crafted for everyday use.",
)
#: A leaf's typical price in cents; each product varies around it (log-normally), so every
#: ``PRICE_BANDS`` entry is well populated and a lawn mower rarely costs less than its hose.
_TYPICAL_PRICES = (1500, 3000, 6000, 12000, 25000, 60000)
_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
_CODE_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"


@dataclass(frozen=True)
class Category:
    category_id: str
    name: str
    path: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True)
class Product:
    """A generated product: its document and what its known-answer queries are made of."""

    document: SearchDocument
    brand: str
    noun: str
    model_code: str


def _slug(name: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", name.lower()))


def categories() -> list[Category]:
    """The category tree: each root, then its leaves."""
    tree: list[Category] = []
    for root, (_brands, _adjectives, leaves) in TREE.items():
        root_id = "cat-" + _slug(root)
        tree.append(Category(root_id, root, (root_id,), (root,)))
        for leaf in leaves:
            leaf_id = f"{root_id}-{_slug(leaf)}"
            tree.append(Category(leaf_id, leaf, (root_id, leaf_id), (root, leaf)))
    return tree


def products(count: int, seed: int = _SEED) -> list[Product]:
    """``count`` products, the same for the same seed."""
    rng = random.Random(seed)
    by_id = {category.category_id: category for category in categories()}
    typical = {leaf: rng.choice(_TYPICAL_PRICES) for _, _, leaves in TREE.values() for leaf in leaves}
    sellers = [f"seller-{n:04d}" for n in range(300 if count >= 10_000 else 40)]
    codes: set[str] = set()
    made: list[Product] = []
    for n in range(count):
        root = rng.choice(list(TREE))
        brands, adjectives, leaves = TREE[root]
        leaf = rng.choice(list(leaves))
        root_id = "cat-" + _slug(root)
        # A few sit in the root itself, as products nobody filed under a leaf do.
        category = by_id[root_id] if rng.random() < 0.03 else by_id[f"{root_id}-{_slug(leaf)}"]
        brand = rng.choice(brands)
        noun = rng.choice(leaves[leaf])
        picked = rng.sample(adjectives, rng.choice((1, 1, 2)))
        code = _model_code(rng, codes)
        body = [rng.choice(_DESCRIPTION_WORDS) for _ in range(rng.randint(13, 48))]
        # Sellers' copy repeats some of the name.
        body[rng.randrange(len(body))] = noun.lower()
        body[rng.randrange(len(body))] = picked[0].lower()
        description = f"The {brand} {noun}: {' '.join(body)}. {rng.choice(_STOCK_PHRASES)}"
        price = typical[leaf] * math.exp(rng.gauss(0, 0.7))
        rated = rng.random() < 0.8
        document = SearchDocument(
            product_id=f"p-{n:06d}",
            seller_id=rng.choice(sellers),
            name=" ".join((brand, *picked, noun, code)),
            description=description,
            category_id=category.category_id,
            category_path=category.path,
            category_names=category.names,
            price_amount=max(99, min(500_000, int(price) // 100 * 100 + rng.choice((99, 95, 0, 49)))),
            currency="USD",
            in_stock=rng.random() < 0.85,
            rating_average=round(rng.triangular(1.0, 5.0, 4.3), 1) if rated else None,
            rating_count=rng.randint(1, 2000) if rated else 0,
            created_at=_EPOCH + timedelta(seconds=rng.randint(0, 3 * 365 * 86400)),
            version=1,
        )
        made.append(Product(document=document, brand=brand, noun=noun, model_code=code))
    return made


def _model_code(rng: random.Random, taken: set[str]) -> str:
    """A code no other product has, such as ``KX-4821`` or ``TR-220B``."""
    while True:
        letters = "".join(rng.choices(_CODE_LETTERS, k=2))
        code = f"{letters}-{rng.randint(100, 9999)}{rng.choice(('', '', '', 'S', 'X', 'B', 'M2'))}"
        if code not in taken:
            taken.add(code)
            return code


# -------------------------------------------------------------------------------------- typos
def inject_typo(word: str, edits: int, rng: random.Random, *, keep_length: bool = False) -> str:
    """``word`` with ``edits`` typos (a letter changed, dropped, added, or two swapped), exactly
    ``edits`` away by optimal string alignment, never in the first letter (people rarely miss it)."""
    from bench.sqlite_search import edit_distance

    kinds = ("change", "swap") if keep_length else ("change", "drop", "add", "swap")
    for _ in range(100):
        typed = word
        for _ in range(edits):
            typed = _one_typo(typed, rng.choice(kinds), rng)
        if edit_distance(word.lower(), typed.lower(), edits) == edits:
            return typed
    raise ValueError(f"no {edits}-letter typo of {word!r}")


def _one_typo(word: str, kind: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    letters = "0123456789" if word[i].isdigit() else "abcdefghijklmnopqrstuvwxyz"
    if kind == "change":
        return word[:i] + rng.choice(letters.replace(word[i].lower(), "")) + word[i + 1 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "add":
        return word[:i] + rng.choice(letters) + word[i:]
    if i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[: i - 1] + word[i] + word[i - 1]


_PARTS = re.compile(r"([^A-Za-z0-9]+)")


def _misspelt(text: str, rng: random.Random) -> str | None:
    """``text`` with a typo in one of its words, within what the engines forgive (1 edit from 4
    letters, 2 from 8, counted on what is typed): two edits in a word of 9+ letters half the time,
    else one; a 4-letter word keeps its length. None when no word is long enough."""
    parts = _PARTS.split(text)
    long_enough = [i for i, part in enumerate(parts) if len(part) >= 4 and part.isalnum()]
    if not long_enough:
        return None
    i = rng.choice(long_enough)
    word = parts[i]
    edits = 2 if len(word) >= 9 and rng.random() < 0.5 else 1
    parts[i] = inject_typo(word, edits, rng, keep_length=len(word) - edits < 4 * edits)
    return "".join(parts)


# ------------------------------------------------------------------------------------ queries
@dataclass(frozen=True)
class TimedQuery:
    kind: str
    query: SearchQuery


@dataclass(frozen=True)
class KnownAnswer:
    kind: str
    typo: bool
    text: str
    target: str


QUERY_KINDS = ("name", "word", "two words", "category", "typo", "code", "filtered", "browse")
_KIND_COUNTS = {
    "name": 30,
    "word": 30,
    "two words": 30,
    "category": 20,
    "typo": 30,
    "code": 10,
    "filtered": 30,
    "browse": 20,
}
_OTHER_SORTS = (SearchSort.PRICE_ASC, SearchSort.PRICE_DESC, SearchSort.RATING, SearchSort.NEWEST)


def query_set(catalogue: Sequence[Product], seed: int = _SEED) -> list[TimedQuery]:
    """About 200 queries of every kind, in a fixed shuffled order."""
    rng = random.Random(seed + 1)
    tree = categories()
    leaves = [c for c in tree if len(c.path) > 1]
    sellers = sorted({p.document.seller_id for p in catalogue})
    description_words = sorted({w for w in _DESCRIPTION_WORDS if len(w) >= 4})
    adjectives = sorted({a for _, found, _ in TREE.values() for a in found})

    def some() -> Product:
        return rng.choice(catalogue)

    def text_of(kind: str) -> str:
        target = some()
        if kind == "name":
            return target.document.name
        if kind == "word":
            return rng.choice(
                (target.brand, target.noun.split()[-1], rng.choice(adjectives), rng.choice(description_words))
            )
        if kind == "two words":
            return rng.choice(
                (
                    f"{target.brand} {target.noun.split()[-1]}",
                    f"{rng.choice(adjectives)} {target.noun.split()[-1]}",
                    f"{target.noun.split()[-1]} {rng.choice(description_words)}",
                )
            )
        if kind == "category":
            return rng.choice(tree).name
        if kind == "code":
            return target.model_code
        while True:  # a typo in a brand, a noun or a brand + noun
            typed = _misspelt(rng.choice((target.brand, target.noun, f"{target.brand} {target.noun}")), rng)
            if typed is not None:
                return typed

    made: list[TimedQuery] = []
    for kind, count in _KIND_COUNTS.items():
        for n in range(count):
            if kind == "filtered":
                leaf = rng.choice(leaves)
                low = rng.choice(PRICE_BANDS)
                query = SearchQuery(
                    text=rng.choice((leaf.name, some().brand, some().noun)),
                    category_id=rng.choice((leaf.category_id, leaf.path[0], None)),
                    min_price=low.min_amount,
                    max_price=(low.max_amount or 100_000) * 2,
                    in_stock=rng.choice((True, None)),
                    seller_id=rng.choice(sellers) if n % 6 == 0 else None,
                    sort=rng.choice(_OTHER_SORTS) if n % 5 else SearchSort.RELEVANCE,
                )
            elif kind == "browse":
                category = rng.choice(tree)
                query = SearchQuery(
                    category_id=None if n == 0 else category.category_id,  # the first: the whole catalogue
                    in_stock=rng.choice((True, None)),
                    min_price=rng.choice((None, 2500, 10000)),
                    sort=rng.choice((SearchSort.RELEVANCE, *_OTHER_SORTS)),
                )
            else:
                query = SearchQuery(text=text_of(kind))
                if kind == "two words" and n % 3 == 0:  # a signed-in shopper: personalised ranking
                    favourite = rng.choice(leaves)
                    query = replace(
                        query,
                        affinity=Affinity(
                            categories={favourite.category_id: 0.8, favourite.path[0]: 0.3},
                            sellers={rng.choice(sellers): 0.5},
                        ),
                    )
            made.append(TimedQuery(kind, query))
    rng.shuffle(made)
    return made


def known_answers(catalogue: Sequence[Product], targets: int, seed: int = _SEED) -> list[KnownAnswer]:
    """For each target product: its name, model code and brand + noun + code, as typed and misspelt."""
    rng = random.Random(seed + 2)
    made: list[KnownAnswer] = []
    for target in rng.sample(list(catalogue), targets):
        product_id = target.document.product_id
        for kind, text in (
            ("name", target.document.name),
            ("code", target.model_code),
            ("brand noun code", f"{target.brand} {target.noun} {target.model_code}"),
        ):
            made.append(KnownAnswer(kind, False, text, product_id))
            typed = _misspelt(text, rng)
            if typed is not None:
                made.append(KnownAnswer(kind, True, typed, product_id))
    return made


def _suggest_prefixes(catalogue: Sequence[Product], count: int, seed: int = _SEED) -> list[str]:
    """What shoppers type into the search box: the start of a brand, a brand and a product noun,
    or a noun (4 letters or more), a third of them misspelt."""
    rng = random.Random(seed + 3)
    prefixes: list[str] = []
    while len(prefixes) < count:
        product = rng.choice(catalogue)
        start = rng.choice((product.brand, f"{product.brand} {product.noun}", product.noun))
        cut = start[: rng.randint(min(4, len(start)), len(start))]
        if len(prefixes) % 3 == 2:
            cut = _misspelt(cut, rng) or cut
        prefixes.append(cut)
    return prefixes


# ------------------------------------------------------------------------------------ the floor
_SCAN_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class ScanPage:
    product_ids: list[str]
    total: int
    categories: list[tuple[str, int]]
    price_bands: Counter[str]


class PlainScan:
    """The floor: a Python loop over every product for every query, no index at all."""

    def __init__(self, documents: Sequence[SearchDocument]) -> None:
        self._documents = list(documents)

    def search(self, query: SearchQuery) -> ScanPage:
        """The first page, the total and the facets, as the engines answer."""
        wanted = set(_SCAN_WORD.findall(query.text.lower()))
        favourites = dict(query.affinity.categories) if query.sort is SearchSort.RELEVANCE else {}
        sellers = dict(query.affinity.sellers) if query.sort is SearchSort.RELEVANCE else {}
        scored: list[tuple[float, SearchDocument]] = []
        by_category: Counter[str] = Counter()
        bands: Counter[str] = Counter()
        for document in self._documents:
            if not self._kept(document, query):
                continue
            score = 0.0
            if wanted:
                in_name = wanted & set(_SCAN_WORD.findall(document.name.lower()))
                rest = f"{document.description} {' '.join(document.category_names)}".lower()
                elsewhere = wanted & set(_SCAN_WORD.findall(rest))
                if not in_name and not elsewhere:
                    continue
                score = 2.0 * len(in_name) + len(elsewhere - in_name)
            score += sum(2.0 * favourites.get(c, 0.0) for c in document.category_path)
            score += sellers.get(document.seller_id, 0.0)
            scored.append((score, document))
            by_category[document.category_id] += 1
            bands.update(band.key for band in PRICE_BANDS if band.holds(document.price_amount))
        scored.sort(key=_scan_order(query.sort))
        page = scored[: max(1, min(query.limit, MAX_PAGE_SIZE))]
        return ScanPage([d.product_id for _, d in page], len(scored), by_category.most_common(20), bands)

    @staticmethod
    def _kept(document: SearchDocument, query: SearchQuery) -> bool:
        return (
            (query.category_id is None or query.category_id in document.category_path)
            and (query.min_price is None or document.price_amount >= query.min_price)
            and (query.max_price is None or document.price_amount <= query.max_price)
            and (query.currency is None or document.currency == query.currency)
            and (query.in_stock is None or document.in_stock is query.in_stock)
            and (query.seller_id is None or document.seller_id == query.seller_id)
        )


def _rating(document: SearchDocument) -> float:
    return -1.0 if document.rating_average is None else document.rating_average


def _scan_order(sort: SearchSort) -> Callable[[tuple[float, SearchDocument]], tuple[float | str, ...]]:
    orders: dict[SearchSort, Callable[[tuple[float, SearchDocument]], tuple[float | str, ...]]] = {
        SearchSort.RELEVANCE: lambda pair: (-pair[0], pair[1].product_id),
        SearchSort.PRICE_ASC: lambda pair: (pair[1].price_amount, pair[1].product_id),
        SearchSort.PRICE_DESC: lambda pair: (-pair[1].price_amount, pair[1].product_id),
        SearchSort.RATING: lambda pair: (-_rating(pair[1]), pair[1].product_id),
        SearchSort.NEWEST: lambda pair: (-pair[1].created_at.timestamp(), pair[1].product_id),
    }
    return orders[sort]


# ------------------------------------------------------------------------------------ measuring
@dataclass
class EngineResult:
    name: str
    build_seconds: float
    #: Per timed call: the query's index in the query set and the milliseconds it took.
    calls: list[tuple[int, float]] = field(default_factory=list)
    #: Known-answer queries asked and found, by (kind, typo).
    asked: Counter[tuple[str, bool]] = field(default_factory=Counter)
    hit: Counter[tuple[str, bool]] = field(default_factory=Counter)
    suggest_ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(ms for _, ms in self.calls)

    @property
    def p95_ms(self) -> float:
        return percentile([ms for _, ms in self.calls], 95)

    def median_of(self, indexes: set[int]) -> float:
        return statistics.median(ms for i, ms in self.calls if i in indexes)

    def recall(self, typo: bool, kind: str | None = None) -> float:
        keys = [key for key in self.asked if key[1] is typo and kind in (None, key[0])]
        asked = sum(self.asked[key] for key in keys)
        return sum(self.hit[key] for key in keys) / asked if asked else math.nan

    def answered(self, typo: bool) -> int:
        return sum(n for (_, t), n in self.asked.items() if t is typo)


@dataclass(frozen=True)
class SearchBenchResult:
    products: int
    queries: list[TimedQuery]
    repeats: int
    #: The queries the scan answered (indexes into ``queries``).
    scanned: set[int]
    prefixes: int
    suggest_repeats: int
    engines: dict[str, EngineResult]

    @property
    def scan(self) -> EngineResult:
        return self.engines[SCAN]

    def ratio(self, name: str) -> float:
        """An engine's median over the scanned queries / the scan's median over them."""
        return self.engines[name].median_of(self.scanned) / self.scan.median_ms

    def kind_median(self, name: str, kind: str) -> float:
        indexes = {i for i, q in enumerate(self.queries) if q.kind == kind}
        if name == SCAN:
            indexes &= self.scanned
        return self.engines[name].median_of(indexes) if indexes else math.nan


def _engine(name: str) -> SearchBackend:
    if name == "tantivy":
        from commerce.adapters.tantivy_search import TantivySearch

        return TantivySearch()
    from bench.sqlite_search import SqliteFtsSearch

    return SqliteFtsSearch()


def _timed_ms(call: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / 1e6


def _check_recall(
    result: EngineResult, answers: Sequence[KnownAnswer], top10: Callable[[str], list[str]]
) -> None:
    for answer in answers:
        key = (answer.kind, answer.typo)
        result.asked[key] += 1
        result.hit[key] += answer.target in top10(answer.text)


def _scanned(queries: Sequence[TimedQuery], count: int) -> set[int]:
    """The same share of every kind of query, the first ones of each kind in the set's order."""
    share = min(1.0, count / len(queries))
    chosen: set[int] = set()
    for kind in QUERY_KINDS:
        of_kind = [i for i, query in enumerate(queries) if query.kind == kind]
        chosen.update(of_kind[: max(1, round(share * len(of_kind)))])
    return chosen


def run(quick: bool = False) -> SearchBenchResult:
    settings = _QUICK if quick else _FULL
    catalogue = products(settings["products"])
    documents = [product.document for product in catalogue]
    queries = query_set(catalogue)
    answers = known_answers(catalogue, settings["targets"])
    prefixes = _suggest_prefixes(catalogue, 60)
    scanned = _scanned(queries, settings["scan_queries"])

    engines: dict[str, SearchBackend] = {}
    results: dict[str, EngineResult] = {}
    try:
        for name in ENGINES:
            engine = engines[name] = _engine(name)
            gc.collect()
            start = time.perf_counter()
            failed = engine.index(documents)
            results[name] = EngineResult(name, time.perf_counter() - start)
            if failed:
                raise RuntimeError(f"{name} could not index {len(failed)} products, e.g. {failed[:3]}")
        for name, engine in engines.items():  # warm-up, and what recall needs (not timed)
            for timed in queries:
                engine.search(timed.query)
            _check_recall(results[name], answers, partial(_top10, engine))
        # Rounds alternate between the engines, so drift on a shared machine hits both.
        for _ in range(settings["repeats"]):
            for name, engine in engines.items():
                calls = results[name].calls
                for i, timed in enumerate(queries):
                    calls.append((i, _timed_ms(partial(engine.search, timed.query))))
        for _ in range(settings["suggest_repeats"]):
            for name, engine in engines.items():
                for prefix in prefixes:
                    results[name].suggest_ms.append(_timed_ms(partial(engine.suggest, prefix)))
    finally:
        for engine in engines.values():
            close = getattr(engine, "close", None)
            if close is not None:
                close()
        engines.clear()
    gc.collect()

    start = time.perf_counter()
    scan = PlainScan(documents)
    results[SCAN] = EngineResult(SCAN, time.perf_counter() - start)
    for i in sorted(scanned):
        results[SCAN].calls.append((i, _timed_ms(partial(scan.search, queries[i].query))))
    scan_targets = set(list(dict.fromkeys(answer.target for answer in answers))[: settings["scan_targets"]])
    _check_recall(
        results[SCAN],
        [answer for answer in answers if answer.target in scan_targets],
        lambda text: scan.search(SearchQuery(text=text, limit=10)).product_ids,
    )
    return SearchBenchResult(
        products=len(documents),
        queries=queries,
        repeats=settings["repeats"],
        scanned=scanned,
        prefixes=len(prefixes),
        suggest_repeats=settings["suggest_repeats"],
        engines=results,
    )


def _top10(engine: SearchBackend, text: str) -> list[str]:
    return [hit.product_id for hit in engine.search(SearchQuery(text=text, limit=10)).hits]


# ------------------------------------------------------------------------------------ reporting
def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f}%"


def report(result: SearchBenchResult) -> None:
    scan = result.scan
    print(
        f"Search, {result.products:,} products: {len(result.queries)} queries x {result.repeats} rounds"
        f" per engine, the scan {len(result.scanned)} of them once (first pages of 20 with facets)"
    )
    print(
        f"  {'engine':<13} {'build s':>8} {'median ms':>10} {'p95 ms':>9} {'recall@10 exact':>16}"
        f" {'recall@10 typo':>15} {'x scan':>8}"
    )
    for name in (*ENGINES, SCAN):
        engine = result.engines[name]
        ratio = 1.0 if name == SCAN else result.ratio(name)
        print(
            f"  {name:<13} {engine.build_seconds:8.2f} {engine.median_ms:10.2f} {engine.p95_ms:9.2f}"
            f" {_percent(engine.recall(False)):>16} {_percent(engine.recall(True)):>15} {ratio:8.4f}"
        )
    first = result.engines[ENGINES[0]]
    print(
        f"  recall: {first.answered(False)} exact and {first.answered(True)} misspelt known-answer queries"
        f" per engine, the scan {scan.answered(False)} and {scan.answered(True)};"
        " x scan: median over the scanned queries / the scan's"
    )
    kinds = QUERY_KINDS
    print(f"  median ms by kind   {''.join(f'{kind:>11}' for kind in kinds)}")
    for name in (*ENGINES, SCAN):
        print(f"  {name:<19} {''.join(f'{result.kind_median(name, kind):11.2f}' for kind in kinds)}")
    print("  recall@10 by kind (exact / typo)")
    for name in (*ENGINES, SCAN):
        engine = result.engines[name]
        cells = "".join(
            f"  {kind}: {_percent(engine.recall(False, kind))} / {_percent(engine.recall(True, kind))}"
            for kind in ("name", "code", "brand noun code")
        )
        print(f"  {name:<13}{cells}")
    suggest = ", ".join(
        f"{name} {statistics.median(result.engines[name].suggest_ms):.2f} ms"
        f" (p95 {percentile(result.engines[name].suggest_ms, 95):.2f})"
        for name in ENGINES
    )
    print(f"  suggest median: {suggest}; {result.prefixes} prefixes x {result.suggest_repeats} rounds")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2,000 products")
    args = parser.parse_args(argv)
    report(run(args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
