"""Demo data for `make run`, written through the platform's own services so it obeys the
same rules as real traffic. Idempotent: running it twice changes nothing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from localcloud import demo_catalog

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "SeedReport", "seed", "seed_stock"]

DEMO_PASSWORD = "Demo1234!"  # noqa: S105 - published demo logins, local use only
DEMO_ACCOUNTS = {
    "admin": "admin@example.com",
    "seller": "seller@example.com",
    "customer": "customer@example.com",
}


@dataclass
class SeedReport:
    accounts: int
    categories: int
    products: int


def _ensure_account(cloud: Any, email: str, name: str, role: str) -> str:
    """Register through the accounts service; admins cannot register, so they are promoted."""
    from commerce import bootstrap
    from commerce.errors import Conflict
    from commerce.identity import Role

    service = bootstrap.account_service()
    pool_id = cloud.ref("UserPool")
    cognito = cloud.client("cognito-idp")
    try:
        registered_as = Role.CUSTOMER if role == "admin" else Role(role)
        profile = service.register(email, DEMO_PASSWORD, name, registered_as)
        user_id = profile.user_id
    except Conflict:
        user_id = _seller_id(cloud, email)
    if role == "admin":
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName="admin")
        dynamodb = cloud.client("dynamodb")
        dynamodb.update_item(
            TableName=cloud.ref("UsersTable"),
            Key={"pk": {"S": f"USER#{user_id}"}, "sk": {"S": "PROFILE"}},
            UpdateExpression="SET account_type = :admin",
            ExpressionAttributeValues={":admin": {"S": "admin"}},
        )
    return str(user_id)


def seed(cloud: Any) -> SeedReport:
    from commerce import bootstrap
    from commerce.catalog.service import NewProduct
    from commerce.identity import Principal, Role
    from commerce.money import Money

    admin_id = _ensure_account(cloud, DEMO_ACCOUNTS["admin"], "Demo Admin", "admin")
    customer_id = _ensure_account(cloud, DEMO_ACCOUNTS["customer"], "Demo Customer", "customer")
    # Enough store credit to try a wallet checkout (idempotent by its credit id).
    bootstrap.wallet_service().credit(
        customer_id,
        Money(20_000, demo_catalog.CURRENCY),
        "demo-welcome-credit",
        "Demo welcome credit",
        admin_id,
    )
    sellers = {
        seller.key: _ensure_account(cloud, seller.email, seller.name, "seller")
        for seller in demo_catalog.SELLERS
    }
    admin = Principal(admin_id, frozenset({Role.ADMIN}))
    catalog = bootstrap.catalog_service()

    by_slug = {category.slug: category for category in catalog.category_tree()._by_id.values()}
    category_ids: dict[str, str] = {}
    for demo in demo_catalog.CATEGORIES:
        slug = demo.key.replace("/", "-")
        if slug not in by_slug:
            parent = category_ids[demo.parent_key] if demo.parent_key else None
            by_slug[slug] = catalog.create_category(admin, demo.name, parent, slug)
        category_ids[demo.key] = by_slug[slug].category_id

    for seller_key, seller_id in sellers.items():
        existing = {p.name for p in _all_products_of(catalog, seller_id)}
        principal = Principal(seller_id, frozenset({Role.SELLER}))
        for demo in demo_catalog.products():
            if demo.seller_key != seller_key or demo.name in existing:
                continue
            catalog.create_product(
                principal,
                NewProduct(
                    name=demo.name,
                    description=demo.description,
                    price=Money(demo.price_minor, demo.currency),
                    category_id=category_ids[demo.category_key],
                ),
            )
    return SeedReport(
        accounts=len(sellers) + 2, categories=len(category_ids), products=len(demo_catalog.products())
    )


def seed_stock(cloud: Any, limit: int | None = None) -> int:
    """Give demo products stock through the inventory service, as their sellers would.

    Slow on moto (its Query reads the whole table), so `make run` does it in the background
    after the API is up. Products that already have stock are left alone. ``limit`` looks at
    only the first products (for tests). Returns how many products were stocked.
    """
    from commerce import bootstrap
    from commerce.identity import Principal, Role

    catalog, inventory = bootstrap.catalog_service(), bootstrap.inventory_service()
    keys = {demo.name: demo.key for demo in demo_catalog.products()}
    stocked = considered = 0
    for seller in demo_catalog.SELLERS:
        seller_id = _seller_id(cloud, seller.email)
        principal = Principal(seller_id, frozenset({Role.SELLER}))
        for product in _all_products_of(catalog, seller_id):
            if limit is not None and considered >= limit:
                return stocked
            considered += 1
            if (
                product.name not in keys
                or inventory.stock.levels([product.product_id])[product.product_id].warehouses
            ):
                continue
            inventory.set_available(principal, product.product_id, demo_stock(keys[product.name]))
            stocked += 1
            # Let requests in: moto's DynamoDB runs under one lock that a busy loop would keep.
            time.sleep(0.005)
    return stocked


def _seller_id(cloud: Any, email: str) -> str:
    user = cloud.client("cognito-idp").admin_get_user(UserPoolId=cloud.ref("UserPool"), Username=email)
    return str(next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub"))


def demo_stock(key: str) -> int:
    """Deterministic and varied: some products sold out, some low, most in stock."""
    return (0, 3, 12, 25, 40, 60, 80, 4)[int(key.rsplit("-", 1)[-1]) % 8]


def _all_products_of(catalog: Any, seller_id: str) -> list[Any]:
    products: list[Any] = []
    cursor = None
    while True:
        page = catalog.list_products(None, seller_id, cursor, 100)
        products.extend(page.items)
        if page.next_cursor is None:
            return products
        cursor = page.next_cursor
