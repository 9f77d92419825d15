"""The Pillow renderer on small pictures made in memory: what it accepts and how it sizes them,
and what it refuses (text posing as a JPEG, truncated files, decompression bombs, other formats,
oversized files) before decoding more than a header."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from commerce.adapters.pillow_images import PillowRenderer
from commerce.images.model import (
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    ImageRejected,
    ImageSize,
    RejectionReason,
    Rendition,
)

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)
ORIENTATION = 0x0112
GPS_INFO = 0x8825


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def halves(width: int, height: int) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and header declaring ``width`` x ``height``, with a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def by_size(renditions: list[Rendition]) -> dict[ImageSize, Rendition]:
    return {rendition.size: rendition for rendition in renditions}


def decoded(rendition: Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(rendition.data))
    image.load()
    return image


def refusal(data: bytes, renderer: PillowRenderer | None = None) -> RejectionReason:
    with pytest.raises(ImageRejected) as refused:
        (renderer or PillowRenderer()).render(data)
    return refused.value.reason


# ---------------------------------------------------------------------- accepted
def test_a_landscape_photo_gets_four_jpegs_of_the_documented_widths() -> None:
    sizes = by_size(PillowRenderer().render(encoded(halves(3000, 2000), "PNG")))

    assert {size: (r.width, r.height) for size, r in sizes.items()} == {
        ImageSize.ZOOM: (2400, 1600),
        ImageSize.LARGE: (1200, 800),
        ImageSize.MEDIUM: (600, 400),
        ImageSize.THUMBNAIL: (150, 100),
    }
    for rendition in sizes.values():
        image = decoded(rendition)
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (rendition.width, rendition.height))
        assert image.info.get("progressive") == 1
        assert rendition.content_type == "image/jpeg"


def test_a_tall_picture_is_fitted_by_its_height() -> None:
    sizes = by_size(PillowRenderer().render(encoded(halves(300, 3000), "PNG")))

    assert [(sizes[s].width, sizes[s].height) for s in ImageSize.largest_first()] == [
        (240, 2400),
        (120, 1200),
        (60, 600),
        (15, 150),
    ]


def test_a_small_picture_is_never_enlarged() -> None:
    one_pixel = PillowRenderer().render(encoded(Image.new("RGB", (1, 1), RED), "PNG"))

    assert [(r.width, r.height) for r in one_pixel] == [(1, 1)] * 4
    assert decoded(one_pixel[0]).getpixel((0, 0)) == pytest.approx(RED, abs=8)

    medium_sized = by_size(PillowRenderer().render(encoded(halves(1000, 500), "JPEG")))
    assert (medium_sized[ImageSize.ZOOM].width, medium_sized[ImageSize.LARGE].width) == (1000, 1000)
    assert medium_sized[ImageSize.MEDIUM].width == 600


def test_exif_orientation_is_applied_to_the_pixels() -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # "rotate 90 degrees clockwise to display"
    sideways = encoded(halves(200, 100), "PNG", exif=exif)

    zoom = decoded(by_size(PillowRenderer().render(sideways))[ImageSize.ZOOM])

    assert zoom.size == (100, 200)
    assert zoom.getpixel((50, 10)) == pytest.approx(RED, abs=8), "the left edge is now the top"
    assert zoom.getpixel((50, 190)) == pytest.approx(BLUE, abs=8)
    assert ORIENTATION not in zoom.getexif(), "not rotated twice by a browser"


def test_metadata_such_as_the_gps_position_is_dropped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_INFO)[2] = (52.0, 31.0, 0.0)
    photo = encoded(halves(400, 300), "JPEG", exif=exif.tobytes())

    for rendition in PillowRenderer().render(photo):
        assert not decoded(rendition).getexif()


def test_transparency_becomes_white_not_black() -> None:
    clear = Image.new("RGBA", (40, 40), (0, 0, 0, 0))

    thumbnail = decoded(PillowRenderer().render(encoded(clear, "PNG"))[-1])

    assert thumbnail.getpixel((20, 20)) == pytest.approx(WHITE, abs=4)


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    grey = Image.new("I;16", (20, 20), 32768)

    pixel = decoded(PillowRenderer().render(encoded(grey, "PNG"))[-1]).getpixel((10, 10))

    assert pixel == pytest.approx((128, 128, 128), abs=4)


@pytest.mark.parametrize(
    ("format", "mode"), [("WEBP", "RGB"), ("JPEG", "CMYK"), ("PNG", "P"), ("PNG", "L"), ("JPEG", "L")]
)
def test_every_accepted_format_and_colour_mode_renders(format: str, mode: str) -> None:
    picture = halves(64, 48).convert(mode)

    renditions = PillowRenderer().render(encoded(picture, format))

    assert {decoded(r).mode for r in renditions} == {"RGB"}


# ---------------------------------------------------------------------- refused
def test_a_text_file_named_like_a_jpeg_is_not_an_image() -> None:
    assert refusal(b"holiday-photo.jpg\nThis is not really a photo, just text.\n" * 3) is (
        RejectionReason.NOT_AN_IMAGE
    )


def test_an_empty_file_is_not_an_image() -> None:
    assert refusal(b"") is RejectionReason.NOT_AN_IMAGE


def test_a_truncated_jpeg_is_refused() -> None:
    photo = encoded(Image.effect_noise((400, 400), 60).convert("RGB"), "JPEG")

    assert refusal(photo[: len(photo) // 3]) is RejectionReason.NOT_AN_IMAGE


def test_a_png_with_a_damaged_chunk_is_refused() -> None:
    data = bytearray(encoded(halves(64, 64), "PNG"))
    data[-20] ^= 0xFF  # inside the last IDAT chunk: its checksum no longer matches

    assert refusal(bytes(data)) is RejectionReason.NOT_AN_IMAGE


def test_a_tiny_png_declaring_thirty_thousand_pixels_square_is_a_decompression_bomb() -> None:
    bomb = png_header_only(30000, 30000)
    assert len(bomb) < 200

    assert refusal(bomb) is RejectionReason.TOO_MANY_PIXELS


def test_a_picture_just_over_the_pixel_limit_is_refused_too() -> None:
    """Pillow only warns between MAX_IMAGE_PIXELS and twice that; the renderer refuses."""
    side = int(MAX_PIXELS**0.5) + 100

    assert refusal(png_header_only(side, side)) is RejectionReason.TOO_MANY_PIXELS


def test_the_pixel_limit_is_the_renderers_own() -> None:
    strict = PillowRenderer(max_pixels=10_000)

    assert refusal(encoded(halves(120, 100), "PNG"), strict) is RejectionReason.TOO_MANY_PIXELS
    assert len(strict.render(encoded(halves(100, 100), "PNG"))) == 4


def test_a_file_of_eleven_mebibytes_is_too_large() -> None:
    eleven = b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024)
    assert len(eleven) > MAX_UPLOAD_BYTES

    assert refusal(eleven) is RejectionReason.TOO_LARGE


@pytest.mark.parametrize("format", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_unsupported(format: str) -> None:
    assert refusal(encoded(halves(32, 32), format)) is RejectionReason.UNSUPPORTED_FORMAT
