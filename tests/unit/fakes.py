"""In-memory fakes of the domain's ports, for unit tests (fakes, not mocks).

Each fake keeps the behaviour its port documents (conflicts, version checks, pagination) so a
service test reads like a story about the domain, not about which methods were called.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from commerce.accounts.model import MAX_ADDRESSES, Address, AuthTokens, UserProfile
from commerce.accounts.ports import IdentityProvider, UserRepository
from commerce.adapters.dynamodb import decode_cursor, encode_cursor
from commerce.catalog.model import Category, Product
from commerce.catalog.ports import CategoryRepository, Page, ProductQuery, ProductRepository
from commerce.errors import (
    Conflict,
    DependencyFailure,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    Unauthorized,
)
from commerce.identity import Principal, Role
from commerce.money import Money
from commerce.orders.model import Order, ShippingAddress
from commerce.orders.pricing import PricedLine, Quote
from commerce.payments.model import PaymentMethod, PaymentMethodKind

__all__ = [
    "FakeCategoryRepository",
    "FakeIdentityProvider",
    "FakeMonotonic",
    "FakeProductRepository",
    "FakeUserRepository",
    "FixedClock",
    "one_line_order",
    "outage",
    "principal",
]

MIN_PASSWORD_LENGTH = 8

#: A card the simulator authorises.
VISA = PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa")


def one_line_order(order_id: str, total: Money, at: datetime, method: PaymentMethod = VISA) -> Order:
    """A pending order for one unit of one product, nothing to pay but the product."""
    zero = Money.zero(total.currency)
    return Order.place(
        order_id,
        "customer-1",
        [PricedLine("product-1", "seller-1", total, 1)],
        {"product-1": "Earbuds"},
        Quote(total, zero, zero, total, 0),
        ShippingAddress("Ada Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "GB"),
        method,
        at,
    )


def principal(user_id: str, *roles: Role) -> Principal:
    return Principal(user_id=user_id, roles=frozenset(roles))


class FixedClock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2025, 1, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeMonotonic:
    """A ``time.monotonic`` replacement that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


# ------------------------------------------------------------------------------------------------ accounts


