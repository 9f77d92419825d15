"""Cart use cases for customers and guests.

Every change is read-change-write of the whole cart with a version condition; when another
request changed the cart in between, the change is redone on a fresh read (a few times,
with jittered backoff), so concurrent requests never lose each other's lines.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from commerce.carts.model import Cart, CartView, SkippedLine, ensure_quantity, is_guest_cart_id, price_cart
from commerce.carts.ports import CartRepository, StaleCart, StockReader
from commerce.catalog.model import Product
from commerce.catalog.ports import ProductRepository
from commerce.clock import Clock
from commerce.errors import Conflict, NotFound
from commerce.identity import Principal, Role
from commerce.inventory.model import InsufficientStock, Shortage, StockLevel

__all__ = ["CartService", "jittered_pause"]

#: Attempts at one change before giving up with ``cart_busy`` (one shopper rarely races herself
#: more than twice; ten parallel tabs still get through).
MAX_ATTEMPTS = 12


def jittered_pause(attempt: int) -> None:
    """Full jitter: a random wait up to 10 ms, 20 ms, 40 ms ... capped at 200 ms."""
    time.sleep(random.uniform(0, min(0.01 * 2**attempt, 0.2)))  # noqa: S311 - timing jitter, not a secret


def _cart_not_found() -> NotFound:
    return NotFound("No such cart, or it has expired.", code="cart_not_found")


@dataclass
class CartService:
    carts: CartRepository
    products: ProductRepository
    stock: StockReader
    clock: Clock
    max_attempts: int = MAX_ATTEMPTS
    pause: Callable[[int], None] = jittered_pause

    # ------------------------------------------------------------------ loading
    def _customer_cart(self, principal: Principal) -> Callable[[], Cart]:
        principal.require(Role.CUSTOMER)
        cart_id = principal.user_id

        def load() -> Cart:
            stored = self.carts.get(cart_id)
            return stored.as_of(self.clock()) if stored is not None else Cart(cart_id)

        return load

    def _guest_cart(self, cart_id: str) -> Callable[[], Cart]:
        """A malformed id is as unknown as a well-formed one nobody holds: 404, not 422."""
        if not is_guest_cart_id(cart_id):
            raise _cart_not_found()

        def load() -> Cart:
            stored = self.carts.get(cart_id)
            if stored is None or stored.is_expired(self.clock()):
                raise _cart_not_found()
            return stored

        return load

    # ------------------------------------------------------------------ the view
    def _view(
        self,
        cart: Cart,
        known: Iterable[Product] = (),
        known_levels: Mapping[str, StockLevel] | None = None,
        skipped: Iterable[SkippedLine] = (),
    ) -> CartView:
        """Current prices (one batched read of the products not already read) and stock (one ``levels``
        call for the lines whose stock was not already read)."""
        products = {product.product_id: product for product in known}
        missing = [product_id for product_id in cart.product_ids if product_id not in products]
        if missing:
            products.update(self.products.get_many(missing))
        levels = dict(known_levels or {})
        unread = [product_id for product_id in cart.product_ids if product_id not in levels]
        if unread:
            levels.update(self.stock.levels(unread))
        available = {product_id: level.available for product_id, level in levels.items()}
        return price_cart(cart, products, available, skipped)

    # ------------------------------------------------------------------ changing
    def _change(self, load: Callable[[], Cart], change: Callable[[Cart], Cart]) -> Cart:
        for attempt in range(self.max_attempts):
            current = load()
            updated = change(current)
            if updated is current:
                return current
            try:
                self.carts.save(updated, expected_version=current.version)
            except StaleCart:
                if attempt + 1 < self.max_attempts:
                    self.pause(attempt)
                continue
            return updated
        raise Conflict("The cart is changing too fast; try again.", code="cart_busy")

    def _sellable(self, product_id: str, quantity: int) -> tuple[Product, StockLevel]:
        """The product exists, is on sale and has ``quantity`` units to sell."""
        ensure_quantity(quantity)
        product = self.products.get(product_id)
        if product is None or not product.is_active:
            raise NotFound("No such product.", code="product_not_found")
        level = self.stock.levels([product_id]).get(product_id) or StockLevel(product_id)
        if level.available < quantity:
            raise InsufficientStock([Shortage(product_id, quantity, level.available)])
        return product, level

    def _set_line(self, load: Callable[[], Cart], product_id: str, quantity: int) -> CartView:
        product, level = self._sellable(product_id, quantity)
        cart = self._change(load, lambda current: current.with_line(product, quantity, self.clock()))
        return self._view(cart, [product], {product_id: level})

    def _remove_line(self, load: Callable[[], Cart], product_id: str) -> CartView:
        return self._view(self._change(load, lambda current: current.without_line(product_id, self.clock())))

    def _empty(self, load: Callable[[], Cart]) -> None:
        self._change(load, lambda current: current.emptied(self.clock()))

    # ------------------------------------------------------------------ customers
    def view(self, principal: Principal) -> CartView:
        return self._view(self._customer_cart(principal)())

    def set_line(self, principal: Principal, product_id: str, quantity: int) -> CartView:
        return self._set_line(self._customer_cart(principal), product_id, quantity)

    def remove_line(self, principal: Principal, product_id: str) -> CartView:
        return self._remove_line(self._customer_cart(principal), product_id)

    def empty(self, principal: Principal) -> None:
        self._empty(self._customer_cart(principal))

    def merge(self, principal: Principal, guest_cart_id: str) -> CartView:
        """Move a guest cart's lines into the customer's cart and delete the guest cart, in one
        transaction: merging twice (or racing a second merge) cannot add the lines twice."""
        load_mine = self._customer_cart(principal)
        load_guest = self._guest_cart(guest_cart_id)
        for attempt in range(self.max_attempts):
            guest = load_guest()
            mine = load_mine()
            merged, skipped = mine.merged_with(guest, self.clock())
            try:
                self.carts.save_merged(merged, mine.version, guest)
            except StaleCart:
                if attempt + 1 < self.max_attempts:
                    self.pause(attempt)
                continue
            return self._view(merged, skipped=skipped)
        raise Conflict("The cart is changing too fast; try again.", code="cart_busy")

    # ------------------------------------------------------------------ guests
    def create_guest_cart(self) -> CartView:
        cart = Cart.new_guest(self.clock())
        self.carts.save(cart, expected_version=0)
        return self._view(cart)

    def guest_view(self, cart_id: str) -> CartView:
        return self._view(self._guest_cart(cart_id)())

    def set_guest_line(self, cart_id: str, product_id: str, quantity: int) -> CartView:
        load = self._guest_cart(cart_id)
        load()  # an unknown cart is a 404 before any product or stock question
        return self._set_line(load, product_id, quantity)

    def remove_guest_line(self, cart_id: str, product_id: str) -> CartView:
        return self._remove_line(self._guest_cart(cart_id), product_id)

    def empty_guest_cart(self, cart_id: str) -> None:
        self._empty(self._guest_cart(cart_id))
