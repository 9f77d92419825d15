"""Specification of the catalogue's aggregates: slugs, the category tree and products."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from commerce.catalog.model import (
    MAX_CATEGORY_DEPTH,
    Category,
    CategoryTree,
    Product,
    ProductImage,
    ProductStatus,
    slugify,
)
from commerce.errors import Conflict, Forbidden, InvalidInput, NotFound
from commerce.identity import Principal, Role
from commerce.money import Money

T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def category(category_id: str, name: str, parent_id: str | None = None) -> Category:
    return Category(category_id, name, slugify(name), parent_id, created_at=T0, updated_at=T0)


def product(**overrides: object) -> Product:
    values: dict[str, object] = {
        "product_id": "p-1",
        "seller_id": "seller-1",
        "name": "Studio headphones",
        "description": "Closed-back.",
        "price": Money(12900, "EUR"),
        "category_id": "headphones",
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Product(**values)  # type: ignore[arg-type]


@pytest.fixture
def tree() -> CategoryTree:
    """Electronics > Audio > Headphones > In-ear, plus siblings and a second root.

    Listed children-first and out of name order on purpose.
    """
    return CategoryTree(
        [
            category("in-ear", "In-ear", "headphones"),
            category("headphones", "Headphones", "audio"),
            category("speakers", "Speakers", "audio"),
            category("audio", "Audio", "electronics"),
            category("cameras", "Cameras", "electronics"),
            category("accessories", "accessories", "electronics"),
            category("kitchen", "Home & Kitchen"),
            category("electronics", "Electronics"),
        ]
    )


# ------------------------------------------------------------------------------------------------ slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Home & Kitchen", "home-kitchen"),
        ("Electronics", "electronics"),
        ("  Café  Crème  ", "cafe-creme"),
        ("4K TVs / Projectors", "4k-tvs-projectors"),
        ("Ünïcödé Ströke", "unicode-stroke"),
        ("Hi\u00a0Fi", "hi-fi"),  # a no-break space is a space
        ("--Already-Slugged--", "already-slugged"),
        ("日本", ""),
        ("!!!", ""),
    ],
)
def test_slugify_makes_lower_case_ascii_hyphenated_slugs(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Rock\u2014Pop", "rock-pop"), ("Sci\u2013Fi", "sci-fi"), ("Audio\u00b7Video", "audio-video")],
)
def test_slugify_keeps_words_apart_when_separated_by_non_ascii_punctuation(text: str, slug: str) -> None:
    assert slugify(text) == slug


# ------------------------------------------------------------------------------------------------ category tree


def ids(categories: list[Category]) -> list[str]:
    return [c.category_id for c in categories]


def test_ancestors_run_from_the_root_to_the_category_itself(tree: CategoryTree) -> None:
    assert ids(tree.ancestors("in-ear")) == ["electronics", "audio", "headphones", "in-ear"]
    assert ids(tree.ancestors("electronics")) == ["electronics"]


def test_depth_counts_the_category_and_its_ancestors(tree: CategoryTree) -> None:
    assert tree.depth("electronics") == 1
    assert tree.depth("audio") == 2
    assert tree.depth("in-ear") == 4


def test_descendants_include_the_category_and_list_parents_before_children(tree: CategoryTree) -> None:
    below = ids(tree.descendants("electronics"))

    assert set(below) == {
        "electronics",
        "accessories",
        "audio",
        "cameras",
        "headphones",
        "speakers",
        "in-ear",
    }
    assert below[0] == "electronics"
    for child, parent in [("audio", "electronics"), ("headphones", "audio"), ("in-ear", "headphones")]:
        assert below.index(parent) < below.index(child)


def test_descendants_of_a_leaf_is_just_the_leaf(tree: CategoryTree) -> None:
    assert ids(tree.descendants("in-ear")) == ["in-ear"]


def test_children_are_sorted_by_name_ignoring_case(tree: CategoryTree) -> None:
    assert ids(tree.children("electronics")) == ["accessories", "audio", "cameras"]
    assert ids(tree.children("audio")) == ["headphones", "speakers"]


def test_roots_are_sorted_by_name_and_carry_their_subtrees(tree: CategoryTree) -> None:
    roots = tree.roots()

    assert [node.category.category_id for node in roots] == ["electronics", "kitchen"]
    electronics = roots[0]
    assert [n.category.category_id for n in electronics.children] == ["accessories", "audio", "cameras"]
    audio = electronics.children[1]
    assert [n.category.category_id for n in audio.children] == ["headphones", "speakers"]
    assert [n.category.category_id for n in audio.children[0].children] == ["in-ear"]
    assert roots[1].children == []


def test_an_unknown_category_is_not_found(tree: CategoryTree) -> None:
    assert "nope" not in tree
    assert "audio" in tree
    with pytest.raises(NotFound) as raised:
        tree.get("nope")
    assert raised.value.code == "category_not_found"


def test_a_new_root_can_always_be_attached(tree: CategoryTree) -> None:
    tree.ensure_can_attach(None)


def test_a_child_can_be_attached_down_to_the_maximum_depth(tree: CategoryTree) -> None:
    # "headphones" is at depth 3, so a child of it lands at MAX_CATEGORY_DEPTH.
    assert tree.depth("headphones") + 1 == MAX_CATEGORY_DEPTH
    tree.ensure_can_attach("headphones")


def test_attaching_below_an_unknown_parent_is_invalid(tree: CategoryTree) -> None:
    with pytest.raises(InvalidInput) as raised:
        tree.ensure_can_attach("nope")

    assert raised.value.code == "unknown_category"


def test_attaching_deeper_than_the_maximum_is_invalid(tree: CategoryTree) -> None:
    # GIVEN "in-ear" already sits at the deepest level
    assert tree.depth("in-ear") == MAX_CATEGORY_DEPTH

    # WHEN a child would go below it THEN it is refused
    with pytest.raises(InvalidInput) as raised:
        tree.ensure_can_attach("in-ear")

    assert raised.value.code == "category_too_deep"


def test_a_category_with_sub_categories_is_not_leaf_free(tree: CategoryTree) -> None:
    with pytest.raises(Conflict) as raised:
        tree.ensure_leaf_free("audio")

    assert raised.value.code == "category_not_empty"


def test_a_leaf_category_is_leaf_free(tree: CategoryTree) -> None:
    tree.ensure_leaf_free("in-ear")
    tree.ensure_leaf_free("kitchen")


# ------------------------------------------------------------------------------------------------ product


OWNER = Principal("seller-1", frozenset({Role.SELLER}))
OTHER_SELLER = Principal("seller-2", frozenset({Role.SELLER}))
CUSTOMER = Principal("seller-1", frozenset({Role.CUSTOMER}))  # same id, wrong role
ADMIN = Principal("admin-1", frozenset({Role.ADMIN}))


@pytest.mark.parametrize("who", [OWNER, ADMIN], ids=["owner", "admin"])
def test_the_owning_seller_and_admins_manage_a_product(who: Principal) -> None:
    product().ensure_managed_by(who)


def test_another_seller_may_not_manage_a_product() -> None:
    with pytest.raises(Forbidden) as raised:
        product().ensure_managed_by(OTHER_SELLER)

    assert raised.value.code == "not_product_owner"


def test_a_customer_may_not_manage_a_product_even_with_the_sellers_id() -> None:
    with pytest.raises(Forbidden) as raised:
        product().ensure_managed_by(CUSTOMER)

    assert raised.value.code == "role_required"


def test_with_changes_applies_the_patch_and_bumps_the_version() -> None:
    original = product(version=3)
    image = ProductImage("t.jpg", "m.jpg", "l.jpg", "z.jpg", alt="Front")

    changed = original.with_changes({"name": "Studio headphones II", "images": (image,)}, T1)

    assert changed.name == "Studio headphones II"
    assert changed.images == (image,)
    assert changed.version == 4
    assert changed.updated_at == T1
    assert changed.created_at == T0
    assert original.version == 3  # the original is untouched


@pytest.mark.parametrize("field", ["seller_id", "status", "version", "product_id", "rating_count"])
def test_with_changes_rejects_fields_that_are_not_editable(field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        product().with_changes({field: "x"}, T1)

    assert raised.value.code == "validation_failed"
    assert field in raised.value.detail


def test_an_archived_product_cannot_be_changed() -> None:
    archived = product().archived(T1)

    with pytest.raises(Conflict) as raised:
        archived.with_changes({"name": "New name"}, T1)

    assert raised.value.code == "product_archived"


def test_archiving_hides_the_product_and_bumps_the_version() -> None:
    archived = product(version=2).archived(T1)

    assert archived.status is ProductStatus.ARCHIVED
    assert not archived.is_active
    assert archived.version == 3
    assert archived.updated_at == T1
    with pytest.raises(NotFound) as raised:
        archived.ensure_visible()
    assert raised.value.code == "product_not_found"
    product().ensure_visible()


@pytest.mark.parametrize(
    ("count", "total", "average"),
    [(0, 0, None), (1, 5, 5.0), (3, 13, 4.33), (3, 14, 4.67), (2, 7, 3.5)],
)
def test_rating_average_is_rounded_to_two_places_and_none_without_ratings(
    count: int, total: int, average: float | None
) -> None:
    assert replace(product(), rating_count=count, rating_total=total).rating_average == average
