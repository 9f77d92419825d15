"""Specification of the account use cases: registration as a small saga, profiles and addresses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from commerce.accounts.model import MAX_ADDRESSES, UserProfile
from commerce.accounts.service import AccountService
from commerce.errors import Conflict, DependencyFailure, InvalidInput, NotFound, Unauthorized
from commerce.identity import Principal, Role
from unit.fakes import FakeIdentityProvider, FakeUserRepository, FixedClock, outage, principal

PASSWORD = "correct horse battery"


@dataclass
class World:
    service: AccountService
    identity: FakeIdentityProvider
    users: FakeUserRepository
    clock: FixedClock


@pytest.fixture
def world() -> World:
    identity, users, clock = FakeIdentityProvider(), FakeUserRepository(), FixedClock()
    return World(AccountService(identity=identity, users=users, clock=clock), identity, users, clock)


def register(world: World, email: str = "alice@example.com", role: Role = Role.CUSTOMER) -> UserProfile:
    return world.service.register(email, PASSWORD, "Alice", role)


def as_principal(profile: UserProfile) -> Principal:
    return principal(profile.user_id, profile.account_type)


def address_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "full_name": "Alice Example",
        "line1": "1 High Street",
        "city": "Bristol",
        "postal_code": "BS1 1AA",
        "country": "GB",
    }
    fields.update(overrides)
    return fields


# ------------------------------------------------------------------------------------------------ registration


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.SELLER])
def test_registration_creates_the_user_puts_it_in_its_group_and_stores_the_profile(
    world: World, role: Role
) -> None:
    profile = world.service.register("  Alice@Example.COM ", PASSWORD, "Alice", role)

    assert profile.email == "alice@example.com"
    assert profile.account_type is role
    assert profile.created_at == profile.updated_at == world.clock.now
    assert world.identity.users[profile.user_id]["email"] == "alice@example.com"
    assert world.identity.groups[profile.user_id] == {role}
    assert world.users.get(profile.user_id) == profile


def test_emails_are_unique_whatever_their_case(world: World) -> None:
    register(world, "alice@example.com")

    with pytest.raises(Conflict) as raised:
        register(world, "ALICE@example.com")

    assert raised.value.code == "email_taken"
    assert len(world.users.profiles) == 1


def test_admins_cannot_be_registered(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        register(world, role=Role.ADMIN)

    assert raised.value.code == "invalid_account_type"
    assert world.identity.users == {}
    assert world.users.profiles == {}


def test_when_the_group_assignment_fails_the_identity_user_is_deleted(world: World) -> None:
    # GIVEN the identity provider fails while adding the user to its group
    world.identity.fail_on_add_to_group = outage()

    # WHEN someone registers THEN the failure propagates
    with pytest.raises(DependencyFailure):
        register(world)

    # AND the half-made identity user was compensated away, with no profile left behind
    assert len(world.identity.deleted) == 1
    assert world.identity.users == {}
    assert world.users.profiles == {}


def test_when_the_profile_write_fails_the_identity_user_is_deleted(world: World) -> None:
    world.users.fail_on_add = Conflict("This account already has a profile.", code="profile_exists")

    with pytest.raises(Conflict) as raised:
        register(world)

    assert raised.value.code == "profile_exists"
    assert len(world.identity.deleted) == 1
    assert world.identity.users == {}
    # The email is free again, so the person can retry.
    world.users.fail_on_add = None
    assert register(world).email == "alice@example.com"


def test_when_sign_up_itself_fails_there_is_nothing_to_compensate(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.service.register("alice@example.com", "short", "Alice", Role.CUSTOMER)

    assert raised.value.code == "invalid_password"
    assert world.identity.deleted == []


def test_sign_in_lower_cases_the_email(world: World) -> None:
    register(world)

    tokens = world.service.sign_in(" ALICE@example.com", PASSWORD)

    assert tokens.access_token
    with pytest.raises(Unauthorized) as raised:
        world.service.sign_in("alice@example.com", "wrong password")
    assert raised.value.code == "invalid_credentials"


# ------------------------------------------------------------------------------------------------ profile


def test_a_caller_without_a_profile_gets_profile_not_found(world: World) -> None:
    with pytest.raises(NotFound) as raised:
        world.service.profile(principal("ghost", Role.CUSTOMER))

    assert raised.value.code == "profile_not_found"


def test_a_profile_patch_is_stored_with_a_new_version(world: World) -> None:
    alice = register(world)
    world.clock.advance(days=1)

    updated = world.service.update_profile(
        as_principal(alice), {"name": "Alice B.", "phone": "+447700900123", "sms_opt_in": True}
    )

    assert (updated.name, updated.phone, updated.sms_opt_in) == ("Alice B.", "+447700900123", True)
    assert updated.version == alice.version + 1
    assert updated.updated_at == world.clock.now
    assert updated.created_at == alice.created_at
    assert world.service.profile(as_principal(alice)) == updated
    # The display name is kept in step in the identity provider.
    assert world.identity.users[alice.user_id]["attributes"]["name"] == "Alice B."


def test_opting_in_to_sms_without_a_phone_needs_a_phone(world: World) -> None:
    alice = register(world)

    with pytest.raises(InvalidInput) as raised:
        world.service.update_profile(as_principal(alice), {"sms_opt_in": True})

    assert raised.value.code == "phone_required"
    assert world.service.profile(as_principal(alice)) == alice


def test_removing_the_phone_while_opted_in_to_sms_needs_a_phone(world: World) -> None:
    alice = register(world)
    world.service.update_profile(as_principal(alice), {"phone": "+447700900123", "sms_opt_in": True})

    with pytest.raises(InvalidInput) as raised:
        world.service.update_profile(as_principal(alice), {"phone": None})

    assert raised.value.code == "phone_required"


@pytest.mark.parametrize("field", ["email", "account_type", "version", "address_count"])
def test_a_profile_patch_cannot_change_other_fields(world: World, field: str) -> None:
    alice = register(world)

    with pytest.raises(InvalidInput) as raised:
        world.service.update_profile(as_principal(alice), {field: "x"})

    assert raised.value.code == "validation_failed"
    assert field in raised.value.detail
    assert world.service.profile(as_principal(alice)) == alice


# ------------------------------------------------------------------------------------------------ addresses


def test_the_first_address_becomes_the_default(world: World) -> None:
    alice = as_principal(register(world))

    first = world.service.add_address(alice, address_fields(), make_default=False)
    second = world.service.add_address(alice, address_fields(line1="2 Low Road"), make_default=False)

    addresses, default = world.service.addresses(alice)
    assert {a.address_id for a in addresses} == {first.address_id, second.address_id}
    assert default == first.address_id


def test_a_later_address_becomes_the_default_when_asked(world: World) -> None:
    alice = as_principal(register(world))
    world.service.add_address(alice, address_fields(), make_default=False)

    second = world.service.add_address(alice, address_fields(line1="2 Low Road"), make_default=True)

    assert world.service.addresses(alice)[1] == second.address_id


def test_an_account_keeps_at_most_max_addresses(world: World) -> None:
    alice = as_principal(register(world))
    for number in range(MAX_ADDRESSES):
        world.service.add_address(alice, address_fields(line1=f"{number} High Street"), make_default=False)

    with pytest.raises(Conflict) as raised:
        world.service.add_address(alice, address_fields(line1="One too many"), make_default=False)

    assert raised.value.code == "too_many_addresses"
    assert len(world.service.addresses(alice)[0]) == MAX_ADDRESSES


def test_deleting_an_address_frees_a_slot(world: World) -> None:
    alice = as_principal(register(world))
    made = [
        world.service.add_address(alice, address_fields(line1=f"{n} High Street"), make_default=False)
        for n in range(MAX_ADDRESSES)
    ]

    world.service.delete_address(alice, made[-1].address_id)

    world.service.add_address(alice, address_fields(line1="Replacement"), make_default=False)
    assert len(world.service.addresses(alice)[0]) == MAX_ADDRESSES


def test_updating_an_address_changes_only_the_given_fields(world: World) -> None:
    alice = as_principal(register(world))
    home = world.service.add_address(alice, address_fields(), make_default=False)

    moved = world.service.update_address(alice, home.address_id, {"city": "Bath"}, make_default=False)

    assert moved.city == "Bath"
    assert moved.address_id == home.address_id
    assert moved.line1 == home.line1
    assert world.service.addresses(alice)[0] == [moved]


def test_updating_an_unknown_address_is_not_found(world: World) -> None:
    alice = as_principal(register(world))

    with pytest.raises(NotFound) as raised:
        world.service.update_address(alice, "nope", {"city": "Bath"}, make_default=False)

    assert raised.value.code == "address_not_found"


def test_an_address_cannot_be_added_without_a_profile(world: World) -> None:
    with pytest.raises(NotFound) as raised:
        world.service.add_address(principal("ghost", Role.CUSTOMER), address_fields(), make_default=False)

    assert raised.value.code == "profile_not_found"


def test_a_failing_undo_does_not_hide_why_registration_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the group assignment fails AND so does deleting the half-made user
    world.identity.fail_on_add_to_group = outage()

    def broken_delete(user_id: str) -> None:
        raise RuntimeError("identity provider unreachable")

    monkeypatch.setattr(world.identity, "delete_user", broken_delete)

    # WHEN someone registers THEN the original failure propagates, carrying a note about the undo
    with pytest.raises(DependencyFailure) as raised:
        register(world)
    assert any("unreachable" in note for note in raised.value.__notes__)