class FakeIdentityProvider(IdentityProvider):
    """Cognito in a dict. Set ``fail_on_add_to_group`` to make the next group assignment fail."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, set[Role]] = {}
        self.deleted: list[str] = []
        self.fail_on_add_to_group: Exception | None = None
        self._refresh_tokens: dict[str, str] = {}
        self._next = 0

    def sign_up(self, email: str, password: str, name: str, enabled: bool = True) -> str:
        if any(user["email"] == email for user in self.users.values()):
            raise Conflict("An account with this email already exists.", code="email_taken")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(
                "The password is too weak.",
                code="invalid_password",
                errors=[FieldError("body.password", "Too short.", "invalid_password")],
            )
        self._next += 1
        user_id = f"sub-{self._next:04d}"
        self.users[user_id] = {
            "email": email,
            "password": password,
            "attributes": {"name": name},
            "enabled": enabled,
            "signed_out": 0,
        }
        self.groups[user_id] = set()
        return user_id

    def create_user(self, email: str, name: str, password: str) -> str:
        return self.sign_up(email, password, name)

    def user_id_of(self, email: str) -> str | None:
        return next((user_id for user_id, user in self.users.items() if user["email"] == email), None)

    def set_enabled(self, user_id: str, enabled: bool) -> None:
        if user_id not in self.users:
            raise NotFound("No such user.", code="user_not_found")
        self.users[user_id]["enabled"] = enabled

    def sign_out_everywhere(self, email: str) -> None:
        user_id = self.user_id_of(email)
        if user_id is None:
            raise NotFound("No such user.", code="user_not_found")
        self.users[user_id]["signed_out"] += 1
        self._refresh_tokens = {token: uid for token, uid in self._refresh_tokens.items() if uid != user_id}

    def add_to_group(self, user_id: str, role: Role) -> None:
        if self.fail_on_add_to_group is not None:
            raise self.fail_on_add_to_group
        if user_id not in self.users:
            raise NotFound("No such user.", code="user_not_found")
        self.groups[user_id].add(role)

    def delete_user(self, user_id: str) -> None:
        self.users.pop(user_id, None)
        self.groups.pop(user_id, None)
        self.deleted.append(user_id)

    def _tokens_for(self, user_id: str) -> AuthTokens:
        self._next += 1
        refresh = f"refresh-{self._next}"
        self._refresh_tokens[refresh] = user_id
        return AuthTokens(
            access_token=f"access-{user_id}-{self._next}",
            id_token=f"id-{user_id}-{self._next}",
            refresh_token=refresh,
            expires_in=3600,
        )

    def sign_in(self, email: str, password: str) -> AuthTokens:
        for user_id, user in self.users.items():
            if user["email"] == email and not user["enabled"]:
                raise Forbidden("This account is disabled.", code="account_disabled")
            if user["email"] == email and user["password"] == password:
                return self._tokens_for(user_id)
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")

    def refresh(self, refresh_token: str) -> AuthTokens:
        user_id = self._refresh_tokens.get(refresh_token)
        if user_id is None or user_id not in self.users:
            raise Unauthorized("The refresh token is not valid.", code="invalid_refresh_token")
        tokens = self._tokens_for(user_id)
        return replace(tokens, refresh_token=None)

    def set_attributes(self, user_id: str, attributes: dict[str, str]) -> None:
        if user_id not in self.users:
            raise NotFound("No such user.", code="user_not_found")
        self.users[user_id]["attributes"].update(attributes)


class FakeUserRepository(UserRepository):
    """Profiles and address books in dicts. Set ``fail_on_add`` to make the next profile write fail."""

    def __init__(self) -> None:
        self.profiles: dict[str, UserProfile] = {}
        self.address_books: dict[str, dict[str, Address]] = {}
        self.fail_on_add: Exception | None = None

    def add(self, profile: UserProfile) -> None:
        if self.fail_on_add is not None:
            raise self.fail_on_add
        if profile.user_id in self.profiles:
            raise Conflict("This account already has a profile.", code="profile_exists")
        self.profiles[profile.user_id] = replace(profile, address_count=0, default_address_id=None)
        self.address_books[profile.user_id] = {}

    def get(self, user_id: str) -> UserProfile | None:
        return self.profiles.get(user_id)

    def save(self, profile: UserProfile, expected_version: int) -> None:
        stored = self.profiles.get(profile.user_id)
        if stored is None or stored.version != expected_version:
            raise PreconditionFailed(
                "The profile changed at the same time; read it again.", code="version_conflict"
            )
        # Only the mutable fields are written, as the DynamoDB adapter does.
        self.profiles[profile.user_id] = replace(
            stored,
            name=profile.name,
            phone=profile.phone,
            sms_opt_in=profile.sms_opt_in,
            seller_status=profile.seller_status,
            updated_at=profile.updated_at,
            version=profile.version,
        )

    def list_addresses(self, user_id: str) -> list[Address]:
        return list(self.address_books.get(user_id, {}).values())

    def get_address(self, user_id: str, address_id: str) -> Address | None:
        return self.address_books.get(user_id, {}).get(address_id)

    def add_address(self, user_id: str, address: Address, make_default: bool) -> None:
        profile = self.profiles.get(user_id)
        if profile is None:
            raise NotFound("This account has no profile.", code="profile_not_found")
        if profile.address_count >= MAX_ADDRESSES:
            raise Conflict(
                f"An account keeps at most {MAX_ADDRESSES} addresses; remove one first.",
                code="too_many_addresses",
            )
        book = self.address_books[user_id]
        if address.address_id in book:
            raise Conflict("The address already exists.", code="conflict")
        book[address.address_id] = address
        self.profiles[user_id] = replace(
            profile,
            address_count=profile.address_count + 1,
            default_address_id=address.address_id if make_default else profile.default_address_id,
        )

    def update_address(self, user_id: str, address: Address, make_default: bool) -> None:
        book = self.address_books.get(user_id, {})
        if address.address_id not in book:
            raise NotFound("No such address.", code="address_not_found")
        book[address.address_id] = address
        if make_default:
            self.profiles[user_id] = replace(self.profiles[user_id], default_address_id=address.address_id)

    def delete_address(self, user_id: str, address_id: str) -> None:
        book = self.address_books.get(user_id, {})
        if address_id not in book:
            raise NotFound("No such address.", code="address_not_found")
        del book[address_id]
        profile = self.profiles[user_id]
        self.profiles[user_id] = replace(
            profile,
            address_count=profile.address_count - 1,
            default_address_id=None
            if profile.default_address_id == address_id
            else profile.default_address_id,
        )


# ------------------------------------------------------------------------------------------------ catalogue


def _invalid_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor is not one this API returned.",
        code="invalid_cursor",
        errors=[FieldError("query.cursor", "Not a cursor this API returned.", "invalid_cursor")],
    )


class FakeProductRepository(ProductRepository):
    """Products in a dict; listings are newest first (ULIDs sort by time) with an opaque cursor."""

    def __init__(self) -> None:
        self.items: dict[str, Product] = {}

    def add(self, product: Product) -> None:
        if product.product_id in self.items:
            raise Conflict("The product already exists.", code="conflict")
        self.items[product.product_id] = product

    def get(self, product_id: str) -> Product | None:
        return self.items.get(product_id)

    def save(self, product: Product, expected_version: int) -> None:
        stored = self.items.get(product.product_id)
        if stored is None or stored.version != expected_version:
            raise PreconditionFailed(
                "The product changed at the same time; read it again.", code="version_conflict"
            )
        self.items[product.product_id] = product

    def list_active(self, query: ProductQuery) -> Page[Product]:
        after: str | None = None
        if query.cursor is not None:
            after = decode_cursor(query.cursor, {"after"}).get("after")
            if not isinstance(after, str):
                raise _invalid_cursor()
        matching = sorted(
            (
                product
                for product in self.items.values()
                if product.is_active
                and (not query.category_ids or product.category_id in query.category_ids)
                and (query.seller_id is None or product.seller_id == query.seller_id)
                and (after is None or product.product_id < after)
            ),
            key=lambda product: product.product_id,
            reverse=True,
        )
        page = matching[: query.limit]
        more = len(matching) > query.limit
        return Page(page, encode_cursor({"after": page[-1].product_id}) if more and page else None)

    def has_active_in_category(self, category_id: str) -> bool:
        return any(p.is_active and p.category_id == category_id for p in self.items.values())


class FakeCategoryRepository(CategoryRepository):
    """Categories in a dict with unique slugs."""

    def __init__(self) -> None:
        self.items: dict[str, Category] = {}

    def all(self) -> list[Category]:
        return list(self.items.values())

    def get(self, category_id: str) -> Category | None:
        return self.items.get(category_id)

    def add(self, category: Category) -> None:
        if any(existing.slug == category.slug for existing in self.items.values()):
            raise Conflict(f"The slug {category.slug!r} is taken.", code="slug_taken")
        if category.parent_id is not None and category.parent_id not in self.items:
            raise InvalidInput("The parent category does not exist.", code="unknown_category")
        if category.category_id in self.items:
            raise Conflict("The category already exists.", code="conflict")
        self.items[category.category_id] = category

    def save(self, category: Category, expected_version: int) -> None:
        stored = self.items.get(category.category_id)
        if stored is None or stored.version != expected_version:
            raise PreconditionFailed(
                "The category changed at the same time; read it again.", code="version_conflict"
            )
        self.items[category.category_id] = category

    def delete(self, category: Category) -> None:
        if category.category_id not in self.items:
            raise NotFound("No such category.", code="category_not_found")
        del self.items[category.category_id]


def outage(what: str = "identity provider") -> DependencyFailure:
    """A dependency failure to inject where a test needs "the outside world broke"."""
    return DependencyFailure(f"The {what} is unavailable.", code="dependency_failure")
