"""Specification of the principal: who is calling, read from the authorizer's claims."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.errors import Forbidden, Unauthorized
from commerce.identity import Principal, Role, parse_groups


@pytest.mark.parametrize(
    ("value", "roles"),
    [
        ("[seller admin]", {Role.SELLER, Role.ADMIN}),  # API Gateway HTTP API flattening
        ("[customer]", {Role.CUSTOMER}),
        ("[]", set()),
        ("", set()),
        ("seller", {Role.SELLER}),
        ("[seller, admin]", {Role.SELLER, Role.ADMIN}),
        (" [ admin ] ", {Role.ADMIN}),
        (["seller", "customer"], {Role.SELLER, Role.CUSTOMER}),
        (("admin",), {Role.ADMIN}),
        ([], set()),
        (None, set()),
    ],
)
def test_parse_groups_reads_every_shape_the_gateway_passes(value: Any, roles: set[Role]) -> None:
    assert parse_groups(value) == frozenset(roles)


@pytest.mark.parametrize(
    "value",
    [
        "[seller us-east-1_abc_Google superuser]",
        ["seller", "superuser", "Admin"],
    ],
)
def test_parse_groups_ignores_groups_that_are_not_roles(value: Any) -> None:
    assert parse_groups(value) == frozenset({Role.SELLER})


@pytest.mark.parametrize("value", [42, {"admin": True}, 3.5])
def test_parse_groups_of_an_unexpected_type_grants_nothing(value: Any) -> None:
    assert parse_groups(value) == frozenset()


def test_principal_is_built_from_sub_and_groups() -> None:
    principal = Principal.from_claims(
        {"sub": "user-1", "cognito:groups": "[seller]", "email": "s@example.com"}
    )

    assert principal.user_id == "user-1"
    assert principal.roles == frozenset({Role.SELLER})
    assert principal.has(Role.SELLER)
    assert not principal.has(Role.CUSTOMER)
    assert not principal.is_admin


def test_principal_without_groups_has_no_roles() -> None:
    assert Principal.from_claims({"sub": "user-1"}).roles == frozenset()


@pytest.mark.parametrize("claims", [None, {}, {"sub": ""}, {"cognito:groups": "[admin]"}])
def test_claims_without_a_subject_are_unauthorized(claims: dict[str, Any] | None) -> None:
    with pytest.raises(Unauthorized) as raised:
        Principal.from_claims(claims)

    assert raised.value.code == "unauthorized"


def test_require_allows_a_principal_with_any_of_the_roles() -> None:
    seller = Principal("s-1", frozenset({Role.SELLER}))

    seller.require(Role.SELLER)
    seller.require(Role.CUSTOMER, Role.SELLER)


@pytest.mark.parametrize("roles", [(Role.SELLER,), (Role.CUSTOMER,), (Role.SELLER, Role.CUSTOMER), ()])
def test_require_always_allows_admins(roles: tuple[Role, ...]) -> None:
    Principal("a-1", frozenset({Role.ADMIN})).require(*roles)


@pytest.mark.parametrize(
    ("held", "wanted"),
    [
        (frozenset({Role.CUSTOMER}), (Role.SELLER,)),
        (frozenset({Role.SELLER}), (Role.ADMIN,)),
        (frozenset(), (Role.CUSTOMER,)),
        (frozenset({Role.CUSTOMER}), (Role.SELLER, Role.ADMIN)),
    ],
)
def test_require_forbids_everyone_else_with_role_required(
    held: frozenset[Role], wanted: tuple[Role, ...]
) -> None:
    with pytest.raises(Forbidden) as raised:
        Principal("u-1", held).require(*wanted)

    assert raised.value.code == "role_required"
    assert all(role.value in raised.value.detail for role in wanted)
