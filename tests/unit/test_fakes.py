"""The fakes keep the ports' documented contracts, so the service tests can lean on them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from commerce.accounts.model import UserProfile
from commerce.catalog.model import Category, Product
from commerce.errors import Conflict, PreconditionFailed
from commerce.identity import Role
from commerce.money import Money
from unit.fakes import FakeCategoryRepository, FakeProductRepository, FakeUserRepository, FixedClock

NOW = FixedClock().now


def test_saving_a_product_against_a_stale_version_is_a_version_conflict() -> None:
    products = FakeProductRepository()
    product = Product("p-1", "s-1", "Kettle", "", Money(2500, "GBP"), "c-1", NOW, NOW)
    products.add(product)
    products.save(replace(product, name="Kettle 2", version=2), expected_version=1)

    with pytest.raises(PreconditionFailed) as raised:
        products.save(replace(product, name="Lost update", version=2), expected_version=1)

    assert raised.value.code == "version_conflict"
    stored = products.get("p-1")
    assert stored is not None
    assert stored.name == "Kettle 2"


def test_saving_a_category_against_a_stale_version_is_a_version_conflict() -> None:
    categories = FakeCategoryRepository()
    books = Category("c-1", "Books", "books", None, NOW, NOW)
    categories.add(books)

    with pytest.raises(PreconditionFailed) as raised:
        categories.save(replace(books, name="Novels", version=3), expected_version=2)

    assert raised.value.code == "version_conflict"
    with pytest.raises(Conflict) as taken:
        categories.add(replace(books, category_id="c-2"))
    assert taken.value.code == "slug_taken"


def test_saving_a_profile_against_a_stale_version_is_a_version_conflict() -> None:
    users = FakeUserRepository()
    alice = UserProfile("u-1", "alice@example.com", "Alice", Role.CUSTOMER, NOW, NOW)
    users.add(alice)

    with pytest.raises(PreconditionFailed) as raised:
        users.save(replace(alice, name="Al", version=5), expected_version=4)

    assert raised.value.code == "version_conflict"
    with pytest.raises(Conflict) as exists:
        users.add(alice)
    assert exists.value.code == "profile_exists"
