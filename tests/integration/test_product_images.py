"""Product images through the local cloud: a seller's presigned form, the file posted to the
local S3 form endpoint (localcloud.files), S3 -> EventBridge -> the processor, the product's four
URLs served as CloudFront would; refusals that leave nothing behind, the ten-image limit, the
same event delivered twice, and the form's policy enforced as S3 enforces it."""

from __future__ import annotations

import io
import json
import os
import struct
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from urllib3 import encode_multipart_formdata

from localcloud import LocalCloud
from localcloud.files import LocalFiles
from localcloud.gateway import GatewayResponse
from localcloud.server import make_server
from support import Actor

WIDTHS = {"zoom": 1600, "large": 1200, "medium": 600, "thumbnail": 150}
IMMUTABLE = "public, max-age=31536000, immutable"


def png(width: int = 1600, height: int = 1000) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 120, 40))
    image.paste((40, 80, 200), (0, 0, width // 2, height))
    image.save(buffer, "PNG")
    return buffer.getvalue()


def bomb(side: int = 30000) -> bytes:
    """A few dozen bytes of PNG declaring ``side`` x ``side`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def start_upload(
    cloud: LocalCloud, actor: Actor, product_id: str, content_type: str = "image/png", alt: str | None = None
) -> Any:
    body: dict[str, Any] = {"content_type": content_type}
    if alt is not None:
        body["alt"] = alt
    return cloud.request("POST", f"/v1/products/{product_id}/images/uploads", json=body, token=actor.token)


def form_for(
    cloud: LocalCloud, actor: Actor, product_id: str, content_type: str = "image/png"
) -> dict[str, Any]:
    started = start_upload(cloud, actor, product_id, content_type, alt="Front view")
    assert started.status == 201, started.text
    return dict(started.json())


def multipart(fields: dict[str, str], data: bytes, filename: str = "picture.png") -> tuple[bytes, str]:
    """What a browser sends: every signed field, then the file last."""
    parts: list[tuple[str, Any]] = [*fields.items(), ("file", (filename, data, "application/octet-stream"))]
    return encode_multipart_formdata(parts)


def post_form(
    cloud: LocalCloud,
    form: dict[str, Any],
    data: bytes,
    *,
    fields: dict[str, str] | None = None,
    files: LocalFiles | None = None,
) -> GatewayResponse:
    """POST the form to the local S3 endpoint, in-process (the same code the HTTP server calls)."""
    body, content_type = multipart(fields if fields is not None else form["fields"], data)
    return (files or LocalFiles.of(cloud)).answer(
        "POST", urlsplit(form["url"]).path, [("Content-Type", content_type)], body
    )


def status_of(cloud: LocalCloud, actor: Actor, form: dict[str, Any]) -> dict[str, Any]:
    response = cloud.request("GET", form["status_url"], token=actor.token)
    assert response.status == 200, response.text
    return dict(response.json())


def product(cloud: LocalCloud, product_id: str) -> dict[str, Any]:
    response = cloud.request("GET", f"/v1/products/{product_id}")
    assert response.status == 200, response.text
    return dict(response.json())


def served(cloud: LocalCloud, url: str, headers: list[tuple[str, str]] | None = None) -> GatewayResponse:
    return LocalFiles.of(cloud).answer("GET", urlsplit(url).path, headers or [], b"")


def bucket_keys(cloud: LocalCloud, logical_id: str) -> list[str]:
    listed = cloud.client("s3").list_objects_v2(Bucket=cloud.ref(logical_id))
    return [item["Key"] for item in listed.get("Contents", [])]


def object_created(cloud: LocalCloud, key: str) -> dict[str, Any]:
    """The event S3 sends EventBridge for a new object, as the processor receives it."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-12-02T01:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{cloud.ref('UploadsBucket')}"],
        "detail": {
            "version": "0",
            "bucket": {"name": cloud.ref("UploadsBucket")},
            "object": {"key": key, "size": 1, "etag": "x", "sequencer": "1"},
            "reason": "PostObject",
        },
    }


def fill_with_images(cloud: LocalCloud, seller: Actor, product_id: str, count: int) -> None:
    url = "https://cdn.example/old.jpg"
    images = [{"thumbnail": url, "medium": url, "large": url, "zoom": url}] * count
    patched = cloud.request(
        "PATCH", f"/v1/products/{product_id}", json={"images": images}, token=seller.token
    )
    assert patched.status == 200, patched.text


@pytest.fixture
def seller(actor: Callable[..., Actor]) -> Actor:
    return actor("seller")


@pytest.fixture
def product_id(listed: Callable[..., dict[str, Any]], seller: Actor) -> str:
    return str(listed(seller=seller)["product_id"])


