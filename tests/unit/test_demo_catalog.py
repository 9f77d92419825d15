"""Specification of the demo catalogue that `make run` seeds into the local stack."""

from collections import Counter

from localcloud.demo_catalog import CATEGORIES, SELLERS, DemoProduct, products

MAIN_SELLER_EMAIL = "seller@example.com"


def _leaf_keys() -> set[str]:
    parents = {c.parent_key for c in CATEGORIES if c.parent_key is not None}
    return {c.key for c in CATEGORIES} - parents


def test_products_are_identical_on_every_call() -> None:
    first = products()
    assert first == products()
    # Also when generated afresh, bypassing the cache.
    assert first == products.__wrapped__()


def test_products_are_plentiful() -> None:
    assert len(products()) >= 240


def test_product_keys_and_names_are_unique() -> None:
    items = products()
    assert len({p.key for p in items}) == len(items)
    assert len({p.name for p in items}) == len(items)


def test_category_tree_lists_parents_first_and_has_six_to_eight_roots() -> None:
    seen: set[str] = set()
    for category in CATEGORIES:
        assert category.parent_key is None or category.parent_key in seen
        assert category.key not in seen
        seen.add(category.key)
    assert 6 <= sum(c.parent_key is None for c in CATEGORIES) <= 8


def test_every_product_sits_in_an_existing_leaf_category() -> None:
    leaves = _leaf_keys()
    assert all(p.category_key in leaves for p in products())


def test_every_leaf_category_has_at_least_eight_products() -> None:
    per_leaf = Counter(p.category_key for p in products())
    assert {leaf: per_leaf[leaf] for leaf in _leaf_keys() if per_leaf[leaf] < 8} == {}


def test_every_product_belongs_to_a_known_seller_and_every_seller_has_products() -> None:
    seller_keys = {s.key for s in SELLERS}
    per_seller = Counter(p.seller_key for p in products())
    assert set(per_seller) == seller_keys


def test_main_demo_seller_comes_first_and_has_at_least_forty_products() -> None:
    main = SELLERS[0]
    assert (main.key, main.email, main.name) == ("seller", MAIN_SELLER_EMAIL, "Demo Seller")
    assert sum(p.seller_key == main.key for p in products()) >= 40


def test_prices_are_positive_integer_minor_units_in_usd() -> None:
    for product in products():
        assert type(product.price_minor) is int
        assert product.price_minor > 0
        assert product.currency == "USD"


def test_names_and_descriptions_fit_their_limits() -> None:
    def fits(p: DemoProduct) -> bool:
        return 0 < len(p.name) <= 120 and 0 < len(p.description) <= 600

    assert all(fits(p) for p in products())
