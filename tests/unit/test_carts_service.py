"""Specification of the cart use cases, run against in-memory fakes and a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from commerce.carts.model import CART_TTL, Cart, LineWarning, SkipReason
from commerce.carts.service import CartService
from commerce.catalog.model import Product, ProductStatus
from commerce.errors import Conflict, Forbidden, InvalidInput, NotFound
from commerce.identity import Role
from commerce.inventory.model import InsufficientStock
from commerce.money import Money
from unit.cart_fakes import FakeCartRepository, FakeStock
from unit.fakes import FakeProductRepository, FixedClock, principal

CUSTOMER = principal("customer-1", Role.CUSTOMER)
OTHER_CUSTOMER = principal("customer-2", Role.CUSTOMER)
SELLER = principal("seller-1", Role.SELLER)
ADMIN = principal("admin-1", Role.ADMIN)
EARBUDS, KETTLE, BOOK, EURO_LAMP = (
    "01EARBUDS0000000000000000A",
    "01KETTLE00000000000000000A",
    "01BOOK0000000000000000000A",
    "01LAMP0000000000000000000A",
)


@dataclass
class World:
    service: CartService
    carts: FakeCartRepository
    products: FakeProductRepository
    stock: FakeStock
    clock: FixedClock
    pauses: list[int]

    def list(self, product_id: str, amount: int, currency: str = "USD", stock: int = 10) -> Product:
        now = self.clock()
        product = Product(
            product_id, "seller-1", f"Product {product_id}", "", Money(amount, currency), "c-1", now, now
        )
        self.products.add(product)
        self.stock.available[product_id] = stock
        return product

    def reprice(self, product_id: str, amount: int) -> None:
        stored = self.products.items[product_id]
        self.products.items[product_id] = replace(stored, price=Money(amount, stored.price.currency))


@pytest.fixture
def world() -> World:
    carts, products, stock, clock = FakeCartRepository(), FakeProductRepository(), FakeStock(), FixedClock()
    pauses: list[int] = []
    service = CartService(carts=carts, products=products, stock=stock, clock=clock, pause=pauses.append)
    world = World(service, carts, products, stock, clock, pauses)
    world.list(EARBUDS, 7999)
    world.list(KETTLE, 2500, stock=3)
    world.list(BOOK, 1200)
    world.list(EURO_LAMP, 4000, currency="EUR")
    return world


# ---------------------------------------------------------------------- a customer's cart
def test_a_new_customer_has_an_empty_cart_without_storing_anything(world: World) -> None:
    view = world.service.view(CUSTOMER)

    assert (view.cart_id, view.lines, view.total, view.expires_at, view.item_count) == (
        "customer-1",
        (),
        None,
        None,
        0,
    )
    assert world.carts.items == {}
    assert world.stock.calls == [], "no stock to read for an empty cart"


def test_a_customer_adds_changes_and_removes_lines(world: World) -> None:
    view = world.service.set_line(CUSTOMER, EARBUDS, 2)
    assert view.total == Money(15998, "USD")
    assert view.expires_at == world.clock.now + CART_TTL

    world.service.set_line(CUSTOMER, BOOK, 1)
    world.clock.advance(minutes=10)
    view = world.service.set_line(CUSTOMER, EARBUDS, 1)
    assert [(line.product_id, line.quantity) for line in view.lines] == [(EARBUDS, 1), (BOOK, 1)]
    assert view.total == Money(9199, "USD")
    assert view.expires_at == world.clock.now + CART_TTL, "each change renews the cart"

    view = world.service.remove_line(CUSTOMER, EARBUDS)
    assert [line.product_id for line in view.lines] == [BOOK]
    assert world.service.view(CUSTOMER) == view


def test_only_customers_and_admins_have_carts(world: World) -> None:
    with pytest.raises(Forbidden) as raised:
        world.service.view(SELLER)
    assert raised.value.code == "role_required"
    with pytest.raises(Forbidden):
        world.service.set_line(SELLER, EARBUDS, 1)

    assert world.service.set_line(ADMIN, EARBUDS, 1).cart_id == "admin-1"


def test_carts_are_private_to_their_customer(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)

    assert world.service.view(OTHER_CUSTOMER).lines == ()


def test_a_line_needs_stock_for_the_whole_quantity(world: World) -> None:
    with pytest.raises(InsufficientStock) as raised:
        world.service.set_line(CUSTOMER, KETTLE, 4)

    assert raised.value.code == "insufficient_stock"
    assert raised.value.extra["available"] == 3
    assert world.carts.items == {}
    assert world.service.set_line(CUSTOMER, KETTLE, 3).item_count == 3


def test_a_product_that_is_unknown_or_archived_cannot_be_added(world: World) -> None:
    archived = world.products.items[BOOK]
    world.products.items[BOOK] = replace(archived, status=ProductStatus.ARCHIVED)

    for product_id in ("01UNKNOWN000000000000000AA", BOOK):
        with pytest.raises(NotFound) as raised:
            world.service.set_line(CUSTOMER, product_id, 1)
        assert raised.value.code == "product_not_found"


@pytest.mark.parametrize("quantity", [0, 100, -3])
def test_quantities_outside_1_to_99_are_refused_before_any_read(world: World, quantity: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.service.set_line(CUSTOMER, EARBUDS, quantity)

    assert raised.value.code == "invalid_quantity"
    assert world.stock.calls == []


def test_a_product_in_another_currency_is_a_conflict(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)

    with pytest.raises(Conflict) as raised:
        world.service.set_line(CUSTOMER, EURO_LAMP, 1)

    assert raised.value.code == "currency_mismatch"


def test_removing_and_emptying_are_idempotent(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)
    writes = world.carts.writes

    world.service.remove_line(CUSTOMER, BOOK)
    assert world.carts.writes == writes, "nothing to remove, nothing written"

    world.service.empty(CUSTOMER)
    world.service.empty(CUSTOMER)
    assert world.service.view(CUSTOMER).lines == ()
    assert world.carts.writes == writes + 1


def test_the_view_reads_stock_once_for_all_lines(world: World) -> None:
    for product_id in (EARBUDS, KETTLE, BOOK):
        world.service.set_line(CUSTOMER, product_id, 1)
    world.stock.calls.clear()

    world.service.view(CUSTOMER)

    assert world.stock.calls == [[EARBUDS, KETTLE, BOOK]]


def test_setting_a_line_reads_each_products_stock_once(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)
    world.stock.calls.clear()

    world.service.set_line(CUSTOMER, BOOK, 1)

    assert world.stock.calls == [[BOOK], [EARBUDS]], "the checked product's level is reused by the view"


def test_the_view_warns_about_price_changes_low_stock_and_archived_products(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)
    world.service.set_line(CUSTOMER, KETTLE, 3)
    world.service.set_line(CUSTOMER, BOOK, 2)
    world.reprice(EARBUDS, 6999)
    world.stock.available[KETTLE] = 1
    world.products.items[BOOK] = replace(world.products.items[BOOK], status=ProductStatus.ARCHIVED)

    view = world.service.view(CUSTOMER)

    earbuds, kettle, book = view.lines
    assert earbuds.warnings == (LineWarning.PRICE_CHANGED,)
    assert (earbuds.unit_price, earbuds.previous_unit_price) == (Money(6999, "USD"), Money(7999, "USD"))
    assert kettle.warnings == (LineWarning.INSUFFICIENT_STOCK,)
    assert kettle.available == 1
    assert book.warnings == (LineWarning.UNAVAILABLE,)
    assert view.total == Money(6999 + 3 * 2500, "USD")

    # Setting the line again accepts the new price.
    assert world.service.set_line(CUSTOMER, EARBUDS, 1).lines[0].warnings == ()


# ---------------------------------------------------------------------- expiry
def test_exactly_24_hours_after_the_last_change_the_cart_reads_as_empty(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)

    world.clock.advance(hours=24, seconds=-1)
    assert len(world.service.view(CUSTOMER).lines) == 1
    world.clock.advance(seconds=1)
    view = world.service.view(CUSTOMER)

    assert (view.lines, view.total, view.expires_at) == ((), None, None)


def test_writing_to_an_expired_cart_starts_from_empty(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)
    world.clock.advance(hours=30)

    view = world.service.set_line(CUSTOMER, EURO_LAMP, 1)

    assert [line.product_id for line in view.lines] == [EURO_LAMP], "the old USD line is gone, so EUR is fine"
    assert view.expires_at == world.clock.now + CART_TTL


def test_removing_from_an_expired_cart_writes_nothing(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)
    world.clock.advance(hours=25)
    writes = world.carts.writes

    assert world.service.remove_line(CUSTOMER, EARBUDS).lines == ()
    world.service.empty(CUSTOMER)

    assert world.carts.writes == writes


# ---------------------------------------------------------------------- concurrency
def test_a_concurrent_change_is_not_lost_the_loser_redoes_its_change(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)
    other_tab = CartService(world.carts, world.products, world.stock, world.clock, pause=world.pauses.append)
    world.carts.before_save = lambda: other_tab.set_line(CUSTOMER, BOOK, 2)

    view = world.service.set_line(CUSTOMER, KETTLE, 1)

    assert sorted(line.product_id for line in view.lines) == sorted([EARBUDS, BOOK, KETTLE])
    assert world.pauses == [0]


def test_a_cart_that_keeps_changing_gives_up_with_cart_busy(world: World) -> None:
    class AlwaysStale(FakeCartRepository):
        def save(self, cart: Cart, expected_version: int) -> None:
            self.items[cart.cart_id] = replace(cart, version=cart.version + 100)
            super().save(cart, expected_version)

    service = CartService(
        AlwaysStale(), world.products, world.stock, world.clock, max_attempts=3, pause=world.pauses.append
    )

    with pytest.raises(Conflict) as raised:
        service.set_line(CUSTOMER, EARBUDS, 1)

    assert raised.value.code == "cart_busy"
    assert world.pauses == [0, 1]


# ---------------------------------------------------------------------- guests
def test_a_guest_cart_is_created_empty_and_lives_24_hours(world: World) -> None:
    created = world.service.create_guest_cart()

    assert created.cart_id.startswith("g_")
    assert created.expires_at == world.clock.now + CART_TTL
    assert created.lines == ()
    view = world.service.set_guest_line(created.cart_id, EARBUDS, 2)
    assert view.total == Money(15998, "USD")

    world.clock.advance(hours=24)
    with pytest.raises(NotFound) as raised:
        world.service.guest_view(created.cart_id)
    assert raised.value.code == "cart_not_found"


@pytest.mark.parametrize("cart_id", ["g_" + "0" * 32, "nope", "g_" + "Z" * 32, "customer-1", ""])
def test_unknown_or_malformed_guest_cart_ids_are_not_found(world: World, cart_id: str) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)  # a customer's cart is never reachable as a guest cart
    calls = (
        lambda: world.service.guest_view(cart_id),
        lambda: world.service.set_guest_line(cart_id, EARBUDS, 1),
        lambda: world.service.remove_guest_line(cart_id, EARBUDS),
        lambda: world.service.empty_guest_cart(cart_id),
    )
    for call in calls:
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.code == "cart_not_found"


def test_an_unknown_guest_cart_is_reported_before_product_or_stock_problems(world: World) -> None:
    with pytest.raises(NotFound) as raised:
        world.service.set_guest_line("g_" + "1" * 32, "01UNKNOWN000000000000000AA", 1)

    assert raised.value.code == "cart_not_found"


def test_emptying_a_guest_cart_keeps_it(world: World) -> None:
    cart_id = world.service.create_guest_cart().cart_id
    world.service.set_guest_line(cart_id, EARBUDS, 1)

    world.service.empty_guest_cart(cart_id)
    world.service.empty_guest_cart(cart_id)

    assert world.service.guest_view(cart_id).lines == ()
    assert world.service.remove_guest_line(cart_id, EARBUDS).lines == ()


# ---------------------------------------------------------------------- merging
def test_merging_a_guest_cart_sums_lines_and_deletes_the_guest_cart(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)
    guest = world.service.create_guest_cart().cart_id
    world.service.set_guest_line(guest, EARBUDS, 2)
    world.service.set_guest_line(guest, BOOK, 1)

    view = world.service.merge(CUSTOMER, guest)

    assert [(line.product_id, line.quantity) for line in view.lines] == [(EARBUDS, 3), (BOOK, 1)]
    assert view.skipped == ()
    assert guest not in world.carts.items
    with pytest.raises(NotFound) as raised:
        world.service.merge(CUSTOMER, guest)
    assert raised.value.code == "cart_not_found"


def test_merging_reports_lines_in_another_currency(world: World) -> None:
    world.service.set_line(CUSTOMER, EARBUDS, 1)
    guest = world.service.create_guest_cart().cart_id
    world.service.set_guest_line(guest, EURO_LAMP, 2)

    view = world.service.merge(CUSTOMER, guest)

    assert [line.product_id for line in view.lines] == [EARBUDS]
    assert [(s.product_id, s.quantity, s.reason) for s in view.skipped] == [
        (EURO_LAMP, 2, SkipReason.CURRENCY_MISMATCH)
    ]


def test_merging_an_empty_guest_cart_still_consumes_it(world: World) -> None:
    guest = world.service.create_guest_cart().cart_id

    assert world.service.merge(CUSTOMER, guest).lines == ()
    assert guest not in world.carts.items


def test_merging_needs_a_customer_and_a_live_guest_cart(world: World) -> None:
    guest = world.service.create_guest_cart().cart_id
    with pytest.raises(Forbidden):
        world.service.merge(SELLER, guest)
    for cart_id in ("not-a-cart", "g_" + "a" * 32):
        with pytest.raises(NotFound):
            world.service.merge(CUSTOMER, cart_id)
    world.clock.advance(hours=24)
    with pytest.raises(NotFound):
        world.service.merge(CUSTOMER, guest)


def test_a_guest_line_added_during_a_merge_is_merged_too(world: World) -> None:
    guest = world.service.create_guest_cart().cart_id
    world.service.set_guest_line(guest, EARBUDS, 1)
    world.carts.before_save = lambda: world.service.set_guest_line(guest, BOOK, 1)

    view = world.service.merge(CUSTOMER, guest)

    assert [line.product_id for line in view.lines] == [EARBUDS, BOOK]
    assert guest not in world.carts.items
