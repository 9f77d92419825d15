"""In-memory fakes of the product images ports, keeping the behaviour each port documents."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from commerce.catalog.model import ProductStatus
from commerce.images.model import (
    ImageRejected,
    ImageSize,
    RejectionReason,
    Rendition,
    Upload,
    UploadContentType,
    UploadStatus,
)
from commerce.images.ports import (
    ClaimLost,
    ImageRenderer,
    ImageStore,
    UploadForm,
    UploadForms,
    UploadRepository,
)
from unit.fakes import FakeProductRepository

__all__ = [
    "FakeImageStore",
    "FakeRenderer",
    "FakeUploadForms",
    "FakeUploadRepository",
    "Outage",
]


class Outage(Exception):
    """A dependency failing in a way worth retrying (throttling, a network error)."""


@dataclass
class _Claim:
    claim_id: str
    until: datetime


class FakeUploadRepository(UploadRepository):
    """Upload records in a dict; ``complete`` appends to the fake product repository's product."""

    def __init__(self, products: FakeProductRepository) -> None:
        self.products = products
        self.items: dict[str, Upload] = {}
        self.claims: dict[str, _Claim] = {}
        #: Raised by the next ``complete`` call, once (a throttled transaction).
        self.fail_next_complete: Exception | None = None
        #: Raised by the next ``complete`` call once it has written (a response lost on the way back).
        self.lose_next_completion: Exception | None = None

    def add(self, upload: Upload) -> None:
        assert upload.upload_id not in self.items
        self.items[upload.upload_id] = upload

    def get(self, upload_id: str) -> Upload | None:
        return self.items.get(upload_id)

    def claim(self, upload_id: str, claim_id: str, now: datetime, until: datetime) -> bool:
        upload = self.items.get(upload_id)
        if upload is None or upload.is_settled:
            return False
        held = self.claims.get(upload_id)
        if held is not None and held.until >= now:
            return False
        self.claims[upload_id] = _Claim(claim_id, until)
        return True

    def release(self, upload_id: str, claim_id: str) -> None:
        held = self.claims.get(upload_id)
        if held is not None and held.claim_id == claim_id:
            del self.claims[upload_id]

    def _owned(self, upload: Upload, claim_id: str) -> None:
        stored = self.items.get(upload.upload_id)
        held = self.claims.get(upload.upload_id)
        if stored is None or stored.is_settled or held is None or held.claim_id != claim_id:
            raise ClaimLost(upload.upload_id)

    def settle(self, upload: Upload, claim_id: str) -> None:
        self._owned(upload, claim_id)
        self.items[upload.upload_id] = upload
        del self.claims[upload.upload_id]

    def complete(self, upload: Upload, claim_id: str, max_images: int) -> None:
        if self.fail_next_complete is not None:
            failure, self.fail_next_complete = self.fail_next_complete, None
            raise failure
        assert upload.image is not None and upload.status is UploadStatus.READY
        self._owned(upload, claim_id)
        product = self.products.get(upload.product_id)
        if product is None or product.status is not ProductStatus.ACTIVE:
            raise ImageRejected(RejectionReason.PRODUCT_GONE, "gone")
        if len(product.images) >= max_images:
            raise ImageRejected(RejectionReason.TOO_MANY_IMAGES, "full")
        self.products.items[product.product_id] = replace(
            product, images=(*product.images, upload.image), version=product.version + 1
        )
        self.items[upload.upload_id] = upload
        del self.claims[upload.upload_id]
        if self.lose_next_completion is not None:
            failure, self.lose_next_completion = self.lose_next_completion, None
            raise failure


class FakeUploadForms(UploadForms):
    def __init__(self) -> None:
        self.issued: list[tuple[str, UploadContentType, int, timedelta]] = []

    def form(
        self, key: str, content_type: UploadContentType, max_bytes: int, expires_in: timedelta
    ) -> UploadForm:
        self.issued.append((key, content_type, max_bytes, expires_in))
        return UploadForm("https://uploads.example/", {"key": key, "Content-Type": content_type.value})


class FakeImageStore(ImageStore):
    def __init__(self) -> None:
        self.raw: dict[str, bytes] = {}
        self.images: dict[str, Rendition] = {}
        self.reads = 0
        #: Raised by ``put_image`` for keys ending with it (a storage outage mid-way).
        self.fail_puts_ending: str | None = None

    def raw_size(self, key: str) -> int | None:
        data = self.raw.get(key)
        return None if data is None else len(data)

    def read_raw(self, key: str, max_bytes: int) -> bytes:
        self.reads += 1
        data = self.raw[key]
        if len(data) > max_bytes:
            raise ImageRejected(RejectionReason.TOO_LARGE, "too large")
        return data

    def delete_raw(self, key: str) -> None:
        self.raw.pop(key, None)

    def put_image(self, key: str, rendition: Rendition) -> None:
        if self.fail_puts_ending is not None and key.endswith(self.fail_puts_ending):
            raise Outage(f"cannot write {key}")
        self.images[key] = rendition

    def delete_images(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.images.pop(key, None)


class FakeRenderer(ImageRenderer):
    """Renders anything starting with ``PICTURE``; refuses the rest with the reason ``refuse`` gives."""

    def __init__(self, refuse: Callable[[bytes], RejectionReason | None] | None = None) -> None:
        self.refuse = refuse or (
            lambda data: None if data.startswith(b"PICTURE") else RejectionReason.NOT_AN_IMAGE
        )
        self.rendered = 0

    def render(self, data: bytes) -> list[Rendition]:
        reason = self.refuse(data)
        if reason is not None:
            raise ImageRejected(reason, reason.value)
        self.rendered += 1
        return [
            Rendition(size, f"{size.value}:".encode() + data, size.pixels, size.pixels)
            for size in ImageSize.largest_first()
        ]
