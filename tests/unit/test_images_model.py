"""The rules of an upload, free of I/O: where its files live, how sizes are fitted, and that a
settled upload never changes again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.catalog.model import ProductImage
from commerce.errors import Conflict, Forbidden
from commerce.identity import Role
from commerce.images.model import (
    UPLOAD_LIFETIME,
    ImageSize,
    RejectionReason,
    Upload,
    UploadContentType,
    UploadStatus,
    fitted,
    image_key,
    parse_upload_key,
    product_image,
    upload_key,
)
from unit.fakes import principal

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
PRODUCT = "01JH0000000000000000000001"
UPLOAD = "01JH0000000000000000000002"


def pending() -> Upload:
    return Upload.start(UPLOAD, PRODUCT, "seller-1", "seller-1", UploadContentType.JPEG, "Front", NOW)


def test_an_upload_key_names_the_product_and_the_upload() -> None:
    key = upload_key(PRODUCT, UPLOAD)

    assert key == f"uploads/{PRODUCT}/{UPLOAD}"
    assert parse_upload_key(key) == (PRODUCT, UPLOAD)


@pytest.mark.parametrize(
    "key",
    [
        "uploads/elsewhere.png",
        f"uploads/{PRODUCT}/{UPLOAD}/extra",
        f"products/{PRODUCT}/{UPLOAD}",
        f"uploads/{PRODUCT}/not-an-id",
        f"uploads/{PRODUCT.lower()}/{UPLOAD}",
    ],
)
def test_keys_no_form_could_have_made_are_not_uploads(key: str) -> None:
    assert parse_upload_key(key) is None


def test_an_image_is_four_urls_under_the_cdn() -> None:
    image = product_image("https://cdn.example/", PRODUCT, UPLOAD, "Front")

    base = f"https://cdn.example/products/{PRODUCT}/{UPLOAD}"
    assert image == ProductImage(
        f"{base}/thumbnail.jpg", f"{base}/medium.jpg", f"{base}/large.jpg", f"{base}/zoom.jpg", "Front"
    )
    assert image_key(PRODUCT, UPLOAD, ImageSize.ZOOM) == f"products/{PRODUCT}/{UPLOAD}/zoom.jpg"


def test_the_sizes_are_150_600_1200_and_2400_pixels() -> None:
    assert [size.pixels for size in ImageSize.largest_first()] == [2400, 1200, 600, 150]


@given(st.integers(1, 40_000), st.integers(1, 40_000), st.sampled_from(ImageSize.largest_first()))
def test_a_fitted_size_fits_keeps_its_shape_and_is_never_enlarged(
    width: int, height: int, size: ImageSize
) -> None:
    fitted_width, fitted_height = fitted(width, height, size.pixels)

    assert 1 <= fitted_width <= width and 1 <= fitted_height <= height
    scale = min(1.0, size.pixels / max(width, height))
    assert abs(fitted_width - width * scale) <= 1 and abs(fitted_height - height * scale) <= 1
    assert max(fitted_width, fitted_height) == min(max(width, height), size.pixels)


def test_an_upload_starts_pending_and_is_kept_a_day() -> None:
    upload = pending()

    assert upload.status is UploadStatus.PENDING and not upload.is_settled
    assert upload.expires_at == NOW + UPLOAD_LIFETIME
    assert not upload.is_expired(NOW + UPLOAD_LIFETIME / 2)
    assert upload.is_expired(NOW + UPLOAD_LIFETIME)
    assert upload.image_id == upload.upload_id


def test_a_settled_upload_is_final() -> None:
    image = product_image("https://cdn.example", PRODUCT, UPLOAD, None)
    ready = pending().ready(image, NOW)
    rejected = pending().rejected(RejectionReason.NOT_AN_IMAGE, NOW)

    assert (ready.status, ready.image, ready.settled_at) == (UploadStatus.READY, image, NOW)
    assert (rejected.status, rejected.reason) == (UploadStatus.REJECTED, RejectionReason.NOT_AN_IMAGE)
    for settled in (ready, rejected):
        with pytest.raises(Conflict):
            settled.ready(image, NOW)
        with pytest.raises(Conflict):
            settled.rejected(RejectionReason.TOO_LARGE, NOW)


def test_only_the_products_seller_and_admins_see_an_upload() -> None:
    upload = pending()

    upload.ensure_visible_to(principal("seller-1", Role.SELLER))
    upload.ensure_visible_to(principal("admin-1", Role.ADMIN))
    with pytest.raises(Forbidden):
        upload.ensure_visible_to(principal("seller-2", Role.SELLER))
    with pytest.raises(Forbidden):
        upload.ensure_visible_to(principal("seller-1", Role.CUSTOMER))
