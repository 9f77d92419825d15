"""Helpers shared by the integration and end-to-end tests."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from localcloud import LocalCloud

PASSWORD = "Sup3r-secret!"
_counter = itertools.count()


@dataclass(frozen=True)
class Actor:
    user_id: str
    email: str
    token: str


def register(cloud: LocalCloud, role: str, email: str | None = None) -> Actor:
    """A signed-in account; admins are registered as customers and promoted, as operators do."""
    email = email or f"{role}{next(_counter)}@example.com"
    account_type = "customer" if role == "admin" else role
    response = cloud.request(
        "POST",
        "/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": role.title(), "account_type": account_type},
    )
    assert response.status == 201, response.text
    user_id = response.json()["user_id"]
    if role == "admin":
        cloud.client("cognito-idp").admin_add_user_to_group(
            UserPoolId=cloud.ref("UserPool"), Username=email, GroupName="admin"
        )
    login = cloud.request("POST", "/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status == 200, login.text
    return Actor(user_id=user_id, email=email, token=login.json()["access_token"])


def new_product(category_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Aurora X2 Wireless Earbuds",
        "description": "Noise-cancelling earbuds with a 30 hour battery.",
        "price": {"amount": 7999, "currency": "USD"},
        "category_id": category_id,
    }
    body.update(overrides)
    return body


def list_product(
    cloud: LocalCloud, seller: Actor, category_id: str, available: int = 10, **overrides: Any
) -> dict[str, Any]:
    """A product listed by ``seller`` (fields as ``new_product``, then ``overrides``) with stock."""
    created = cloud.request(
        "POST", "/v1/products", json=new_product(category_id, **overrides), token=seller.token
    )
    assert created.status == 201, created.text
    product = dict(created.json())
    stocked = cloud.request(
        "PUT", f"/v1/inventory/{product['product_id']}", json={"available": available}, token=seller.token
    )
    assert stocked.status == 200, stocked.text
    return product


# ---------------------------------------------------------------------- checkout
ADDRESS: dict[str, Any] = {
    "full_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


def card(payment_method_id: str = "pm_card_visa") -> dict[str, Any]:
    return {"type": "card", "payment_method_id": payment_method_id}


def checkout(
    cloud: LocalCloud,
    customer: Actor,
    key: str | None = None,
    payment_method: dict[str, Any] | None = None,
    shipping_address: dict[str, Any] | None = None,
) -> Any:
    """POST /v1/checkout (a fresh Idempotency-Key unless one is given)."""
    body = {"payment_method": payment_method or card(), "shipping_address": shipping_address or ADDRESS}
    return cloud.request(
        "POST",
        "/v1/checkout",
        json=body,
        token=customer.token,
        headers={"Idempotency-Key": key or f"key-{next(_counter)}"},
    )


def execution_arn(cloud: LocalCloud, order_id: str) -> str:
    machine = str(cloud.ref("OrderFulfilmentStateMachine"))
    return machine.replace(":stateMachine:", ":execution:") + f":{order_id}"


def settled(cloud: LocalCloud, customer: Actor, order_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The order once its saga has finished (confirmed, or cancelled with everything undone)."""
    cloud.wait_for_execution(execution_arn(cloud, order_id), timeout=timeout)
    response = cloud.request("GET", f"/v1/orders/{order_id}", token=customer.token)
    assert response.status == 200, response.text
    return dict(response.json())


def stock_of(cloud: LocalCloud, product_id: str, warehouse_id: str = "main") -> tuple[int, int, int]:
    """(available, reserved, sold) of one warehouse, read straight from the inventory table
    (the public API does not show what was sold)."""
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.ref("InventoryTable"),
        Key={"pk": {"S": f"PRODUCT#{product_id}"}, "sk": {"S": f"WAREHOUSE#{warehouse_id}"}},
        ConsistentRead=True,
    )["Item"]
    return int(item["available"]["N"]), int(item["reserved"]["N"]), int(item["sold"]["N"])


def fill_cart(cloud: LocalCloud, customer: Actor, *lines: tuple[str, int]) -> None:
    for product_id, quantity in lines:
        response = cloud.request(
            "PUT", f"/v1/cart/items/{product_id}", json={"quantity": quantity}, token=customer.token
        )
        assert response.status == 200, response.text


@dataclass
class BusTap:
    """A queue subscribed to one source's events on the platform's bus: what was published, as a
    consumer sees it. One tap per source at a time (a new one replaces the rule's target)."""

    cloud: LocalCloud
    source: str
    _seen: list[dict[str, Any]] = field(default_factory=list)
    _read: int = 0

    def __post_init__(self) -> None:
        sqs, events = self.cloud.client("sqs"), self.cloud.client("events")
        self._rule = "tap-" + self.source.replace(".", "-")
        self._queue = sqs.create_queue(QueueName=f"{self._rule}-{next(_counter)}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self._queue, AttributeNames=["QueueArn"])["Attributes"]
        bus = self.cloud.ref("CommerceBus")
        events.put_rule(Name=self._rule, EventBusName=bus, EventPattern=json.dumps({"source": [self.source]}))
        events.put_targets(Rule=self._rule, EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn["QueueArn"]}])

    def arrived(self) -> list[dict[str, Any]]:
        """Every event that reached the tap so far, oldest first."""
        sqs = self.cloud.client("sqs")
        while messages := sqs.receive_message(QueueUrl=self._queue, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in messages:
                self._seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self._queue, ReceiptHandle=message["ReceiptHandle"])
        return list(self._seen)

    def new(self) -> list[dict[str, Any]]:
        """The events that arrived since the last call."""
        arrived = self.arrived()
        fresh, self._read = arrived[self._read :], len(arrived)
        return fresh

    def close(self) -> None:
        bus = self.cloud.ref("CommerceBus")
        self.cloud.client("events").remove_targets(Rule=self._rule, EventBusName=bus, Ids=["tap"])
        self.cloud.client("events").delete_rule(Name=self._rule, EventBusName=bus)
        self.cloud.client("sqs").delete_queue(QueueUrl=self._queue)


def deliver(cloud: LocalCloud, seller: Actor, order_id: str) -> dict[str, Any]:
    """The seller ships their part of a confirmed order and records it delivered; their part as they see it."""
    shipped = cloud.request(
        "POST",
        f"/v1/seller/orders/{order_id}/shipments",
        json={"carrier": "UPS", "tracking_number": f"1Z{next(_counter):08d}"},
        token=seller.token,
    )
    assert shipped.status == 200, shipped.text
    delivered = cloud.request("POST", f"/v1/seller/orders/{order_id}/delivery", token=seller.token)
    assert delivered.status == 200, delivered.text
    return dict(delivered.json())


def received(cloud: LocalCloud, customer: Actor, seller: Actor, *lines: tuple[str, int]) -> str:
    """``customer`` bought ``lines`` (all sold by ``seller``) by card, and the seller delivered them:
    the order id. What makes a customer eligible to review a product."""
    fill_cart(cloud, customer, *lines)
    response = checkout(cloud, customer)
    assert response.status == 202, response.text
    order_id = str(response.json()["order_id"])
    order = settled(cloud, customer, order_id)
    assert order["status"] == "confirmed", order
    deliver(cloud, seller, order_id)
    return order_id
