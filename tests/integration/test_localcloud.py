"""The local cloud runs template.yaml itself: every resource, route and function in it."""

from __future__ import annotations

import json
from pathlib import Path

from localcloud import LocalCloud
from localcloud.openapi import build_document

ROOT = Path(__file__).resolve().parents[2]


def test_every_table_in_the_template_exists_with_its_indexes_and_stream(cloud: LocalCloud) -> None:
    dynamodb = cloud.client("dynamodb")
    products = dynamodb.describe_table(TableName=cloud.ref("ProductsTable"))["Table"]
    assert {index["IndexName"] for index in products["GlobalSecondaryIndexes"]} == {
        "by_category",
        "by_seller",
    }
    assert products["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    for logical_id in ("UsersTable", "CategoriesTable"):
        assert dynamodb.describe_table(TableName=cloud.ref(logical_id))["Table"]["TableStatus"] == "ACTIVE"


def test_the_user_pool_has_the_three_role_groups(cloud: LocalCloud) -> None:
    groups = cloud.client("cognito-idp").list_groups(UserPoolId=cloud.ref("UserPool"))["Groups"]
    assert {group["GroupName"] for group in groups} == {"customer", "seller", "admin"}


def test_every_function_is_bound_to_its_handler_and_created_in_lambda(cloud: LocalCloud) -> None:
    names = {f["FunctionName"] for f in cloud.client("lambda").list_functions()["Functions"]}
    for logical_id, runtime in cloud.functions.items():
        assert runtime.physical_name in names
        assert (runtime.spec.code_dir / "app.py").exists(), logical_id


def test_functions_are_invocable_through_the_lambda_api(cloud: LocalCloud) -> None:
    # moto's Lambda runs the real handler in-process (what Step Functions tasks and rules use)
    event = {
        "version": "2.0",
        "routeKey": "GET /v1/categories",
        "rawPath": "/v1/categories",
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": "GET", "path": "/v1/categories"}, "stage": "$default"},
        "isBase64Encoded": False,
    }
    response = cloud.client("lambda").invoke(
        FunctionName=cloud.ref("CatalogFunction"), Payload=json.dumps(event).encode()
    )
    payload = json.loads(response["Payload"].read())
    assert payload["statusCode"] == 200
    assert json.loads(payload["body"]) == {"items": []}


def test_the_openapi_document_is_served_and_matches_the_handlers(cloud: LocalCloud) -> None:
    served = cloud.request("GET", "/v1/openapi.json")
    assert served.status == 200
    assert served.json() == build_document(), "functions/gateway/openapi.json is stale: run `make openapi`"
    paths = served.json()["paths"]
    assert "/v1/products/{product_id}" in paths
    assert paths["/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in paths["/v1/products"]["get"]


def test_swagger_ui_is_served_without_the_network(cloud: LocalCloud) -> None:
    page = cloud.request("GET", "/v1/docs")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text
    assert "/v1/products/{product_id}" in page.text


def test_reset_empties_data_but_keeps_resource_names(cloud: LocalCloud) -> None:
    table = cloud.ref("ProductsTable")
    dynamodb = cloud.client("dynamodb")
    dynamodb.put_item(
        TableName=cloud.ref("CategoriesTable"), Item={"pk": {"S": "CATEGORY#x"}, "kind": {"S": "junk"}}
    )
    cloud.reset()
    assert cloud.ref("ProductsTable") == table
    assert dynamodb.scan(TableName=cloud.ref("CategoriesTable"))["Count"] == 0


def test_the_template_routes_and_the_handlers_routes_are_the_same_set(cloud: LocalCloud) -> None:
    # GIVEN the routes API Gateway will serve (template) and those the functions dispatch (OpenAPI)
    own_resources = {("GET", "/v1/openapi.json"), ("GET", "/v1/docs")}
    declared = {(r.method, r.path) for r in cloud.template.routes if r.path != "$default"} - own_resources
    documented = {
        (method.upper(), path)
        for path, operations in build_document()["paths"].items()
        for method in operations
    }
    # THEN neither has a route the other lacks
    assert declared == documented


def test_seeding_demo_data_twice_changes_nothing(cloud: LocalCloud) -> None:
    from localcloud.seed import seed

    def counts() -> tuple[int, int, int, int]:
        dynamodb = cloud.client("dynamodb")
        tables = ("ProductsTable", "CategoriesTable", "UsersTable", "WalletTable")
        return tuple(  # type: ignore[return-value]
            dynamodb.scan(TableName=cloud.ref(t), Select="COUNT")["Count"] for t in tables
        )

    first = seed(cloud)
    after_first = counts()
    seed(cloud)
    assert counts() == after_first
    assert first.products >= 200
    customer = cloud.request(
        "POST", "/v1/auth/login", json={"email": "customer@example.com", "password": "Demo1234!"}
    ).json()["access_token"]
    wallet = cloud.request("GET", "/v1/wallet", token=customer).json()
    assert wallet["balance"] == {"amount": 20_000, "currency": "USD"}, "the welcome credit, once"
    assert after_first[0] == first.products


def test_demo_stock_is_set_through_the_inventory_service_once(cloud: LocalCloud) -> None:
    from localcloud.seed import seed, seed_stock

    seed(cloud)
    assert seed_stock(cloud, limit=4) == 4
    dynamodb = cloud.client("dynamodb")
    inventory = dynamodb.scan(TableName=cloud.ref("InventoryTable"), Select="COUNT")["Count"]
    assert seed_stock(cloud, limit=4) == 0, "stocked products are left alone"
    assert dynamodb.scan(TableName=cloud.ref("InventoryTable"), Select="COUNT")["Count"] == inventory
    listed = cloud.request("GET", "/v1/products?limit=100").json()["items"]
    shown = {p["availability"] for p in listed}
    assert "out_of_stock" in shown
    assert shown & {"in_stock", "low_stock"}
