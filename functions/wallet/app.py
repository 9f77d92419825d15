"""Wallet API: a customer's balance and statement; admins credit wallets (goodwill, top-ups)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from commerce.api.auth import principal
from commerce.api.caching import PRIVATE_NO_STORE
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.payments import WalletCreditIn, WalletCreditOut, WalletOut
from commerce.bootstrap import wallet_service
from commerce.identity import Role
from commerce.orders.checkout import ensure_idempotency_key

logger = Logger(service="wallet")
app = create_resolver(logger)

Cursor = Annotated[str | None, Query(max_length=4096)]
Limit = Annotated[int, Query(ge=1, le=100)]


@app.get("/v1/wallet", tags=["wallet"], summary="The customer's wallet: balance and statement, newest first")
def get_wallet(cursor: Cursor = None, limit: Limit = 20) -> Response[WalletOut]:
    customer = principal(app)
    customer.require(Role.CUSTOMER)
    view = wallet_service().view(customer.user_id, cursor, limit)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=WalletOut.of(view),
        headers=dict(PRIVATE_NO_STORE),
    )


@app.post(
    "/v1/wallet/credits",
    tags=["wallet"],
    summary="Admins: credit a customer's wallet (the Idempotency-Key makes a retry credit once)",
    responses={201: {"description": "Credited (a replayed key answers the same credit)."}},
)
def credit_wallet(
    request: WalletCreditIn,
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", description="Required: one key per intended credit.")
    ] = None,
) -> Response[WalletCreditOut]:
    admin = principal(app)
    admin.require(Role.ADMIN)
    credit_id = ensure_idempotency_key(idempotency_key)
    service = wallet_service()
    receipt = service.credit(
        request.customer_id, request.amount.to_domain(), credit_id, request.reason, admin.user_id
    )
    logger.info(
        "wallet credited", extra={"customer_id": request.customer_id, "replayed": not receipt.created}
    )
    body = WalletCreditOut(
        movement_id=receipt.movement.movement_id,
        created=receipt.created,
        wallet=WalletOut.of(service.view(request.customer_id)),
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=dict(PRIVATE_NO_STORE),
    )


handler = lambda_handler(app, logger)
