"""Specification of seller approval and of the operators' account use cases (creating admins)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from commerce.accounts.model import SellerStatus, UserProfile
from commerce.accounts.service import AccountService
from commerce.errors import Conflict, DependencyFailure, Forbidden, InvalidInput, NotFound, Unauthorized
from commerce.identity import Principal, Role
from unit.fakes import FakeIdentityProvider, FakeUserRepository, FixedClock, outage, principal

PASSWORD = "correct horse battery"
OPERATOR = principal("operator", Role.ADMIN)


@dataclass
class World:
    service: AccountService
    identity: FakeIdentityProvider
    users: FakeUserRepository
    clock: FixedClock


def make_world(manual: bool) -> World:
    identity, users, clock = FakeIdentityProvider(), FakeUserRepository(), FixedClock()
    service = AccountService(identity=identity, users=users, clock=clock, sellers_need_approval=manual)
    return World(service, identity, users, clock)


@pytest.fixture
def manual() -> World:
    return make_world(manual=True)


@pytest.fixture
def auto() -> World:
    return make_world(manual=False)


def register_seller(world: World, email: str = "shop@example.com") -> UserProfile:
    return world.service.register(email, PASSWORD, "Shop", Role.SELLER)


# ------------------------------------------------------------------------------------------------ registration


def test_with_automatic_approval_a_new_seller_is_approved_and_can_sign_in(auto: World) -> None:
    seller = register_seller(auto)

    assert seller.seller_status is SellerStatus.APPROVED
    assert auto.identity.users[seller.user_id]["enabled"] is True
    assert auto.service.sign_in("shop@example.com", PASSWORD).access_token


def test_with_manual_approval_a_new_seller_waits_and_is_told_why_at_sign_in(manual: World) -> None:
    seller = register_seller(manual)

    assert seller.seller_status is SellerStatus.PENDING_APPROVAL
    assert manual.users.get(seller.user_id) == seller
    # Created disabled, not disabled afterwards: there is no moment in which they could sign in.
    assert manual.identity.users[seller.user_id]["enabled"] is False
    with pytest.raises(Forbidden) as raised:
        manual.service.sign_in("SHOP@example.com", PASSWORD)
    assert raised.value.code == "seller_pending_approval"


def test_customers_need_no_approval_and_have_no_seller_status(manual: World) -> None:
    customer = manual.service.register("ann@example.com", PASSWORD, "Ann", Role.CUSTOMER)

    assert customer.seller_status is None
    assert manual.service.sign_in("ann@example.com", PASSWORD).access_token


def test_a_pending_seller_whose_registration_fails_half_way_leaves_nothing_behind(manual: World) -> None:
    manual.identity.fail_on_add_to_group = outage()

    with pytest.raises(DependencyFailure):
        register_seller(manual)

    assert manual.identity.users == {}
    assert manual.users.profiles == {}


# ------------------------------------------------------------------------------------------------ approval


def test_an_approved_seller_can_sign_in(manual: World) -> None:
    register_seller(manual)

    approved = manual.service.approve_seller(OPERATOR, " Shop@Example.com")

    assert approved.seller_status is SellerStatus.APPROVED
    assert approved.version == 2
    assert approved.updated_at == manual.clock.now
    assert manual.users.get(approved.user_id) == approved
    assert manual.service.sign_in("shop@example.com", PASSWORD).access_token


def test_approving_twice_changes_nothing_the_second_time(manual: World) -> None:
    register_seller(manual)
    first = manual.service.approve_seller(OPERATOR, "shop@example.com")

    again = manual.service.approve_seller(OPERATOR, "shop@example.com")

    assert again == first
    assert manual.users.get(first.user_id) == first


def test_an_approval_the_profile_write_missed_is_finished_by_approving_again(manual: World) -> None:
    # GIVEN an approval that enabled the user but could not record it on the profile
    seller = register_seller(manual)
    manual.identity.set_enabled(seller.user_id, True)

    # WHEN the operator approves again THEN the profile catches up
    assert manual.service.approve_seller(OPERATOR, "shop@example.com").seller_status is SellerStatus.APPROVED
    assert manual.users.profiles[seller.user_id].seller_status is SellerStatus.APPROVED


def test_a_disabled_seller_cannot_sign_in_and_is_signed_out_everywhere(auto: World) -> None:
    seller = register_seller(auto)
    tokens = auto.service.sign_in("shop@example.com", PASSWORD)

    disabled = auto.service.disable_seller(OPERATOR, "shop@example.com")

    assert disabled.seller_status is SellerStatus.DISABLED
    assert auto.identity.users[seller.user_id]["signed_out"] == 1
    with pytest.raises(Forbidden) as raised:
        auto.service.sign_in("shop@example.com", PASSWORD)
    assert raised.value.code == "account_disabled"
    assert tokens.refresh_token is not None
    with pytest.raises(Unauthorized):
        auto.service.refresh(tokens.refresh_token)


def test_a_disabled_seller_can_be_approved_again(auto: World) -> None:
    register_seller(auto)
    auto.service.disable_seller(OPERATOR, "shop@example.com")

    auto.service.approve_seller(OPERATOR, "shop@example.com")

    assert auto.service.sign_in("shop@example.com", PASSWORD).access_token


def test_only_sellers_are_approved_or_disabled(manual: World) -> None:
    manual.service.register("ann@example.com", PASSWORD, "Ann", Role.CUSTOMER)

    for change in (manual.service.approve_seller, manual.service.disable_seller):
        with pytest.raises(Conflict) as raised:
            change(OPERATOR, "ann@example.com")
        assert raised.value.code == "not_a_seller"
    assert manual.service.sign_in("ann@example.com", PASSWORD).access_token


def test_an_unknown_email_is_not_found(manual: World) -> None:
    with pytest.raises(NotFound) as raised:
        manual.service.approve_seller(OPERATOR, "nobody@example.com")

    assert raised.value.code == "user_not_found"


def test_only_admins_approve_sellers(manual: World) -> None:
    seller = register_seller(manual)
    other = principal("someone", Role.SELLER)

    with pytest.raises(Forbidden) as raised:
        manual.service.approve_seller(other, "shop@example.com")

    assert raised.value.code == "role_required"
    assert manual.users.profiles[seller.user_id].seller_status is SellerStatus.PENDING_APPROVAL


# ------------------------------------------------------------------------------------------------ admins


def test_an_operator_creates_an_admin_who_can_sign_in(auto: World) -> None:
    admin = auto.service.create_admin(OPERATOR, " Root@Example.com ", "Root", PASSWORD)

    assert admin.account_type is Role.ADMIN
    assert admin.email == "root@example.com"
    assert auto.identity.groups[admin.user_id] == {Role.ADMIN}
    assert auto.users.get(admin.user_id) == admin
    assert auto.service.sign_in("root@example.com", PASSWORD).access_token


def test_an_admin_is_not_created_with_a_weak_password_or_a_taken_email(auto: World) -> None:
    auto.service.register("ann@example.com", PASSWORD, "Ann", Role.CUSTOMER)

    with pytest.raises(InvalidInput) as weak:
        auto.service.create_admin(OPERATOR, "root@example.com", "Root", "short")
    with pytest.raises(Conflict) as taken:
        auto.service.create_admin(OPERATOR, "ann@example.com", "Ann", PASSWORD)

    assert (weak.value.code, taken.value.code) == ("invalid_password", "email_taken")
    assert len(auto.users.profiles) == 1


def test_a_failed_admin_creation_leaves_no_user_behind(auto: World) -> None:
    auto.users.fail_on_add = outage()

    with pytest.raises(DependencyFailure):
        auto.service.create_admin(OPERATOR, "root@example.com", "Root", PASSWORD)

    assert auto.identity.users == {}


def test_an_account_is_found_by_email_by_admins_only(auto: World) -> None:
    seller = register_seller(auto)

    assert auto.service.account(OPERATOR, "SHOP@example.com") == seller
    with pytest.raises(Forbidden):
        auto.service.account(Principal(seller.user_id, frozenset({Role.SELLER})), "shop@example.com")


def test_an_account_is_found_by_user_id_too(auto: World) -> None:
    seller = register_seller(auto)

    assert auto.service.account(OPERATOR, f" {seller.user_id} ") == seller
    with pytest.raises(NotFound):
        auto.service.account(OPERATOR, "sub-9999")
