"""Deterministic demo catalogue (categories, sellers, products) that `make run` seeds into the local stack.

Local use only: pure data with no I/O; a seeder turns it into real records through the platform's services.
"""

from __future__ import annotations

import functools
import itertools
import random
from dataclasses import dataclass

__all__ = ["CATEGORIES", "CURRENCY", "SELLERS", "DemoCategory", "DemoProduct", "DemoSeller", "products"]


@dataclass(frozen=True)
class DemoCategory:
    """One node of the demo category tree; `key` is a path-like slug such as "electronics/phones"."""

    key: str
    name: str
    parent_key: str | None


@dataclass(frozen=True)
class DemoSeller:
    """A demo seller account; the first one is the main demo seller (seller@example.com)."""

    key: str
    email: str
    name: str


@dataclass(frozen=True)
class DemoProduct:
    """A demo product listed by a seller in a leaf category, priced in integer minor units."""

    key: str
    seller_key: str
    category_key: str
    name: str
    description: str
    price_minor: int
    currency: str


def _tree(*nodes: tuple[str, str, str | None]) -> tuple[DemoCategory, ...]:
    """Build categories from (key, name, parent_key) triples, checking parents come first."""
    seen: set[str] = set()
    out: list[DemoCategory] = []
    for key, name, parent in nodes:
        assert parent is None or parent in seen, f"parent of {key} must be listed first"
        seen.add(key)
        out.append(DemoCategory(key=key, name=name, parent_key=parent))
    return tuple(out)


CATEGORIES: tuple[DemoCategory, ...] = _tree(
    ("electronics", "Electronics", None),
    ("electronics/phones", "Phones", "electronics"),
    ("electronics/laptops", "Laptops", "electronics"),
    ("electronics/audio", "Audio", "electronics"),
    ("electronics/audio/headphones", "Headphones", "electronics/audio"),
    ("electronics/audio/speakers", "Speakers", "electronics/audio"),
    ("electronics/cameras", "Cameras", "electronics"),
    ("home-kitchen", "Home & Kitchen", None),
    ("home-kitchen/cookware", "Cookware", "home-kitchen"),
    ("home-kitchen/furniture", "Furniture", "home-kitchen"),
    ("home-kitchen/lighting", "Lighting", "home-kitchen"),
    ("fashion", "Fashion", None),
    ("fashion/men", "Men", "fashion"),
    ("fashion/women", "Women", "fashion"),
    ("fashion/shoes", "Shoes", "fashion"),
    ("fashion/shoes/sneakers", "Sneakers", "fashion/shoes"),
    ("fashion/shoes/boots", "Boots", "fashion/shoes"),
    ("books", "Books", None),
    ("books/fiction", "Fiction", "books"),
    ("books/non-fiction", "Non-fiction", "books"),
    ("books/children", "Children's Books", "books"),
    ("sports-outdoors", "Sports & Outdoors", None),
    ("sports-outdoors/fitness", "Fitness", "sports-outdoors"),
    ("sports-outdoors/camping", "Camping & Hiking", "sports-outdoors"),
    ("sports-outdoors/cycling", "Cycling", "sports-outdoors"),
    ("toys-games", "Toys & Games", None),
    ("toys-games/board-games", "Board Games", "toys-games"),
    ("toys-games/building-sets", "Building Sets", "toys-games"),
    ("toys-games/puzzles", "Puzzles", "toys-games"),
    ("beauty", "Beauty", None),
    ("beauty/skincare", "Skincare", "beauty"),
    ("beauty/makeup", "Makeup", "beauty"),
    ("beauty/hair-care", "Hair Care", "beauty"),
    ("grocery", "Grocery", None),
    ("grocery/coffee", "Coffee", "grocery"),
    ("grocery/snacks", "Snacks", "grocery"),
    ("grocery/pantry", "Pantry", "grocery"),
)

SELLERS: tuple[DemoSeller, ...] = (
    DemoSeller(key="seller", email="seller@example.com", name="Demo Seller"),
    DemoSeller(key="northwind", email="northwind@example.com", name="Northwind Outfitters"),
    DemoSeller(key="bluefinch", email="bluefinch@example.com", name="Bluefinch Home & Tech"),
    DemoSeller(key="maplecrest", email="maplecrest@example.com", name="Maplecrest Market"),
)

