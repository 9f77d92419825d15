"""Specification of the catalogue use cases, run against in-memory fakes and a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from commerce.catalog.model import MAX_CATEGORY_DEPTH, Category, Product, ProductStatus
from commerce.catalog.service import CatalogService, NewProduct
from commerce.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from commerce.identity import Principal, Role
from commerce.money import Money
from unit.fakes import (
    FakeCategoryRepository,
    FakeMonotonic,
    FakeProductRepository,
    FixedClock,
    principal,
)

SELLER = principal("seller-1", Role.SELLER)
OTHER_SELLER = principal("seller-2", Role.SELLER)
CUSTOMER = principal("customer-1", Role.CUSTOMER)
ADMIN = principal("admin-1", Role.ADMIN)
TTL = 60.0


@dataclass
class World:
    service: CatalogService
    products: FakeProductRepository
    categories: FakeCategoryRepository
    clock: FixedClock
    monotonic: FakeMonotonic

    def another_container(self) -> CatalogService:
        """A second warm function sharing the same tables but with its own cache."""
        return CatalogService(self.products, self.categories, self.clock, TTL, FakeMonotonic())


@pytest.fixture
def world() -> World:
    products, categories = FakeProductRepository(), FakeCategoryRepository()
    clock, monotonic = FixedClock(), FakeMonotonic()
    service = CatalogService(
        products=products,
        categories=categories,
        clock=clock,
        tree_ttl_seconds=TTL,
        monotonic=monotonic,
    )
    return World(service, products, categories, clock, monotonic)


@pytest.fixture
def audio(world: World) -> dict[str, Category]:
    """Electronics > Audio > {Headphones, Speakers}, and Kitchen, made by an admin."""
    create = world.service.create_category
    electronics = create(ADMIN, "Electronics", None, None)
    audio = create(ADMIN, "Audio", electronics.category_id, None)
    return {
        "electronics": electronics,
        "audio": audio,
        "headphones": create(ADMIN, "Headphones", audio.category_id, None),
        "speakers": create(ADMIN, "Speakers", audio.category_id, None),
        "kitchen": create(ADMIN, "Kitchen", None, None),
    }


def draft(category_id: str, name: str = "Studio headphones", seller_id: str | None = None) -> NewProduct:
    return NewProduct(
        name=name,
        description="Closed-back.",
        price=Money(12900, "EUR"),
        category_id=category_id,
        seller_id=seller_id,
    )


# ------------------------------------------------------------------------------------------------ products


def test_a_seller_creates_a_product_under_their_own_id(world: World, audio: dict[str, Category]) -> None:
    product = world.service.create_product(SELLER, draft(audio["headphones"].category_id))

    assert product.seller_id == SELLER.user_id
    assert product.version == 1
    assert product.status is ProductStatus.ACTIVE
    assert product.created_at == product.updated_at == world.clock.now
    assert world.products.get(product.product_id) == product


def test_a_customer_cannot_create_products(world: World, audio: dict[str, Category]) -> None:
    with pytest.raises(Forbidden) as raised:
        world.service.create_product(CUSTOMER, draft(audio["headphones"].category_id))

    assert raised.value.code == "role_required"
    assert world.products.items == {}


def test_a_seller_cannot_list_a_product_for_another_seller(world: World, audio: dict[str, Category]) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.service.create_product(
            SELLER, draft(audio["headphones"].category_id, seller_id=OTHER_SELLER.user_id)
        )

    assert raised.value.code == "seller_id_not_allowed"
    assert world.products.items == {}


def test_an_admin_can_list_a_product_for_a_seller(world: World, audio: dict[str, Category]) -> None:
    product = world.service.create_product(
        ADMIN, draft(audio["headphones"].category_id, seller_id=SELLER.user_id)
    )

    assert product.seller_id == SELLER.user_id
    # ... and the seller then manages it as their own.
    world.service.update_product(SELLER, product.product_id, {"name": "Renamed"})


def test_a_product_in_an_unknown_category_is_invalid(world: World, audio: dict[str, Category]) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.service.create_product(SELLER, draft("no-such-category"))

    assert raised.value.code == "unknown_category"
    assert [e.field for e in raised.value.errors] == ["body.category_id"]
    assert world.products.items == {}


@pytest.fixture
def headphones(world: World, audio: dict[str, Category]) -> Product:
    return world.service.create_product(SELLER, draft(audio["headphones"].category_id))


def test_the_owner_updates_a_product_and_the_version_goes_up(world: World, headphones: Product) -> None:
    world.clock.advance(minutes=5)

    updated = world.service.update_product(
        SELLER, headphones.product_id, {"price": Money(9900, "EUR")}, if_match=1
    )

    assert updated.price == Money(9900, "EUR")
    assert updated.version == 2
    assert updated.updated_at == world.clock.now != headphones.updated_at
    assert world.products.get(headphones.product_id) == updated


def test_an_update_with_a_stale_if_match_is_a_version_conflict(world: World, headphones: Product) -> None:
    # GIVEN someone else already changed the product (version 1 -> 2)
    world.service.update_product(SELLER, headphones.product_id, {"name": "First edit"})

    # WHEN an update still carries the version it read before
    with pytest.raises(PreconditionFailed) as raised:
        world.service.update_product(SELLER, headphones.product_id, {"name": "Second edit"}, if_match=1)

    # THEN it is refused and nothing is overwritten
    assert raised.value.code == "version_conflict"
    assert raised.value.extra == {"current_version": 2}
    stored = world.products.get(headphones.product_id)
    assert stored is not None
    assert stored.name == "First edit"


def test_an_update_may_not_move_a_product_to_an_unknown_category(world: World, headphones: Product) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.service.update_product(SELLER, headphones.product_id, {"category_id": "nope"})

    assert raised.value.code == "unknown_category"


def test_an_update_may_move_a_product_to_another_category(
    world: World, headphones: Product, audio: dict[str, Category]
) -> None:
    speakers = audio["speakers"].category_id

    moved = world.service.update_product(SELLER, headphones.product_id, {"category_id": speakers})

    assert moved.category_id == speakers


@pytest.mark.parametrize(
    ("who", "code"),
    [(OTHER_SELLER, "not_product_owner"), (CUSTOMER, "role_required")],
    ids=["other-seller", "customer"],
)
def test_only_the_owner_or_an_admin_changes_a_product(
    world: World, headphones: Product, who: Principal, code: str
) -> None:
    with pytest.raises(Forbidden) as raised:
        world.service.update_product(who, headphones.product_id, {"name": "Mine now"})
    assert raised.value.code == code
    with pytest.raises(Forbidden):
        world.service.archive_product(who, headphones.product_id)

    assert world.products.get(headphones.product_id) == headphones
    world.service.update_product(ADMIN, headphones.product_id, {"name": "Moderated"})


def test_updating_an_unknown_product_is_not_found(world: World, audio: dict[str, Category]) -> None:
    with pytest.raises(NotFound) as raised:
        world.service.update_product(SELLER, "nope", {"name": "x"})

    assert raised.value.code == "product_not_found"


def test_archiving_is_idempotent(world: World, headphones: Product) -> None:
    world.service.archive_product(SELLER, headphones.product_id)
    once = world.products.get(headphones.product_id)

    world.service.archive_product(SELLER, headphones.product_id)

    assert once is not None
    assert once.status is ProductStatus.ARCHIVED
    assert once.version == 2
    assert world.products.get(headphones.product_id) == once


def test_an_archived_product_is_not_found_by_readers(world: World, headphones: Product) -> None:
    assert world.service.product(headphones.product_id) == headphones

    world.service.archive_product(SELLER, headphones.product_id)

    with pytest.raises(NotFound) as raised:
        world.service.product(headphones.product_id)
    assert raised.value.code == "product_not_found"
    assert world.service.list_products(None, None, None, 20).items == []


def test_an_archived_product_cannot_be_updated(world: World, headphones: Product) -> None:
    world.service.archive_product(SELLER, headphones.product_id)

    with pytest.raises(Conflict) as raised:
        world.service.update_product(SELLER, headphones.product_id, {"name": "Back from the dead"})

    assert raised.value.code == "product_archived"


def test_an_unknown_product_is_not_found(world: World) -> None:
    with pytest.raises(NotFound) as raised:
        world.service.product("nope")

    assert raised.value.code == "product_not_found"


# ------------------------------------------------------------------------------------------------ listings


def names(products: list[Product]) -> set[str]:
    return {p.name for p in products}


def test_listing_a_parent_category_includes_its_descendants_products(
    world: World, audio: dict[str, Category]
) -> None:
    # GIVEN products in two sub-categories of Audio and one in Kitchen
    create = world.service.create_product
    create(SELLER, draft(audio["headphones"].category_id, "Headphones A"))
    create(OTHER_SELLER, draft(audio["speakers"].category_id, "Speaker B"))
    create(SELLER, draft(audio["kitchen"].category_id, "Kettle C"))

    # WHEN listing Electronics (the grandparent) and Audio (the parent)
    electronics = world.service.list_products(audio["electronics"].category_id, None, None, 20)
    audio_page = world.service.list_products(audio["audio"].category_id, None, None, 20)

    # THEN both include every product below them, and nothing else
    assert names(electronics.items) == {"Headphones A", "Speaker B"}
    assert names(audio_page.items) == {"Headphones A", "Speaker B"}
    assert names(world.service.list_products(audio["speakers"].category_id, None, None, 20).items) == {
        "Speaker B"
    }
    assert len(world.service.list_products(None, None, None, 20).items) == 3


def test_listing_by_category_and_seller_combines_both_filters(
    world: World, audio: dict[str, Category]
) -> None:
    create = world.service.create_product
    create(SELLER, draft(audio["headphones"].category_id, "Mine in audio"))
    create(OTHER_SELLER, draft(audio["speakers"].category_id, "Theirs in audio"))
    create(SELLER, draft(audio["kitchen"].category_id, "Mine in kitchen"))

    page = world.service.list_products(audio["audio"].category_id, SELLER.user_id, None, 20)

    assert names(page.items) == {"Mine in audio"}


def test_listing_an_unknown_category_is_not_found(world: World, audio: dict[str, Category]) -> None:
    with pytest.raises(NotFound) as raised:
        world.service.list_products("nope", None, None, 20)

    assert raised.value.code == "category_not_found"


def test_listings_page_through_every_product_once_with_the_cursor(
    world: World, audio: dict[str, Category]
) -> None:
    made = {
        world.service.create_product(SELLER, draft(audio["headphones"].category_id, f"P{i}")).product_id
        for i in range(5)
    }

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = world.service.list_products(audio["audio"].category_id, None, cursor, 2)
        seen.extend(p.product_id for p in page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break

    assert pages == 3
    assert sorted(seen, reverse=True) == seen  # newest first
    assert set(seen) == made
    assert len(seen) == len(made)


def test_a_forged_cursor_is_invalid(world: World, audio: dict[str, Category]) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.service.list_products(None, None, "not-a-cursor", 20)

    assert raised.value.code == "invalid_cursor"


# ------------------------------------------------------------------------------------------------ categories


@pytest.mark.parametrize("who", [SELLER, CUSTOMER], ids=["seller", "customer"])
def test_only_admins_create_categories(world: World, who: Principal) -> None:
    with pytest.raises(Forbidden) as raised:
        world.service.create_category(who, "Books", None, None)

    assert raised.value.code == "role_required"
    assert world.categories.items == {}


def test_the_slug_is_derived_from_the_name(world: World) -> None:
    home = world.service.create_category(ADMIN, "Home & Kitchen", None, None)

    assert home.slug == "home-kitchen"
    assert home.parent_id is None
    assert home.created_at == world.clock.now
    assert world.categories.get(home.category_id) == home


def test_an_explicit_slug_is_kept(world: World) -> None:
    assert world.service.create_category(ADMIN, "Home & Kitchen", None, "home").slug == "home"


def test_a_name_without_letters_or_digits_needs_a_slug(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.service.create_category(ADMIN, "!!!", None, None)

    assert raised.value.code == "invalid_slug"


def test_a_taken_slug_is_a_conflict(world: World) -> None:
    world.service.create_category(ADMIN, "Books", None, None)

    with pytest.raises(Conflict) as raised:
        world.service.create_category(ADMIN, "BOOKS!", None, None)

    assert raised.value.code == "slug_taken"


def test_a_category_under_an_unknown_parent_is_invalid(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.service.create_category(ADMIN, "Orphan", "nope", None)

    assert raised.value.code == "unknown_category"


def test_categories_nest_at_most_max_depth_levels(world: World) -> None:
    parent: str | None = None
    for level in range(MAX_CATEGORY_DEPTH):
        parent = world.service.create_category(ADMIN, f"Level {level + 1}", parent, None).category_id

    with pytest.raises(InvalidInput) as raised:
        world.service.create_category(ADMIN, "Too deep", parent, None)

    assert raised.value.code == "category_too_deep"


def test_the_tree_is_refreshed_after_a_write_by_the_same_service(world: World) -> None:
    # GIVEN a warm cache
    books = world.service.create_category(ADMIN, "Books", None, None)
    assert books.category_id in world.service.category_tree()

    # WHEN this service writes, with no time passing
    fiction = world.service.create_category(ADMIN, "Fiction", books.category_id, None)
    tree = world.service.category_tree()

    # THEN its next read sees the write
    assert fiction.category_id in tree
    world.service.rename_category(ADMIN, fiction.category_id, "Novels")
    assert world.service.category(fiction.category_id)[0].name == "Novels"
    world.service.delete_category(ADMIN, fiction.category_id)
    assert fiction.category_id not in world.service.category_tree()


def test_the_cached_tree_expires_after_the_ttl(world: World) -> None:
    # GIVEN this container has read the tree
    world.service.create_category(ADMIN, "Books", None, None)
    world.service.category_tree()

    # WHEN another container adds a category
    music = world.another_container().create_category(ADMIN, "Music", None, None)

    # THEN this container serves its cached copy until the TTL has passed, then re-reads
    assert music.category_id not in world.service.category_tree()
    world.monotonic.advance(TTL)
    assert music.category_id not in world.service.category_tree()
    world.monotonic.advance(0.001)
    assert music.category_id in world.service.category_tree()


def test_writes_decide_on_the_stored_tree_not_the_cached_copy(world: World) -> None:
    # GIVEN this container cached the tree before another one added "Music"
    world.service.category_tree()
    music = world.another_container().create_category(ADMIN, "Music", None, None)

    # WHEN this container attaches a child to "Music" straight away
    vinyl = world.service.create_category(ADMIN, "Vinyl", music.category_id, None)

    # THEN the stale cache did not make it refuse
    assert vinyl.parent_id == music.category_id


def test_renaming_a_category_keeps_its_slug_and_bumps_the_version(world: World) -> None:
    books = world.service.create_category(ADMIN, "Books", None, None)
    world.clock.advance(hours=1)

    renamed = world.service.rename_category(ADMIN, books.category_id, "Books & Comics")

    assert (renamed.name, renamed.slug, renamed.version) == ("Books & Comics", "books", 2)
    assert renamed.updated_at == world.clock.now != books.updated_at
    assert world.categories.get(books.category_id) == renamed
    with pytest.raises(Forbidden):
        world.service.rename_category(SELLER, books.category_id, "Mine")


def test_a_category_with_sub_categories_cannot_be_deleted(world: World, audio: dict[str, Category]) -> None:
    with pytest.raises(Conflict) as raised:
        world.service.delete_category(ADMIN, audio["audio"].category_id)

    assert raised.value.code == "category_not_empty"
    assert audio["audio"].category_id in world.categories.items


def test_a_category_with_active_products_cannot_be_deleted(world: World, headphones: Product) -> None:
    with pytest.raises(Conflict) as raised:
        world.service.delete_category(ADMIN, headphones.category_id)

    assert raised.value.code == "category_not_empty"
    assert headphones.category_id in world.categories.items


def test_a_category_whose_products_are_all_archived_can_be_deleted(world: World, headphones: Product) -> None:
    world.service.archive_product(SELLER, headphones.product_id)

    world.service.delete_category(ADMIN, headphones.category_id)

    assert headphones.category_id not in world.categories.items


def test_only_admins_delete_categories_and_unknown_ones_are_not_found(
    world: World, audio: dict[str, Category]
) -> None:
    with pytest.raises(Forbidden):
        world.service.delete_category(SELLER, audio["kitchen"].category_id)
    with pytest.raises(NotFound) as raised:
        world.service.delete_category(ADMIN, "nope")
    assert raised.value.code == "category_not_found"

    world.service.delete_category(ADMIN, audio["kitchen"].category_id)
    assert audio["kitchen"].category_id not in world.categories.items
