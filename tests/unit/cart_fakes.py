"""In-memory fakes of the cart service's ports (carts and the stock it reads)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from commerce.carts.model import Cart
from commerce.carts.ports import CartRepository, StaleCart
from commerce.inventory.model import StockLevel, WarehouseStock

__all__ = ["FakeCartRepository", "FakeStock"]


class FakeCartRepository(CartRepository):
    """Carts in a dict with the port's version checks.

    ``before_save`` runs just before each write is checked, so a test can slip in a
    concurrent change (another request winning the race). Counts reads and writes."""

    def __init__(self) -> None:
        self.items: dict[str, Cart] = {}
        self.before_save: Callable[[], object] | None = None
        self.reads = 0
        self.writes = 0

    def get(self, cart_id: str) -> Cart | None:
        self.reads += 1
        return self.items.get(cart_id)

    def _check(self, cart_id: str, expected_version: int) -> None:
        stored = self.items.get(cart_id)
        if (stored.version if stored is not None else 0) != expected_version:
            raise StaleCart(cart_id)

    def _interleave(self) -> None:
        if self.before_save is not None:
            interleave, self.before_save = self.before_save, None
            interleave()

    def save(self, cart: Cart, expected_version: int) -> None:
        self._interleave()
        self._check(cart.cart_id, expected_version)
        self.items[cart.cart_id] = cart
        self.writes += 1

    def save_merged(self, cart: Cart, expected_version: int, consumed: Cart) -> None:
        self._interleave()
        self._check(cart.cart_id, expected_version)
        if consumed.cart_id not in self.items:
            raise StaleCart(consumed.cart_id)
        self._check(consumed.cart_id, consumed.version)
        self.items[cart.cart_id] = cart
        del self.items[consumed.cart_id]
        self.writes += 1


class FakeStock:
    """Sellable units per product, with the number of ``levels`` calls made."""

    def __init__(self, available: dict[str, int] | None = None) -> None:
        self.available = dict(available or {})
        self.calls: list[list[str]] = []

    def levels(self, product_ids: Iterable[str]) -> dict[str, StockLevel]:
        ids = list(product_ids)
        self.calls.append(ids)
        return {
            product_id: StockLevel(
                product_id,
                (WarehouseStock(product_id, "main", self.available[product_id]),)
                if product_id in self.available
                else (),
            )
            for product_id in ids
        }
