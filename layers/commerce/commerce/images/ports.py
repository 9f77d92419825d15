"""What product images need from the outside world: upload records, presigned forms, object
storage and an image codec."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from commerce.images.model import Rendition, Upload, UploadContentType

__all__ = [
    "ClaimLost",
    "ImageRenderer",
    "ImageStore",
    "UploadForm",
    "UploadForms",
    "UploadRepository",
]


class ClaimLost(Exception):
    """Another processing attempt owns the upload now, or it was settled; nothing was written."""


class UploadRepository(ABC):
    """Upload records. Reads are strongly consistent."""

    @abstractmethod
    def add(self, upload: Upload) -> None: ...

    @abstractmethod
    def get(self, upload_id: str) -> Upload | None:
        """The record, expired or not (callers decide what expiry means to them)."""

    @abstractmethod
    def claim(self, upload_id: str, claim_id: str, now: datetime, until: datetime) -> bool:
        """Make ``claim_id`` the only attempt processing the pending upload until ``until``.

        False when the upload is unknown, settled, or claimed by an attempt whose claim is still
        live at ``now``: then someone else is doing (or has done) the work.
        """

    @abstractmethod
    def release(self, upload_id: str, claim_id: str) -> None:
        """Give a claim back after a failure that is worth retrying; no effect if no longer ours."""

    @abstractmethod
    def settle(self, upload: Upload, claim_id: str) -> None:
        """Store a rejected ``upload`` if ``claim_id`` still owns it; raises ``ClaimLost`` otherwise."""

    @abstractmethod
    def complete(self, upload: Upload, claim_id: str, max_images: int) -> None:
        """Append ``upload.image`` to its product and store the ready ``upload``, in one transaction.

        The product must exist, be active and hold fewer than ``max_images`` images; its version
        moves on, so a seller's edit decided on the old list fails instead of dropping the image.
        Raises ``ImageRejected`` (``product_gone``, ``too_many_images``) or ``ClaimLost``; in every
        case nothing was written.
        """


@dataclass(frozen=True, slots=True)
class UploadForm:
    """Where a browser posts the file, and the signed fields it posts with it."""

    url: str
    fields: dict[str, str] = field(default_factory=dict)


class UploadForms(ABC):
    @abstractmethod
    def form(
        self, key: str, content_type: UploadContentType, max_bytes: int, expires_in: timedelta
    ) -> UploadForm:
        """A form that can create exactly ``key``, only with ``content_type``, 1 to ``max_bytes`` long."""


class ImageStore(ABC):
    """Raw uploads on one side, the renditions the storefront serves on the other."""

    @abstractmethod
    def raw_size(self, key: str) -> int | None:
        """The raw upload's length without reading it; ``None`` when it is not there."""

    @abstractmethod
    def read_raw(self, key: str, max_bytes: int) -> bytes:
        """At most ``max_bytes``: raises ``ImageRejected(too_large)`` rather than read more."""

    @abstractmethod
    def delete_raw(self, key: str) -> None:
        """Idempotent."""

    @abstractmethod
    def put_image(self, key: str, rendition: Rendition) -> None:
        """Store a rendition for the CDN, cacheable forever (its key never changes content)."""

    @abstractmethod
    def delete_images(self, keys: Iterable[str]) -> None:
        """Idempotent: keys that are not there are fine."""


class ImageRenderer(ABC):
    @abstractmethod
    def render(self, data: bytes) -> list[Rendition]:
        """Every ``ImageSize`` of the picture in ``data``; raises ``ImageRejected`` for anything that
        is not a safe JPEG, PNG or WebP picture."""