# ---------------------------------------------------------------------- the happy path
def test_a_sellers_picture_becomes_four_jpegs_on_the_product(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    form = form_for(cloud, seller, product_id)
    assert form["url"] == os.environ["UPLOADS_FORM_URL"]
    assert form["fields"]["key"] == f"uploads/{product_id}/{form['upload_id']}"
    assert form["fields"]["Content-Type"] == "image/png"
    assert {"policy", "x-amz-signature", "x-amz-credential"} <= set(form["fields"])
    assert status_of(cloud, seller, form)["status"] == "pending"

    posted = post_form(cloud, form, png())

    assert posted.status == 204, posted.body
    upload = status_of(cloud, seller, form)
    assert (upload["status"], upload["reason"]) == ("ready", None)
    images = product(cloud, product_id)["images"]
    assert images == [upload["image"]]
    assert images[0]["alt"] == "Front view"
    for size, width in WIDTHS.items():
        response = served(cloud, images[0][size])
        assert response.status == 200, (size, response.body)
        assert response.header("content-type") == "image/jpeg"
        assert response.header("cache-control") == IMMUTABLE
        picture = Image.open(io.BytesIO(response.body))
        assert (picture.format, picture.width) == ("JPEG", width)
    assert bucket_keys(cloud, "UploadsBucket") == [], "the raw upload is deleted once processed"


def test_the_same_s3_event_twice_adds_the_image_once(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    form = form_for(cloud, seller, product_id)
    assert post_form(cloud, form, png(300, 200)).status == 204
    version = product(cloud, product_id)["version"]

    again = cloud.invoke("ImageProcessorFunction", object_created(cloud, form["fields"]["key"]))

    assert again["outcome"] == "duplicate"
    shown = product(cloud, product_id)
    assert (len(shown["images"]), shown["version"]) == (1, version)
    assert len(bucket_keys(cloud, "ImagesBucket")) == 4


def test_a_sellers_edit_decided_before_the_image_arrived_cannot_drop_it(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    before = product(cloud, product_id)["version"]
    form = form_for(cloud, seller, product_id)
    assert post_form(cloud, form, png(300, 200)).status == 204

    stale = cloud.request(
        "PATCH",
        f"/v1/products/{product_id}",
        json={"images": []},
        token=seller.token,
        headers={"If-Match": f'"{before}"'},
    )
    fresh = cloud.request("PATCH", f"/v1/products/{product_id}", json={"name": "Renamed"}, token=seller.token)

    assert stale.status == 412, stale.text
    assert fresh.status == 200, fresh.text
    assert len(fresh.json()["images"]) == 1


# ---------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("content_type", "data", "reason"),
    [
        ("image/jpeg", b"This is a text file named holiday.jpg, not a picture.\n" * 20, "not_an_image"),
        ("image/png", bomb(), "too_many_pixels"),
    ],
    ids=["text-file", "decompression-bomb"],
)
def test_a_file_that_is_not_a_safe_picture_is_rejected_and_leaves_nothing(
    cloud: LocalCloud, seller: Actor, product_id: str, content_type: str, data: bytes, reason: str
) -> None:
    before = product(cloud, product_id)
    form = form_for(cloud, seller, product_id, content_type)

    assert post_form(cloud, form, data).status == 204  # S3 takes any bytes the policy allows

    upload = status_of(cloud, seller, form)
    assert (upload["status"], upload["reason"], upload["image"]) == ("rejected", reason, None)
    assert bucket_keys(cloud, "ImagesBucket") == []
    assert bucket_keys(cloud, "UploadsBucket") == []
    after = product(cloud, product_id)
    assert (after["images"], after["version"]) == ([], before["version"])


def test_another_seller_cannot_get_a_form_or_see_an_upload(
    cloud: LocalCloud, actor: Callable[..., Actor], seller: Actor, product_id: str
) -> None:
    other, customer = actor("seller"), actor("customer")
    form = form_for(cloud, seller, product_id)

    refused = start_upload(cloud, other, product_id)
    assert (refused.status, refused.json()["code"]) == (403, "not_product_owner")
    assert start_upload(cloud, customer, product_id).status == 403
    anonymous = cloud.request(
        "POST", f"/v1/products/{product_id}/images/uploads", json={"content_type": "image/png"}
    )
    assert anonymous.status == 401
    assert cloud.request("GET", form["status_url"], token=other.token).status == 403
    assert start_upload(cloud, actor("admin"), product_id).status == 201


def test_the_eleventh_image_is_refused(cloud: LocalCloud, seller: Actor, product_id: str) -> None:
    fill_with_images(cloud, seller, product_id, 10)

    refused = start_upload(cloud, seller, product_id)

    assert refused.status == 409, refused.text
    assert refused.json()["code"] == "too_many_images"


def test_two_uploads_racing_for_the_tenth_slot_add_one_image(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    fill_with_images(cloud, seller, product_id, 9)
    first, second = form_for(cloud, seller, product_id), form_for(cloud, seller, product_id)

    assert post_form(cloud, first, png(200, 100)).status == 204
    assert post_form(cloud, second, png(200, 100)).status == 204

    assert status_of(cloud, seller, first)["status"] == "ready"
    assert (status_of(cloud, seller, second)["status"], status_of(cloud, seller, second)["reason"]) == (
        "rejected",
        "too_many_images",
    )
    assert len(product(cloud, product_id)["images"]) == 10
    assert all(first["upload_id"] in key for key in bucket_keys(cloud, "ImagesBucket"))


def test_a_bad_request_for_a_form_is_a_422(cloud: LocalCloud, seller: Actor, product_id: str) -> None:
    bodies: list[dict[str, Any]] = [
        {"content_type": "image/gif"},
        {"content_type": "image/png", "alt": "x" * 101},
        {"content_type": "image/png", "size": 10},
        {},
    ]
    for body in bodies:
        response = cloud.request(
            "POST", f"/v1/products/{product_id}/images/uploads", json=body, token=seller.token
        )
        assert response.status == 422, (body, response.text)
        assert response.json()["code"] == "validation_failed"
    assert start_upload(cloud, seller, "not-a-product-id").status == 422


def test_unknown_products_and_uploads_are_404(cloud: LocalCloud, seller: Actor, product_id: str) -> None:
    missing_product = start_upload(cloud, seller, "01JH9999999999999999999999")
    missing_upload = cloud.request(
        "GET", f"/v1/products/{product_id}/images/uploads/01JH9999999999999999999999", token=seller.token
    )

    assert (missing_product.status, missing_product.json()["code"]) == (404, "product_not_found")
    assert (missing_upload.status, missing_upload.json()["code"]) == (404, "upload_not_found")


# ---------------------------------------------------------------------- the form's policy, as S3 checks it
def test_the_form_only_takes_what_its_policy_allows(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    form = form_for(cloud, seller, product_id)
    fields = form["fields"]

    wrong_type = post_form(cloud, form, png(), fields={**fields, "Content-Type": "text/html"})
    other_key = post_form(cloud, form, png(), fields={**fields, "key": f"uploads/{product_id}/other"})
    extra_field = post_form(cloud, form, png(), fields={**fields, "acl": "public-read"})
    forged = post_form(cloud, form, png(), fields={**fields, "x-amz-signature": "0" * 64})
    too_large = post_form(cloud, form, b"\x89PNG" + b"\0" * (10 * 1024 * 1024))
    empty = post_form(cloud, form, b"")
    later = LocalFiles(
        cloud.client, cloud.resources.buckets, clock=lambda: datetime.now(UTC) + timedelta(minutes=16)
    )
    expired = post_form(cloud, form, png(), files=later)

    answers = {
        "wrong_type": (wrong_type, 403, "AccessDenied"),
        "other_key": (other_key, 403, "AccessDenied"),
        "extra_field": (extra_field, 403, "AccessDenied"),
        "forged": (forged, 403, "SignatureDoesNotMatch"),
        "too_large": (too_large, 400, "EntityTooLarge"),
        "empty": (empty, 400, "EntityTooSmall"),
        "expired": (expired, 403, "AccessDenied"),
    }
    for name, (response, status, code) in answers.items():
        assert response.status == status, (name, response.body)
        assert f"<Code>{code}</Code>".encode() in response.body, (name, response.body)
    assert bucket_keys(cloud, "UploadsBucket") == []
    assert status_of(cloud, seller, form)["status"] == "pending"


def test_images_answer_conditional_requests_and_missing_keys(
    cloud: LocalCloud, seller: Actor, product_id: str
) -> None:
    form = form_for(cloud, seller, product_id)
    post_form(cloud, form, png(300, 200))
    url = status_of(cloud, seller, form)["image"]["thumbnail"]
    etag = served(cloud, url).header("etag")
    assert etag

    again = served(cloud, url, [("If-None-Match", etag)])
    missing = served(cloud, url.replace("thumbnail.jpg", "nothing.jpg"))

    assert (again.status, again.body, again.header("etag")) == (304, b"", etag)
    assert missing.status == 404


# ---------------------------------------------------------------------- over a real socket
@pytest.fixture
def http_server(cloud: LocalCloud) -> Iterator[str]:
    """The local server (what `make run` starts) on a free port, sharing the session's cloud."""
    server = make_server(cloud.gateway, "127.0.0.1", 0, quiet=True, files=LocalFiles.of(cloud))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_browser_posts_the_form_and_loads_the_image_over_http(
    cloud: LocalCloud, seller: Actor, product_id: str, http_server: str
) -> None:
    form = form_for(cloud, seller, product_id)
    body, content_type = multipart(form["fields"], png(800, 400))
    post = urllib.request.Request(
        http_server + urlsplit(form["url"]).path,
        data=body,
        method="POST",
        headers={"Content-Type": content_type},
    )
    with urllib.request.urlopen(post, timeout=30) as posted:
        assert posted.status == 204

    image_url = status_of(cloud, seller, form)["image"]["medium"]
    with urllib.request.urlopen(http_server + urlsplit(image_url).path, timeout=30) as loaded:
        assert loaded.headers["Content-Type"] == "image/jpeg"
        assert loaded.headers["Cache-Control"] == IMMUTABLE
        assert Image.open(io.BytesIO(loaded.read())).size == (600, 300)

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(
            urllib.request.Request(
                http_server + urlsplit(form["url"]).path,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json"},
            ),
            timeout=30,
        )
    assert refused.value.code == 412
    assert json.dumps(product(cloud, product_id)["images"]).count("medium.jpg") == 1