_SEED = 20261201
_PER_LEAF = 10
#: Every demo price is in this currency.
CURRENCY = "USD"


@dataclass(frozen=True)
class _Leaf:
    """How to generate products for one leaf category.

    `pattern` and `blurbs` are str.format templates over the part names plus `item`, `name`, `f1`, `f2`;
    `items` are (noun, lowest dollars, highest dollars) so prices stay realistic per item.
    """

    category_key: str
    pattern: str
    items: tuple[tuple[str, int, int], ...]
    parts: tuple[tuple[str, tuple[str, ...]], ...]
    features: tuple[str, ...]
    blurbs: tuple[str, ...]


def _leaf(
    category_key: str,
    pattern: str,
    items: tuple[tuple[str, int, int], ...],
    features: tuple[str, ...],
    blurbs: tuple[str, ...],
    **parts: tuple[str, ...],
) -> _Leaf:
    return _Leaf(category_key, pattern, items, tuple(parts.items()), features, blurbs)


_COLOURS = ("Midnight Black", "Arctic White", "Graphite", "Ocean Blue", "Sage Green")

_LEAVES: tuple[_Leaf, ...] = (
    _leaf(
        "electronics/phones",
        "{brand} {model} {item} {storage}, {colour}",
        (("Smartphone", 199, 1300), ("Foldable Phone", 999, 1900), ("Rugged Phone", 249, 700)),
        (
            "a 6.7-inch OLED display",
            "a triple-lens 50 MP camera",
            "5G connectivity",
            "an all-day 5000 mAh battery",
            "IP68 water and dust resistance",
            "65 W fast charging",
        ),
        (
            "The {brand} {model} phone pairs {f1} with {f2}. Ships unlocked in {colour} with a USB-C cable.",
            "An unlocked {storage} smartphone featuring {f1}, {f2} and five years of security updates.",
        ),
        brand=("Aurora", "Nimbus", "Vertex", "Lumina", "Kestrel"),
        model=("X2", "Pro 5", "Lite 3", "Max 7"),
        storage=("128 GB", "256 GB", "512 GB"),
        colour=_COLOURS,
    ),
    _leaf(
        "electronics/laptops",
        "{brand} {series} {size} {item}",
        (
            ("Laptop", 499, 1800),
            ("Ultrabook", 899, 2200),
            ("Gaming Laptop", 1199, 2400),
            ("2-in-1 Laptop", 599, 1500),
        ),
        (
            "16 GB of RAM",
            "a 1 TB NVMe SSD",
            "a backlit keyboard",
            "up to 18 hours of battery life",
            "Wi-Fi 6E",
            "a 120 Hz display",
            "two Thunderbolt 4 ports",
        ),
        (
            "The {name} comes with {f1} and {f2}. Its aluminium chassis makes this laptop easy to carry.",
            "Built for work and play, this {size} laptop offers {f1}, {f2} and a full-HD webcam.",
        ),
        brand=("Vertex", "Helix", "Quanta", "Corvid"),
        series=("Pro", "Air", "Studio", "Flex", "Edge"),
        size=("13-inch", "14-inch", "15-inch", "16-inch"),
    ),
    _leaf(
        "electronics/audio/headphones",
        "{brand} {model} {item} ({colour})",
        (
            ("Wireless Earbuds", 39, 250),
            ("Over-Ear Headphones", 79, 400),
            ("On-Ear Headphones", 49, 200),
            ("Sport Earbuds", 29, 150),
        ),
        (
            "active noise cancellation",
            "a 30-hour battery life",
            "Bluetooth 5.3 multipoint pairing",
            "a transparency mode",
            "a sweat-resistant IPX4 housing",
            "custom-tuned 40 mm drivers",
        ),
        (
            "Wireless headphones with {f1} and {f2}. Includes a carrying case and USB-C cable.",
            "The {brand} {model} delivers balanced, detailed sound with {f1} and {f2}.",
        ),
        brand=("Aurora", "Sonique", "Echo Lane", "Pulsar"),
        model=("X2", "Air 3", "Studio", "Flow"),
        colour=_COLOURS,
    ),
    _leaf(
        "electronics/audio/speakers",
        "{brand} {model} {item}",
        (
            ("Bluetooth Speaker", 29, 200),
            ("Smart Speaker", 49, 300),
            ("Soundbar", 129, 800),
            ("Bookshelf Speakers", 99, 600),
        ),
        (
            "rich 360-degree sound",
            "deep, punchy bass",
            "Wi-Fi and Bluetooth streaming",
            "multi-room playback",
            "a built-in voice assistant",
            "an app-controlled equaliser",
        ),
        (
            "The {name} fills any room with {f1} and {f2}.",
            "A speaker built for music and movies, with {f1}, {f2} and simple one-button pairing.",
        ),
        brand=("Sonique", "Boomcraft", "Echo Lane", "Resona"),
        model=("Mini", "Go 2", "Arc", "Max", "Home"),
    ),
    _leaf(
        "electronics/cameras",
        "{brand} {model} {item}",
        (
            ("Mirrorless Camera", 599, 2500),
            ("Action Camera", 149, 500),
            ("Compact Camera", 249, 1000),
            ("Instant Camera", 59, 150),
        ),
        (
            "a 24 MP sensor",
            "4K video at 60 fps",
            "in-body image stabilisation",
            "fast hybrid autofocus",
            "a flip-out touchscreen",
            "weather-sealed controls",
        ),
        (
            "Capture sharp photos and smooth video with {f1} and {f2}.",
            "The {brand} {model} camera combines {f1} with {f2} in a body that fits in a jacket pocket.",
        ),
        brand=("Orion", "Fenwick", "Solstice", "Kairo"),
        model=("M5", "Z30", "R8 Mark II", "Go 4", "Vista"),
    ),
    _leaf(
        "home-kitchen/cookware",
        "{material} {item}",
        (
            ("Skillet 10 in", 19, 90),
            ("Skillet 12 in", 24, 130),
            ("Dutch Oven 5.5 qt", 49, 350),
            ("Saucepan 2 qt", 24, 130),
            ("Stockpot 8 qt", 34, 180),
            ("Saute Pan 3.5 qt", 39, 170),
        ),
        (
            "even heat distribution",
            "an induction-compatible base",
            "stay-cool riveted handles",
            "oven-safe construction up to 500 F",
            "a durable, easy-release cooking surface",
            "a tight-fitting lid that locks in moisture",
        ),
        (
            "{material} cookware for everyday cooking, with {f1} and {f2}.",
            "Cookware that lasts: this {material} piece offers {f1} and {f2}. Hand wash for best results.",
        ),
        material=(
            "Cast Iron",
            "Tri-Ply Stainless",
            "Hard-Anodised Nonstick",
            "Enamelled Cast Iron",
            "Carbon Steel",
            "Copper-Core",
        ),
    ),
    _leaf(
        "home-kitchen/furniture",
        "{collection} {wood} {item}",
        (
            ("Coffee Table", 149, 600),
            ("Dining Chair", 79, 300),
            ("Bookshelf", 99, 450),
            ("Armchair", 249, 900),
            ("Side Table", 59, 250),
            ("TV Stand", 149, 600),
            ("Queen Bed Frame", 399, 1500),
            ("Writing Desk", 149, 700),
        ),
        (
            "solid hardwood legs",
            "tool-free assembly in under 20 minutes",
            "a scratch-resistant lacquer finish",
            "FSC-certified timber",
            "rounded, child-friendly corners",
            "a 5-year structural warranty",
        ),
        (
            "Home furniture from the {collection} collection in {wood}, with {f1} and {f2}.",
            "A clean, Scandinavian-inspired design in {wood} featuring {f1} and {f2}.",
        ),
        collection=("Nordby", "Marlow", "Kinfolk", "Haven", "Alder & Co."),
        wood=("Oak", "Walnut", "Ash", "Teak"),
    ),
    _leaf(
        "home-kitchen/lighting",
        "{brand} {style} {item}",
        (
            ("Floor Lamp", 59, 350),
            ("Table Lamp", 29, 180),
            ("Pendant Light", 49, 300),
            ("Desk Lamp", 24, 150),
            ("Wall Sconce", 39, 200),
        ),
        (
            "a dimmable warm-white LED",
            "adjustable colour temperature from 2700K to 6500K",
            "a linen drum shade",
            "a brushed brass finish",
            "an in-line touch dimmer",
            "an energy-efficient LED bulb included",
        ),
        (
            "The {name} adds soft, even lighting to any room, with {f1} and {f2}.",
            "A {style}-style light with {f1} and {f2}. Easy to install and built to last.",
        ),
        brand=("Lumen & Loft", "Brightwell", "Solace", "Lampworks"),
        style=("Arc", "Globe", "Tripod", "Dome", "Linear", "Mushroom"),
    ),
    _leaf(
        "fashion/men",
        "{brand} {fit} {item}, {colour}",
        (
            ("Oxford Shirt", 29, 90),
            ("Chino Trousers", 39, 100),
            ("Crewneck Sweater", 49, 150),
            ("Quilted Jacket", 89, 250),
            ("Polo Shirt", 24, 70),
            ("Zip Hoodie", 39, 100),
        ),
        (
            "breathable organic cotton",
            "a soft brushed finish",
            "reinforced seams",
            "a tailored yet comfortable cut",
            "easy machine washing at 30 degrees",
            "responsibly sourced merino wool",
        ),
        (
            "Men's clothing made for everyday wear, with {f1} and {f2}. Available in {colour}.",
            "A {fit} wardrobe staple for men featuring {f1} and {f2}.",
        ),
        brand=("Harbor & Pine", "Northline", "Fieldcraft"),
        fit=("Slim-Fit", "Regular-Fit", "Relaxed-Fit"),
        colour=("Navy", "Charcoal", "Olive", "Stone", "Burgundy"),
    ),
    _leaf(
        "fashion/women",
        "{brand} {line} {item}, {colour}",
        (
            ("Wrap Dress", 39, 150),
            ("Linen Blouse", 29, 90),
            ("High-Rise Jeans", 49, 130),
            ("Cashmere Cardigan", 89, 250),
            ("Trench Coat", 119, 300),
            ("Pleated Midi Skirt", 34, 100),
        ),
        (
            "a flattering, easy-to-style silhouette",
            "breathable natural fibres",
            "a soft stretch for all-day comfort",
            "hidden side pockets",
            "a relaxed drape",
            "responsibly sourced fabric",
        ),
        (
            "Women's clothing from the {line} line, with {f1} and {f2}. Shown in {colour}.",
            "A versatile piece for women featuring {f1} and {f2}, ready to dress up or down.",
        ),
        brand=("Mira & May", "Solenne", "Juniper Lane"),
        line=("Classic", "Essential", "Weekend", "Atelier"),
        colour=("Ivory", "Black", "Dusty Rose", "Camel", "Emerald"),
    ),
    _leaf(
        "fashion/shoes/sneakers",
        "{brand} {model} {item}, {colour}",
        (
            ("Running Shoes", 59, 180),
            ("Canvas Sneakers", 34, 90),
            ("Leather Sneakers", 69, 180),
            ("Trail Runners", 79, 170),
            ("Slip-On Sneakers", 29, 80),
        ),
        (
            "a responsive foam midsole",
            "a breathable knit upper",
            "a grippy rubber outsole",
            "a cushioned, removable insole",
            "reflective details for evening runs",
            "a lightweight, flexible build",
        ),
        (
            "Sneakers built for all-day comfort, with {f1} and {f2}.",
            "The {brand} {model} shoe combines {f1} with {f2}. Shown in {colour}.",
        ),
        brand=("Stride", "Pacer", "Kinetic", "Lumo"),
        model=("Flow 3", "Aero", "Drift 2", "Glide", "Court"),
        colour=("White", "Black", "Grey", "Navy", "Sand"),
    ),
    _leaf(
        "fashion/shoes/boots",
        "{brand} {line} {item}, {colour}",
        (
            ("Chelsea Boots", 89, 250),
            ("Hiking Boots", 99, 270),
            ("Ankle Boots", 69, 200),
            ("Rain Boots", 39, 100),
            ("Work Boots", 109, 250),
        ),
        (
            "a waterproof membrane",
            "a Goodyear-welted sole",
            "a cushioned footbed",
            "a slip-resistant lug outsole",
            "full-grain leather uppers",
            "a warm fleece lining",
        ),
        (
            "Boots made for every season, with {f1} and {f2}. Shown in {colour}.",
            "{brand} {line} boots pair {f1} with {f2} for comfort from city streets to muddy trails.",
        ),
        brand=("Ridgeway", "Oak & Hide", "Alpenrock"),
        line=("Heritage", "Summit", "Urban", "Classic"),
        colour=("Tan", "Black", "Chestnut", "Olive", "Dark Brown"),
    ),
    _leaf(
        "books/fiction",
        "The {adj} {noun} ({item})",
        (("Paperback", 7, 19), ("Hardcover", 18, 35)),
        (
            "richly drawn characters",
            "lyrical prose",
            "a twist-filled final act",
            "a vivid sense of place",
            "sharp, witty dialogue",
            "a book-club discussion guide",
        ),
        (
            "The {adj} {noun} is a {genre} by {author}, praised for {f1} and {f2}.",
            "A {genre} from {author}: a novel with {f1} and {f2} that readers will not put down.",
        ),
        adj=("Glass", "Silent", "Paper", "Winter", "Hollow", "Crimson", "Last", "Wandering"),
        noun=("Orchard", "Lighthouse", "Cartographer", "Garden", "Tide", "Archive", "Harbour"),
        genre=("literary novel", "mystery", "historical saga", "fantasy epic", "psychological thriller"),
        author=("Elena Marsh", "Tomas Reyes", "Ada Whitlock", "Jonah Castell", "Priya Anand"),
    ),
    _leaf(
        "books/non-fiction",
        "{lead} {subject} ({item})",
        (("Paperback", 9, 22), ("Hardcover", 19, 35)),
        (
            "practical, evidence-based advice",
            "clear illustrations and diagrams",
            "engaging real-world stories",
            "end-of-chapter summaries",
            "decades of research",
            "a friendly, accessible style",
        ),
        (
            "{lead} {subject} is a non-fiction book by {author}, with {f1} and {f2}.",
            "A well-researched non-fiction read by {author}, featuring {f1} and {f2}. For curious minds.",
        ),
        lead=("The Art of", "A Short History of", "The Science of", "A Field Guide to", "Rethinking"),
        subject=(
            "Sleep",
            "Sourdough Bread",
            "Personal Finance",
            "Everyday Habits",
            "Memory",
            "Urban Gardening",
        ),
        author=("Dr. Hannah Cole", "Marcus Webb", "Lina Okafor", "Samuel Brandt"),
    ),
    _leaf(
        "books/children",
        "{hero} and the {thing} ({item})",
        (("Picture Book", 8, 20), ("Board Book", 7, 15), ("Hardcover", 12, 25)),
        (
            "bright, full-colour illustrations",
            "rhyming text that is fun to read aloud",
            "a gentle message about friendship",
            "sturdy pages for little hands",
            "a bedtime-friendly story",
            "hidden details to spot on every page",
        ),
        (
            "A children's book for ages 2 to 7 with {f1} and {f2}.",
            "Join {hero} in a story for young readers, with {f1} and {f2}.",
        ),
        hero=("Pip the Penguin", "Luna the Fox", "Milo Mouse", "Captain Pickle", "Rosie Rabbit"),
        thing=("Moon Balloon", "Missing Crayon", "Giant Pancake", "Secret Treehouse", "Rainy Day Parade"),
    ),
    _leaf(
        "sports-outdoors/fitness",
        "{brand} {line} {item}",
        (
            ("Adjustable Dumbbells", 99, 400),
            ("Yoga Mat", 19, 90),
            ("Resistance Band Set", 14, 50),
            ("Kettlebell", 29, 120),
            ("Foam Roller", 14, 50),
            ("Jump Rope", 9, 30),
            ("Pull-Up Bar", 24, 80),
        ),
        (
            "a non-slip textured grip",
            "sweat-resistant materials",
            "a compact storage footprint",
            "a free follow-along workout app",
            "durable, gym-grade construction",
            "a carry strap for easy transport",
        ),
        (
            "Home fitness gear with {f1} and {f2}, ready for strength, mobility and cardio workouts.",
            "The {name} is built for daily training, with {f1} and {f2}.",
        ),
        brand=("Ironpeak", "FlexCore", "Pulse Athletics"),
        line=("Pro", "Studio", "Home", "Elite"),
    ),
    _leaf(
        "sports-outdoors/camping",
        "{brand} {line} {item}",
        (
            ("2-Person Tent", 89, 350),
            ("4-Person Tent", 149, 500),
            ("Sleeping Bag", 49, 250),
            ("Camping Stove", 34, 150),
            ("Headlamp", 19, 70),
            ("Insulated Water Bottle", 19, 50),
            ("Hiking Backpack 65L", 99, 300),
        ),
        (
            "a lightweight, packable design",
            "weatherproof ripstop fabric",
            "a quick setup in under five minutes",
            "reflective guy lines and trims",
            "a durable carry bag",
            "a limited lifetime warranty",
        ),
        (
            "Camping and hiking gear with {f1} and {f2}, ready for weekend trips and longer treks.",
            "The {name} is trail-tested outdoor equipment with {f1} and {f2}.",
        ),
        brand=("Trailhead", "Summit Ridge", "Northfork"),
        line=("Ultralight", "Basecamp", "Explorer", "Trek"),
    ),
    _leaf(
        "sports-outdoors/cycling",
        "{brand} {line} {item}",
        (
            ("Bike Helmet", 39, 200),
            ("LED Bike Light Set", 19, 90),
            ("Cycling Jersey", 39, 120),
            ("Bike Lock", 24, 100),
            ("Floor Pump", 29, 80),
            ("Saddle Bag", 14, 50),
            ("Gravel Bike", 799, 2500),
        ),
        (
            "a lightweight aerodynamic profile",
            "high-visibility reflective details",
            "USB-C rechargeable power",
            "a quick-release mount",
            "road- and trail-ready durability",
            "a weatherproof finish",
        ),
        (
            "Cycling gear for commuting and weekend rides, with {f1} and {f2}.",
            "The {name} keeps every bike ride safer and smoother with {f1} and {f2}.",
        ),
        brand=("Velo Forge", "Spoke & Chain", "Rideline"),
        line=("Aero", "Trail", "Commuter", "Race"),
    ),
    _leaf(
        "toys-games/board-games",
        "{adj} {noun}: {item}",
        (
            ("Strategy Board Game", 24, 60),
            ("Family Card Game", 9, 25),
            ("Cooperative Board Game", 24, 55),
            ("Party Game", 14, 35),
            ("Deluxe Edition Board Game", 49, 100),
        ),
        (
            "easy-to-learn rules",
            "beautifully illustrated cards",
            "plenty of replay value",
            "chunky wooden pieces",
            "a solo variant",
            "a quick 30-minute play time",
        ),
        (
            "A tabletop game for 2 to 6 players aged 8 and up, with {f1} and {f2}.",
            "Gather the family for {adj} {noun}, a game with {f1} and {f2}.",
        ),
        adj=("Lantern", "Copper", "Starfall", "Meadow", "Thunder", "Clockwork"),
        noun=("Harbor", "Kingdoms", "Expedition", "Bazaar", "Islands"),
    ),
    _leaf(
        "toys-games/building-sets",
        "{brand} {theme} {item}",
        (
            ("Building Set", 19, 150),
            ("Starter Kit", 9, 40),
            ("Deluxe Building Set", 79, 200),
            ("Magnetic Tiles Set", 29, 100),
        ),
        (
            "bricks that work with major brands",
            "step-by-step illustrated instructions",
            "buildable figures and accessories",
            "a sturdy storage box",
            "pieces that rebuild into three models",
            "non-toxic, BPA-free plastic",
        ),
        (
            "A construction toy for builders aged 6 and up: the {theme} set includes {f1} and {f2}.",
            "The {name} sparks creative play with {f1} and {f2}.",
        ),
        brand=("BrickWorks", "Buildy", "Constructa"),
        theme=("Space Station", "Fire Station", "Pirate Ship", "Castle", "Race Car", "Dinosaur Park"),
    ),
    _leaf(
        "toys-games/puzzles",
        "{brand} {scene} {item}",
        (
            ("1000-Piece Jigsaw Puzzle", 14, 35),
            ("500-Piece Jigsaw Puzzle", 12, 25),
            ("1500-Piece Jigsaw Puzzle", 19, 40),
            ("3D Wooden Puzzle", 19, 60),
            ("Floor Puzzle for Kids", 12, 30),
        ),
        (
            "precision-cut pieces that fit snugly",
            "glare-free linen-finish artwork",
            "a reference poster",
            "pieces made from recycled board",
            "a resealable storage bag",
            "vivid, detailed illustrations",
        ),
        (
            "A relaxing puzzle showing the {scene}, with {f1} and {f2}.",
            "The {name} is a perfect rainy-day jigsaw challenge, with {f1} and {f2}.",
        ),
        brand=("Piecewise", "Ravenwood Puzzles", "Mosaic & Co."),
        scene=("Alpine Village", "Coral Reef", "Night Market", "Autumn Forest", "Vintage Library"),
    ),
    _leaf(
        "beauty/skincare",
        "{brand} {ingredient} {item}",
        (
            ("Serum 30 ml", 14, 70),
            ("Moisturiser 50 ml", 12, 60),
            ("Gel Cleanser 150 ml", 9, 30),
            ("Eye Cream 15 ml", 14, 50),
            ("Sheet Mask 5-Pack", 9, 25),
            ("Night Cream 50 ml", 16, 65),
        ),
        (
            "a fragrance-free formula",
            "dermatologist-tested ingredients",
            "gentle care for sensitive skin",
            "vegan, cruelty-free ingredients",
            "a lightweight, fast-absorbing texture",
            "recyclable packaging",
        ),
        (
            "A {ingredient} skincare essential with {f1} and {f2}. Use morning and night on clean skin.",
            "The {name} brings {f1} and {f2} to your daily skincare routine.",
        ),
        brand=("Dewpoint", "Verdana Botanics", "Clair"),
        ingredient=("Hyaluronic", "Vitamin C", "Niacinamide", "Retinol", "Ceramide", "Green Tea"),
    ),
    _leaf(
        "beauty/makeup",
        "{brand} {line} {item}",
        (
            ("Matte Lipstick", 9, 30),
            ("Liquid Foundation", 14, 45),
            ("Volumising Mascara", 9, 30),
            ("Eyeshadow Palette", 19, 60),
            ("Cream Blush", 12, 32),
            ("Setting Spray", 12, 35),
        ),
        (
            "long-wearing, smudge-proof colour",
            "a buildable, natural finish",
            "skin-loving vitamin E",
            "a vegan, cruelty-free formula",
            "a travel-friendly size",
            "shades for every skin tone",
        ),
        (
            "Makeup that lasts from morning to night, with {f1} and {f2}.",
            "The {name} offers {f1} and {f2} for an effortless everyday look.",
        ),
        brand=("Velvet Muse", "Lumi", "Petal & Pout"),
        line=("Everyday", "Studio Pro", "Glow", "Longwear"),
    ),
    _leaf(
        "beauty/hair-care",
        "{brand} {ingredient} {item}",
        (
            ("Shampoo 400 ml", 8, 25),
            ("Conditioner 400 ml", 8, 25),
            ("Hair Mask 200 ml", 12, 35),
            ("Leave-In Spray 150 ml", 10, 27),
            ("Hair Oil 50 ml", 12, 33),
        ),
        (
            "a sulfate-free formula",
            "colour-safe cleansing",
            "lasting frizz control",
            "a silicone-free blend",
            "salon-grade nourishment",
            "a fresh, light scent",
        ),
        (
            "Hair care with {ingredient} for soft, healthy-looking hair, with {f1} and {f2}.",
            "The {name} brings {f1} and {f2} to your wash-day routine.",
        ),
        brand=("Silk & Stone", "Tressa", "Rootful"),
        ingredient=("Argan Oil", "Coconut", "Tea Tree", "Keratin", "Rosemary"),
    ),
    _leaf(
        "grocery/coffee",
        "{brand} {origin} {item}",
        (
            ("Whole Bean Coffee 1 lb", 12, 25),
            ("Ground Coffee 12 oz", 9, 20),
            ("Espresso Capsules 30-Pack", 12, 25),
            ("Cold Brew Concentrate 32 oz", 9, 17),
            ("Instant Coffee Sticks 24-Pack", 7, 15),
        ),
        (
            "notes of dark chocolate and cherry",
            "a smooth, low-acid finish",
            "ethically sourced, Fair Trade beans",
            "small-batch roasting",
            "a resealable freshness bag",
            "certified organic beans",
        ),
        (
            "{origin} coffee with {f1} and {f2}. Great for drip, pour-over or French press.",
            "The {name} is a coffee lover's pantry staple, with {f1} and {f2}.",
        ),
        brand=("Ember Roasters", "Highland Bean", "Morning Ritual"),
        origin=("Colombian", "Ethiopian", "Sumatran", "Guatemalan", "Brazilian"),
    ),
    _leaf(
        "grocery/snacks",
        "{brand} {flavour} {item}",
        (
            ("Kettle Chips 6-Pack", 8, 17),
            ("Trail Mix 1 lb", 7, 15),
            ("Protein Bars 12-Pack", 18, 33),
            ("Roasted Almonds 16 oz", 9, 19),
            ("Popcorn 8-Pack", 6, 13),
        ),
        (
            "no artificial colours or flavours",
            "gluten-free ingredients",
            "individually wrapped portions",
            "a satisfying crunch",
            "non-GMO ingredients",
            "a resealable pouch",
        ),
        (
            "A {flavour} snack with {f1} and {f2}, perfect for lunch boxes and road trips.",
            "The {name} is a better-for-you snack with {f1} and {f2}.",
        ),
        brand=("Crunch Theory", "Harvest Lane", "Nibble & Co."),
        flavour=("Sea Salt", "Smoked Paprika", "Honey Mustard", "Dark Chocolate", "Chili Lime", "Maple"),
    ),
    _leaf(
        "grocery/pantry",
        "{brand} {line} {item}",
        (
            ("Extra Virgin Olive Oil 1 L", 12, 35),
            ("Durum Wheat Pasta 4-Pack", 8, 17),
            ("Basmati Rice 5 lb", 9, 20),
            ("Raw Honey 16 oz", 9, 25),
            ("Marinara Sauce 3-Pack", 9, 19),
            ("Pure Maple Syrup 12 oz", 12, 30),
        ),
        (
            "simple, recognisable ingredients",
            "no added sugar",
            "a long shelf life",
            "sustainably farmed produce",
            "a family recipe from 1952",
            "recyclable packaging",
        ),
        (
            "A pantry staple with {f1} and {f2}.",
            "The {name} is a kitchen cupboard favourite, with {f1} and {f2}.",
        ),
        brand=("Olivewood Farms", "Golden Mill", "Pantry & Field"),
        line=("Organic", "Classic", "Family Reserve"),
    ),
)


