"""Turns an uploaded file into the four product image sizes with Pillow, refusing anything that is
not a safe JPEG, PNG or WebP picture.

Output is baseline-compatible progressive JPEG at quality 85, not WebP: WebP would be ~25-30%
smaller, but the same files go into order and back-in-stock emails (Outlook and several
webmail clients still do not show WebP) and into link previews and shopping feeds, where JPEG
is the one format every consumer reads. Progressive JPEGs paint a full preview early on slow
connections, and libjpeg-turbo encodes them faster than libwebp does WebP. If bandwidth matters
more later, WebP copies can be added beside the JPEGs (``<picture>``) without changing a key.

Safety, in order: a size cap before decoding; only the JPEG, PNG and WebP decoders are tried;
the declared pixel count is checked from the header alone (Pillow's ``MAX_IMAGE_PIXELS`` and
our own check, with ``DecompressionBombWarning`` turned into an error), so a tiny file that
claims 30000x30000 pixels is refused before a byte of it is inflated; ``verify()`` checks the
file's structure (PNG checksums) and a full decode catches truncation. Renditions carry no
metadata: EXIF orientation is applied to the pixels, and the rest (GPS position, camera serial
numbers) is dropped.
"""

from __future__ import annotations

import contextlib
import io
import struct
import warnings

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from commerce.images.model import (
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    ImageRejected,
    ImageSize,
    RejectionReason,
    Rendition,
    fitted,
)
from commerce.images.ports import ImageRenderer

__all__ = ["JPEG_QUALITY", "PillowRenderer"]

JPEG_QUALITY = 85
_ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
#: What Pillow's decoders raise on malformed input (besides its decompression-bomb errors).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)
_WHITE = (255, 255, 255)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _bomb(pixels: int, limit: int) -> ImageRejected:
    return ImageRejected(
        RejectionReason.TOO_MANY_PIXELS, f"The picture declares {pixels} pixels; at most {limit} are taken."
    )


class PillowRenderer(ImageRenderer):
    def __init__(
        self, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_UPLOAD_BYTES, quality: int = JPEG_QUALITY
    ) -> None:
        self.max_pixels = max_pixels
        self.max_bytes = max_bytes
        self.quality = quality

    def render(self, data: bytes) -> list[Rendition]:
        if len(data) > self.max_bytes:
            raise ImageRejected(RejectionReason.TOO_LARGE, f"The file is larger than {self.max_bytes} bytes.")
        # Pillow warns from MAX_IMAGE_PIXELS and refuses from twice that; the warning must refuse too.
        # Set on every call: test runners and other code may reset warning filters.
        Image.MAX_IMAGE_PIXELS = self.max_pixels
        warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
        self._check(data)
        picture = self._decode(data)
        return self._renditions(picture)

    # ------------------------------------------------------------------ checks
    def _open(self, data: bytes) -> Image.Image:
        try:
            image = Image.open(io.BytesIO(data), formats=_ACCEPTED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRejected(RejectionReason.TOO_MANY_PIXELS, str(error)) from None
        except UnidentifiedImageError:
            if self._is_other_image(data):
                raise ImageRejected(
                    RejectionReason.UNSUPPORTED_FORMAT, "Only JPEG, PNG and WebP pictures are taken."
                ) from None
            raise ImageRejected(RejectionReason.NOT_AN_IMAGE, "The file is not a picture.") from None
        except _DECODE_ERRORS:
            raise ImageRejected(RejectionReason.NOT_AN_IMAGE, "The file is not a readable picture.") from None
        pixels = image.width * image.height
        if pixels > self.max_pixels:
            raise _bomb(pixels, self.max_pixels)
        if pixels == 0:
            raise ImageRejected(RejectionReason.NOT_AN_IMAGE, "The picture has no pixels.")
        return image

    @staticmethod
    def _is_other_image(data: bytes) -> bool:
        """Whether any of Pillow's other decoders recognises the header (nothing is decoded)."""
        try:
            with Image.open(io.BytesIO(data)):
                return True
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return True
        except _DECODE_ERRORS:
            return False

    def _check(self, data: bytes) -> None:
        with self._open(data) as image:
            try:
                image.verify()
            except _DECODE_ERRORS:
                raise ImageRejected(RejectionReason.NOT_AN_IMAGE, "The picture is damaged.") from None

    # ------------------------------------------------------------------ decoding
    def _decode(self, data: bytes) -> Image.Image:
        """The picture upright, in sRGB, as RGB pixels (transparency over white)."""
        image = self._open(data)  # verify() leaves an image unusable: open it again
        try:
            if image.format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when even the zoom size needs no more.
                image.draft("RGB", (ImageSize.ZOOM.pixels, ImageSize.ZOOM.pixels))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRejected(RejectionReason.TOO_MANY_PIXELS, str(error)) from None
        except _DECODE_ERRORS:
            raise ImageRejected(
                RejectionReason.NOT_AN_IMAGE, "The picture is damaged or truncated."
            ) from None
        with contextlib.suppress(*_DECODE_ERRORS):  # unreadable EXIF: show the pixels as stored
            ImageOps.exif_transpose(image, in_place=True)
        try:
            return _flatten(_to_srgb(image))
        except _DECODE_ERRORS:
            raise ImageRejected(
                RejectionReason.NOT_AN_IMAGE, "The picture's colours cannot be read."
            ) from None

    # ------------------------------------------------------------------ output
    def _renditions(self, picture: Image.Image) -> list[Rendition]:
        renditions: list[Rendition] = []
        source = picture
        for size in ImageSize.largest_first():
            width, height = fitted(picture.width, picture.height, size.pixels)
            if source.size != (width, height):
                # Each size from the previous, larger one: at least halving each time, which Lanczos
                # handles well, and far cheaper than going back to the full picture.
                source = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            renditions.append(Rendition(size, self._encode(source), width, height))
        return renditions

    def _encode(self, image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=self.quality, progressive=True, optimize=True)
        return buffer.getvalue()


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours as the camera meant them: browsers assume sRGB for an image without a profile,
    and the renditions carry none."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(
            image, source, _SRGB, outputMode="RGBA" if image.mode == "RGBA" else "RGB"
        )
    except (ImageCms.PyCMSError, *_DECODE_ERRORS):
        return image  # a profile lcms cannot use: keep the pixels as they are
    return converted if converted is not None else image


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I") or image.mode == "F":
        # 16-bit and 32-bit greyscale: scale to 8 bits rather than clip everything to white.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    return image if image.mode == "RGB" else image.convert("RGB")
