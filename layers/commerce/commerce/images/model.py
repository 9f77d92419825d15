"""Uploads of product pictures and the rules they follow, free of I/O.

An upload is a seller's promise to post one picture for one product within the form's
lifetime. It is ``pending`` until the processor has either added the picture to the product
(``ready``, with the four URLs) or refused it (``rejected``, with a reason code); both end
states are final, which is what makes a redelivered S3 event harmless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from commerce.catalog.model import ProductImage
from commerce.errors import Conflict, Forbidden
from commerce.identity import Principal, Role

__all__ = [
    "CLAIM_LEASE",
    "FORM_LIFETIME",
    "MAX_IMAGES_PER_PRODUCT",
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "UPLOAD_LIFETIME",
    "ImageRejected",
    "ImageSize",
    "RejectionReason",
    "Rendition",
    "Upload",
    "UploadContentType",
    "UploadStatus",
    "fitted",
    "image_key",
    "image_keys",
    "parse_upload_key",
    "product_image",
    "upload_key",
]

MAX_IMAGES_PER_PRODUCT = 10
#: The largest file a seller may post; S3 enforces it through the form's policy, the processor again.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Decoded size limit: 40 megapixels is a 7300x5500 photo, more than any storefront shows, and
#: at most ~160 MB decoded (RGBA), well inside the processor's 2 GB.
MAX_PIXELS = 40_000_000
#: How long a presigned form can be posted.
FORM_LIFETIME = timedelta(minutes=15)
#: How long the upload record (and the raw file, by the bucket's lifecycle rule) is kept.
UPLOAD_LIFETIME = timedelta(days=1)
#: How long one processing attempt owns an upload: longer than the processor's 60 s timeout, so
#: the claim of an attempt that died lapses before Lambda retries the event (1 to 2 minutes later).
CLAIM_LEASE = timedelta(seconds=90)

_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
_UPLOAD_KEY = re.compile(rf"^uploads/({_ULID})/({_ULID})$")


class UploadContentType(StrEnum):
    """What a seller may declare; the processor trusts the bytes, not this."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"


class UploadStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    REJECTED = "rejected"


class RejectionReason(StrEnum):
    NOT_AN_IMAGE = "not_an_image"
    TOO_LARGE = "too_large"
    #: More pixels than ``MAX_PIXELS``: a decompression bomb, or simply far too big a picture.
    TOO_MANY_PIXELS = "too_many_pixels"
    #: A real image, but not JPEG, PNG or WebP (GIF, TIFF, BMP, HEIC...).
    UNSUPPORTED_FORMAT = "unsupported_format"
    #: The product was archived or deleted before the picture was processed.
    PRODUCT_GONE = "product_gone"
    #: The product reached ``MAX_IMAGES_PER_PRODUCT`` while this upload was on its way.
    TOO_MANY_IMAGES = "too_many_images"


class ImageRejected(Exception):
    """The picture cannot become a product image; ``reason`` is what the seller is shown."""

    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class ImageSize(StrEnum):
    """The four renditions, each fitted inside a square of ``pixels`` and never enlarged."""

    THUMBNAIL = "thumbnail"
    MEDIUM = "medium"
    LARGE = "large"
    ZOOM = "zoom"

    @property
    def pixels(self) -> int:
        return _PIXELS[self]

    @classmethod
    def largest_first(cls) -> tuple[ImageSize, ...]:
        return (cls.ZOOM, cls.LARGE, cls.MEDIUM, cls.THUMBNAIL)


_PIXELS = {ImageSize.THUMBNAIL: 150, ImageSize.MEDIUM: 600, ImageSize.LARGE: 1200, ImageSize.ZOOM: 2400}


@dataclass(frozen=True, slots=True)
class Rendition:
    """One encoded size of a picture."""

    size: ImageSize
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"
    extension: str = "jpg"


def fitted(width: int, height: int, box: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled to fit a ``box`` square, never enlarged, never below 1 px."""
    longest = max(width, height)
    if longest <= box:
        return width, height
    scale = box / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def upload_key(product_id: str, upload_id: str) -> str:
    """Where the seller's form puts the raw file in the uploads bucket."""
    return f"uploads/{product_id}/{upload_id}"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """``(product_id, upload_id)`` of a key ``upload_key`` made; ``None`` for anything else."""
    match = _UPLOAD_KEY.match(key)
    return (match.group(1), match.group(2)) if match else None


def image_key(product_id: str, image_id: str, size: ImageSize, extension: str = "jpg") -> str:
    """Where a rendition lives in the images bucket; the key never changes content (immutable caching)."""
    return f"products/{product_id}/{image_id}/{size.value}.{extension}"


def image_keys(product_id: str, image_id: str) -> list[str]:
    return [image_key(product_id, image_id, size) for size in ImageSize.largest_first()]


def product_image(base_url: str, product_id: str, image_id: str, alt: str | None) -> ProductImage:
    base = base_url.rstrip("/")

    def url(size: ImageSize) -> str:
        return f"{base}/{image_key(product_id, image_id, size)}"

    return ProductImage(
        thumbnail=url(ImageSize.THUMBNAIL),
        medium=url(ImageSize.MEDIUM),
        large=url(ImageSize.LARGE),
        zoom=url(ImageSize.ZOOM),
        alt=alt,
    )


@dataclass(frozen=True, slots=True)
class Upload:
    upload_id: str
    product_id: str
    #: The product's seller when the upload began: who may read its status (and admins).
    seller_id: str
    #: Who asked for the form (the seller, or an admin acting for them).
    requested_by: str
    content_type: UploadContentType
    alt: str | None
    created_at: datetime
    expires_at: datetime
    status: UploadStatus = UploadStatus.PENDING
    reason: RejectionReason | None = None
    image: ProductImage | None = None
    settled_at: datetime | None = None

    @classmethod
    def start(
        cls,
        upload_id: str,
        product_id: str,
        seller_id: str,
        requested_by: str,
        content_type: UploadContentType,
        alt: str | None,
        now: datetime,
    ) -> Upload:
        return cls(
            upload_id=upload_id,
            product_id=product_id,
            seller_id=seller_id,
            requested_by=requested_by,
            content_type=content_type,
            alt=alt,
            created_at=now,
            expires_at=now + UPLOAD_LIFETIME,
        )

    @property
    def key(self) -> str:
        return upload_key(self.product_id, self.upload_id)

    @property
    def image_id(self) -> str:
        """One upload is one image: its id names the image's keys, so a retried attempt rewrites the
        same objects instead of leaving copies."""
        return self.upload_id

    @property
    def is_settled(self) -> bool:
        return self.status is not UploadStatus.PENDING

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def ensure_visible_to(self, principal: Principal) -> None:
        if principal.is_admin:
            return
        principal.require(Role.SELLER)
        if principal.user_id != self.seller_id:
            raise Forbidden("This upload belongs to another seller.", code="not_product_owner")

    def ready(self, image: ProductImage, now: datetime) -> Upload:
        self._ensure_pending()
        return replace(self, status=UploadStatus.READY, image=image, settled_at=now)

    def rejected(self, reason: RejectionReason, now: datetime) -> Upload:
        self._ensure_pending()
        return replace(self, status=UploadStatus.REJECTED, reason=reason, settled_at=now)

    def _ensure_pending(self) -> None:
        if self.is_settled:
            raise Conflict(f"The upload is already {self.status.value}.", code="upload_settled")
