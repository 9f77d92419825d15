"""Accounts through the local cloud: Cognito, DynamoDB and the HTTP API for real."""

from __future__ import annotations

from collections.abc import Callable

from commerce.accounts.model import MAX_ADDRESSES
from localcloud import LocalCloud
from support import PASSWORD, Actor

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "gb",
}


def test_a_registered_customer_signs_in_and_reads_their_profile(cloud: LocalCloud) -> None:
    registered = cloud.request(
        "POST",
        "/v1/auth/register",
        json={"email": "  Ada@Example.COM ", "password": PASSWORD, "name": "Ada", "account_type": "customer"},
    )
    assert registered.status == 201
    login = cloud.request("POST", "/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert login.status == 200
    tokens = login.json()
    assert set(tokens) >= {"access_token", "id_token", "refresh_token", "expires_in"}
    me = cloud.request("GET", "/v1/me", token=tokens["access_token"]).json()
    assert me["user_id"] == registered.json()["user_id"]
    assert me["email"] == "ada@example.com"
    assert me["account_type"] == "customer"


def test_an_email_can_register_only_once_whatever_its_case(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    actor("customer", "grace@example.com")
    again = cloud.request(
        "POST",
        "/v1/auth/register",
        json={"email": "GRACE@example.com", "password": PASSWORD, "name": "G", "account_type": "seller"},
    )
    assert again.status == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "email_taken"


def test_a_weak_password_is_rejected_naming_the_field(cloud: LocalCloud) -> None:
    response = cloud.request(
        "POST", "/v1/auth/register", json={"email": "weak@example.com", "password": "password", "name": "W"}
    )
    assert response.status == 422
    body = response.json()
    assert body["code"] == "invalid_password"
    assert [e["field"] for e in body["errors"]] == ["body.password"]
    # and nothing was half-created: the email is still free
    ok = cloud.request(
        "POST", "/v1/auth/register", json={"email": "weak@example.com", "password": PASSWORD, "name": "W"}
    )
    assert ok.status == 201


def test_registration_errors_list_every_offending_field(cloud: LocalCloud) -> None:
    response = cloud.request(
        "POST",
        "/v1/auth/register",
        json={
            "email": "not-an-email",
            "password": PASSWORD,
            "name": "",
            "account_type": "admin",
            "role": "x",
        },
    )
    assert response.status == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.email", "body.name", "body.account_type", "body.role"}


def test_wrong_password_and_unknown_email_are_the_same_401(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    actor("customer", "known@example.com")
    wrong = cloud.request(
        "POST", "/v1/auth/login", json={"email": "known@example.com", "password": "Nope1234!"}
    )
    unknown = cloud.request(
        "POST", "/v1/auth/login", json={"email": "ghost@example.com", "password": PASSWORD}
    )
    assert wrong.status == unknown.status == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"


def test_a_refresh_token_gives_a_new_access_token(cloud: LocalCloud) -> None:
    cloud.request(
        "POST", "/v1/auth/register", json={"email": "r@example.com", "password": PASSWORD, "name": "R"}
    )
    tokens = cloud.request(
        "POST", "/v1/auth/login", json={"email": "r@example.com", "password": PASSWORD}
    ).json()
    refreshed = cloud.request("POST", "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status == 200
    assert cloud.request("GET", "/v1/me", token=refreshed.json()["access_token"]).status == 200
    bad = cloud.request("POST", "/v1/auth/refresh", json={"refresh_token": "garbage"})
    assert bad.status == 401


def test_profile_changes_keep_sms_tied_to_a_phone(cloud: LocalCloud, actor: Callable[..., Actor]) -> None:
    me = actor()
    no_phone = cloud.request("PATCH", "/v1/me", json={"sms_opt_in": True}, token=me.token)
    assert no_phone.status == 422
    assert no_phone.json()["code"] == "phone_required"
    updated = cloud.request(
        "PATCH",
        "/v1/me",
        json={"name": "Ada L.", "phone": "+447700900123", "sms_opt_in": True},
        token=me.token,
    )
    assert updated.status == 200
    assert updated.json()["phone"] == "+447700900123"
    assert cloud.request("GET", "/v1/me", token=me.token).json()["name"] == "Ada L."
    bad_phone = cloud.request("PATCH", "/v1/me", json={"phone": "12345"}, token=me.token)
    assert bad_phone.status == 422
    empty = cloud.request("PATCH", "/v1/me", json={}, token=me.token)
    assert empty.status == 422


def test_addresses_are_saved_listed_changed_and_removed(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    me = actor()
    first = cloud.request("POST", "/v1/me/addresses", json=ADDRESS, token=me.token)
    assert first.status == 201
    assert first.json()["country"] == "GB"
    assert first.json()["is_default"] is True, "the first address becomes the default"
    second = cloud.request(
        "POST", "/v1/me/addresses", json={**ADDRESS, "city": "Bath", "default": True}, token=me.token
    ).json()
    listed = cloud.request("GET", "/v1/me/addresses", token=me.token).json()["items"]
    assert {a["city"]: a["is_default"] for a in listed} == {"London": False, "Bath": True}
    patched = cloud.request(
        "PATCH", f"/v1/me/addresses/{second['address_id']}", json={"line2": "Flat 2"}, token=me.token
    )
    assert patched.status == 200
    assert patched.json()["line2"] == "Flat 2"
    assert cloud.request("DELETE", f"/v1/me/addresses/{second['address_id']}", token=me.token).status == 204
    again = cloud.request("DELETE", f"/v1/me/addresses/{second['address_id']}", token=me.token)
    assert again.status == 404
    assert cloud.request("GET", "/v1/me", token=me.token).json()["default_address_id"] is None


def test_someone_elses_address_is_not_found(cloud: LocalCloud, actor: Callable[..., Actor]) -> None:
    owner, other = actor(), actor()
    address = cloud.request("POST", "/v1/me/addresses", json=ADDRESS, token=owner.token).json()
    path = f"/v1/me/addresses/{address['address_id']}"
    assert cloud.request("PATCH", path, json={"city": "Leeds"}, token=other.token).status == 404
    assert cloud.request("DELETE", path, token=other.token).status == 404
    assert cloud.request("GET", "/v1/me/addresses", token=owner.token).json()["items"][0]["city"] == "London"


def test_an_account_keeps_a_bounded_number_of_addresses(
    cloud: LocalCloud, actor: Callable[..., Actor]
) -> None:
    me = actor()
    for _ in range(MAX_ADDRESSES):
        assert cloud.request("POST", "/v1/me/addresses", json=ADDRESS, token=me.token).status == 201
    over = cloud.request("POST", "/v1/me/addresses", json=ADDRESS, token=me.token)
    assert over.status == 409
    assert over.json()["code"] == "too_many_addresses"