def _price_minor(rng: random.Random, lo: int, hi: int) -> int:
    """A realistic price between `lo` and `hi` dollars: ends in .99, and in 9.99 from $50 up."""
    dollars = rng.randrange(lo, hi)
    if dollars >= 50:
        dollars = min(dollars - dollars % 10 + 9, hi - 1)
    return dollars * 100 + 99


def _leaf_products(leaf: _Leaf, rng: random.Random, taken: set[str]) -> list[tuple[str, str, int]]:
    """Pick `_PER_LEAF` distinct (name, description, price) triples for one leaf category."""
    names = [name for name, _ in leaf.parts]
    combos = list(itertools.product(leaf.items, itertools.product(*(values for _, values in leaf.parts))))
    rng.shuffle(combos)
    picked: list[tuple[str, str, int]] = []
    for (item, lo, hi), values in combos:
        fields = dict(zip(names, values, strict=True), item=item)
        name = leaf.pattern.format(**fields)
        if name in taken:
            continue
        taken.add(name)
        f1, f2 = rng.sample(leaf.features, 2)
        description = rng.choice(leaf.blurbs).format(**fields, name=name, f1=f1, f2=f2)
        picked.append((name, description, _price_minor(rng, lo, hi)))
        if len(picked) == _PER_LEAF:
            break
    return picked


@functools.cache
def products() -> tuple[DemoProduct, ...]:
    """The demo products: identical on every call and every run, spread round-robin across SELLERS."""
    rng = random.Random(_SEED)  # noqa: S311 - deterministic demo data, not security related
    taken: set[str] = set()
    out: list[DemoProduct] = []
    for leaf in _LEAVES:
        for name, description, price in _leaf_products(leaf, rng, taken):
            index = len(out)
            out.append(
                DemoProduct(
                    key=f"p-{index + 1:04d}",
                    seller_key=SELLERS[index % len(SELLERS)].key,
                    category_key=leaf.category_key,
                    name=name,
                    description=description,
                    price_minor=price,
                    currency=CURRENCY,
                )
            )
    return tuple(out)
