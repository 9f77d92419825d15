"""Configuration from the environment, as one pydantic model read in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from commerce.errors import CommerceError

__all__ = ["ConfigurationError", "Settings"]


class ConfigurationError(CommerceError):
    """A function was deployed without a setting it needs: an operator's error, never a client's."""

    default_code = "misconfigured"


class Settings(BaseModel):
    """Every setting any function reads. Each function is given only the ones it needs in
    template.yaml, so a missing one fails loudly through ``require``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    region: str = Field(default="us-east-1", alias="AWS_REGION")
    users_table: str | None = Field(default=None, alias="USERS_TABLE")
    categories_table: str | None = Field(default=None, alias="CATEGORIES_TABLE")
    products_table: str | None = Field(default=None, alias="PRODUCTS_TABLE")
    inventory_table: str | None = Field(default=None, alias="INVENTORY_TABLE")
    carts_table: str | None = Field(default=None, alias="CARTS_TABLE")
    orders_table: str | None = Field(default=None, alias="ORDERS_TABLE")
    payment_simulator_table: str | None = Field(default=None, alias="PAYMENT_SIMULATOR_TABLE")
    order_state_machine_arn: str | None = Field(default=None, alias="ORDER_STATE_MACHINE_ARN")
    wallet_table: str | None = Field(default=None, alias="WALLET_TABLE")
    #: Who takes card payments: the offline ``simulator`` (local runs, sandboxes) or ``stripe``.
    card_provider: Literal["simulator", "stripe"] = Field(default="simulator", alias="CARD_PROVIDER")
    #: Secrets Manager names: Stripe's API key, Stripe's webhook signing secret, PayPal's client
    #: credentials (PayPal is offered only when its secret is configured).
    stripe_secret_name: str | None = Field(default=None, alias="STRIPE_SECRET_NAME")
    stripe_webhook_secret_name: str | None = Field(default=None, alias="STRIPE_WEBHOOK_SECRET_NAME")
    paypal_secret_name: str | None = Field(default=None, alias="PAYPAL_SECRET_NAME")
    paypal_environment: Literal["sandbox", "production"] = Field(
        default="sandbox", alias="PAYPAL_ENVIRONMENT"
    )
    #: Where PayPal sends the buyer back after approving (or cancelling) a payment.
    paypal_return_url: str = Field(default="http://127.0.0.1:3000/paypal/return", alias="PAYPAL_RETURN_URL")
    paypal_cancel_url: str = Field(default="http://127.0.0.1:3000/paypal/cancel", alias="PAYPAL_CANCEL_URL")
    #: How long a customer has to authenticate (3-D Secure) or approve (PayPal) a payment.
    customer_action_seconds: int = Field(default=900, ge=1, alias="CUSTOMER_ACTION_SECONDS")
    #: The pricing rule table as JSON (``commerce.orders.pricing``); empty: the built-in table.
    pricing_rules: str | None = Field(default=None, alias="PRICING_RULES")
    checkout_lock_minutes: int = Field(default=30, ge=1, alias="CHECKOUT_LOCK_MINUTES")
    event_bus_name: str | None = Field(default=None, alias="EVENT_BUS_NAME")
    reservation_ttl_minutes: int = Field(default=15, ge=1, alias="RESERVATION_TTL_MINUTES")
    recommendations_table: str | None = Field(default=None, alias="RECOMMENDATIONS_TABLE")
    reviews_table: str | None = Field(default=None, alias="REVIEWS_TABLE")
    notifications_table: str | None = Field(default=None, alias="NOTIFICATIONS_TABLE")
    image_uploads_table: str | None = Field(default=None, alias="IMAGE_UPLOADS_TABLE")
    uploads_bucket: str | None = Field(default=None, alias="UPLOADS_BUCKET")
    images_bucket: str | None = Field(default=None, alias="IMAGES_BUCKET")
    #: Where product images are served from (CloudFront; the local server locally), no trailing slash.
    images_base_url: str | None = Field(default=None, alias="IMAGES_BASE_URL")
    #: Where sellers' browsers post upload forms when it is not S3 itself (the local cloud sets it).
    uploads_form_url: str | None = Field(default=None, alias="UPLOADS_FORM_URL")
    reports_bucket: str | None = Field(default=None, alias="REPORTS_BUCKET")
    #: The SES-verified address customer and seller emails come from.
    notification_sender: str | None = Field(default=None, alias="NOTIFICATION_SENDER")
    #: ``manual``: new sellers cannot sign in until an admin approves them.
    seller_approval: Literal["auto", "manual"] = Field(default="auto", alias="SELLER_APPROVAL")
    #: The OpenSearch domain's endpoint (https://...); empty: the embedded engine (local runs only).
    opensearch_endpoint: str | None = Field(default=None, alias="OPENSEARCH_ENDPOINT")
    search_index: str = Field(default="products", alias="SEARCH_INDEX")
    #: Where the user pool's signing keys are published; empty: Cognito's well-known address.
    cognito_jwks_url: str | None = Field(default=None, alias="COGNITO_JWKS_URL")
    user_pool_id: str | None = Field(default=None, alias="USER_POOL_ID")
    user_pool_client_id: str | None = Field(default=None, alias="USER_POOL_CLIENT_ID")
    max_body_bytes: int = Field(default=64 * 1024, alias="MAX_BODY_BYTES")
    trace_disabled: bool = Field(default=True, alias="POWERTOOLS_TRACE_DISABLED")

    @property
    def detailed_tracing(self) -> bool:
        """X-Ray subsegments for every AWS call (Powertools Tracer); off unless asked for."""
        return not self.trace_disabled

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        source = dict(os.environ if environ is None else environ)
        if "AWS_REGION" not in source and "AWS_DEFAULT_REGION" in source:
            source["AWS_REGION"] = source["AWS_DEFAULT_REGION"]
        return cls.model_validate(source)

    def require(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise ConfigurationError(f"The setting {name} is missing from this function's environment.")
        return str(value)
