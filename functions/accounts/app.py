"""Accounts API: registration, sign-in, profile and saved addresses.

Thin: each route validates with pydantic, calls one service method and shapes the reply.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path

from commerce.api.auth import principal
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.accounts import (
    AddressCreate,
    AddressList,
    AddressOut,
    AddressPatch,
    LoginRequest,
    ProfileOut,
    ProfilePatch,
    RefreshRequest,
    Registered,
    RegisterRequest,
    TokensOut,
)
from commerce.bootstrap import account_service
from commerce.identity import Role

logger = Logger(service="accounts")
app = create_resolver(logger)

AddressId = Annotated[str, Path(min_length=26, max_length=26)]


@app.post("/v1/auth/register", tags=["accounts"], summary="Register a customer or seller account")
def register(request: RegisterRequest) -> Response[Registered]:
    profile = account_service().register(
        request.email, request.password, request.name, Role(request.account_type)
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=Registered(user_id=profile.user_id),
        headers={"Location": "/v1/me"},
    )


@app.post("/v1/auth/login", tags=["accounts"], summary="Sign in and receive tokens")
def login(request: LoginRequest) -> TokensOut:
    return TokensOut.of(account_service().sign_in(request.email, request.password))


@app.post("/v1/auth/refresh", tags=["accounts"], summary="Exchange a refresh token for new tokens")
def refresh(request: RefreshRequest) -> TokensOut:
    return TokensOut.of(account_service().refresh(request.refresh_token))


@app.get("/v1/me", tags=["accounts"], summary="The signed-in user's profile")
def get_me() -> ProfileOut:
    return ProfileOut.of(account_service().profile(principal(app)))


@app.patch("/v1/me", tags=["accounts"], summary="Change name, phone or SMS opt-in")
def patch_me(patch: ProfilePatch) -> ProfileOut:
    return ProfileOut.of(account_service().update_profile(principal(app), patch.changes()))


@app.get("/v1/me/addresses", tags=["accounts"], summary="Saved addresses")
def list_addresses() -> AddressList:
    addresses, default_id = account_service().addresses(principal(app))
    return AddressList(items=[AddressOut.of(address, default_id) for address in addresses])


@app.post("/v1/me/addresses", tags=["accounts"], summary="Save an address")
def add_address(request: AddressCreate) -> Response[AddressOut]:
    caller = principal(app)
    service = account_service()
    address = service.add_address(caller, request.fields(), request.default)
    _, default_id = service.addresses(caller)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=AddressOut.of(address, default_id),
        headers={"Location": f"/v1/me/addresses/{address.address_id}"},
    )


@app.patch("/v1/me/addresses/<address_id>", tags=["accounts"], summary="Change a saved address")
def update_address(address_id: AddressId, patch: AddressPatch) -> AddressOut:
    caller = principal(app)
    service = account_service()
    address = service.update_address(caller, address_id, patch.changes(), patch.default)
    _, default_id = service.addresses(caller)
    return AddressOut.of(address, default_id)


@app.delete("/v1/me/addresses/<address_id>", tags=["accounts"], summary="Remove a saved address")
def delete_address(address_id: AddressId) -> Response[None]:
    account_service().delete_address(principal(app), address_id)
    return Response(status_code=204, body=None)


handler = lambda_handler(app, logger)
