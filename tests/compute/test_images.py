"""decode_upload: every refusal has its status and comes fast; every accepted mode ends as RGB."""

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from app.compute.errors import InputError
from app.compute.images import MAX_FULL_DECODE_PIXELS, decode_upload, to_rgb

LIMITS = {"max_bytes": 10 * 2**20, "max_pixels": 40_000_000}
FAST_S = 0.5  # "a fraction of a second", with room for a slow CI machine


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk with a correct CRC."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR claims width×height RGB pixels, with one row of real data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\x00" * 3)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def refused(data, status: int, **limits) -> InputError:
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        decode_upload(data, **{**LIMITS, **limits})
    elapsed = time.perf_counter() - start
    assert err.value.status == status, err.value.messages["en"]
    assert err.value.messages["en"] and err.value.messages["ru"]
    assert elapsed < FAST_S, f"took {elapsed:.2f} s"
    return err.value


def decoded(data: bytes, **limits) -> Image.Image:
    image = decode_upload(data, **{**LIMITS, **limits})
    assert image.mode == "RGB"
    return image


def pixel(image: Image.Image, xy) -> tuple:
    return image.getpixel(xy)


# ---- refusals ----


def test_empty_is_400():
    refused(b"", 400)


def test_too_many_bytes_is_413():
    refused(encode(Image.new("RGB", (64, 64)), "PNG"), 413, max_bytes=50)


@pytest.mark.parametrize(
    "data",
    [
        b"hello, world",
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>',
        b"%PDF-1.4\n",
        b"\x00" * 100,
    ],
)
def test_not_an_allowed_format_is_415(data):
    refused(data, 415)


def test_tiff_is_415():
    refused(encode(Image.new("RGB", (8, 8)), "TIFF"), 415)


def test_rle_bmp_is_415():
    data = bytearray(encode(Image.new("P", (16, 16)), "BMP"))
    offset = struct.unpack_from("<I", data, 10)[0]
    struct.pack_into("<I", data, 30, 1)  # BI_RLE8
    refused(bytes(data[:offset]) + b"\x00\x00" * 50_000 + b"\x00\x01", 415)


def test_png_claiming_huge_dimensions_is_413_before_decoding():
    data = png_claiming(100_000, 100_000)
    assert len(data) < 100
    refused(data, 413)
    # below Pillow's own bomb limit, our pixel limit answers
    err = refused(png_claiming(8_000, 6_000), 413)
    assert "8000×6000" in err.messages["en"]
    refused(png_claiming(300, 300), 413, max_pixels=10_000)


@pytest.mark.parametrize("fmt", ["GIF", "BMP"])
def test_other_formats_claiming_huge_dimensions_are_413(fmt):
    data = bytearray(encode(Image.new("P" if fmt == "GIF" else "RGB", (10, 10)), fmt))
    if fmt == "GIF":
        data[6:10] = struct.pack("<HH", 60_000, 60_000)  # logical screen
    else:
        data[18:26] = struct.pack("<ii", 60_000, 60_000)
    refused(bytes(data), 413)


def test_real_webp_over_the_pixel_limit_is_413():
    data = encode(Image.new("RGB", (4_000, 3_000)), "WEBP", lossless=True)
    refused(data, 413, max_pixels=1_000_000)


@pytest.mark.parametrize("size", [(2_100, 100), (100, 2_100)])
def test_extreme_aspect_ratio_is_422(size):
    refused(encode(Image.new("L", size), "PNG"), 422)
    decoded(encode(Image.new("L", size), "PNG"), max_aspect=25.0)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP"])
def test_truncated_is_400(fmt):
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    data = encode(noisy.convert("P") if fmt == "GIF" else noisy, fmt)
    refused(data[: len(data) // 2], 400)


def test_garbage_after_a_signature_is_400():
    refused(b"\x89PNG\r\n\x1a\n" + b"\x13" * 200, 400)
    refused(b"\xff\xd8\xff\xe0" + b"\x00" * 200, 400)
    refused(b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 50, 400)
    refused(b"GIF89a" + b"\x01" * 30, 400)


def test_bad_ihdr_crc_is_400():
    data = bytearray(png_claiming(4, 4))
    data[29] ^= 0xFF  # a byte of the IHDR CRC
    refused(bytes(data), 400)


def test_png_with_a_million_chunks_is_refused_fast():
    body = png_claiming(1, 1)
    many = chunk(b"tEXt", b"k\x00v") * 500_000  # 7.5 MB of tiny chunks after IHDR
    assert "unusual" in refused(body[:33] + many + body[33:], 400).messages["en"]


def test_jpeg_with_many_markers_or_fill_is_refused_fast():
    data = encode(Image.new("RGB", (8, 8)), "JPEG")
    first_segment_end = 4 + struct.unpack(">H", data[4:6])[0]
    for bad in (
        data[:2] + b"\xff\xfe\x00\x03x" * 1_000_000 + data[2:],  # a million comments
        data[:first_segment_end] + b"\x00" * 5_000_000 + data[first_segment_end:],  # junk
        data[:first_segment_end] + b"\xff" * 5_000_000 + data[first_segment_end:],  # fill bytes
    ):
        assert "unusual" in refused(bad, 400).messages["en"]


def test_jpeg_with_too_many_scans_is_refused():
    data = encode(Image.new("RGB", (8, 8)), "JPEG", progressive=True)
    many_scans = data[:-2] + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" * 200 + b"\xff\xd9"
    assert "unusual" in refused(many_scans, 400).messages["en"]


def test_gif_with_many_extensions_is_refused_fast():
    data = encode(Image.new("P", (10, 10)), "GIF")
    table = 3 * 2 ** ((data[10] & 7) + 1) if data[10] & 0x80 else 0
    start = 13 + table
    assert "unusual" in refused(data[:start] + b"\x21\xfe\x01x\x00" * 1_000_000 + data[start:], 400).messages["en"]


# ---- accepted images ----


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP"])
def test_plain_formats_decode(fmt):
    options = {"quality": 95} if fmt == "JPEG" else {}
    image = decoded(encode(Image.new("RGB", (30, 20), (200, 30, 40)), fmt, **options))
    assert image.size == (30, 20)
    assert np.allclose(pixel(image, (5, 5)), (200, 30, 40), atol=6)


def test_gif_gives_its_first_frame():
    red = Image.new("RGB", (16, 16), (255, 0, 0)).convert("P")
    blue = Image.new("RGB", (16, 16), (0, 0, 255)).convert("P")
    data = encode(red, "GIF", save_all=True, append_images=[blue], duration=100, loop=0)
    assert pixel(decoded(data), (3, 3)) == (255, 0, 0)


def test_exif_orientation_is_applied():
    stored = Image.new("RGB", (40, 20))
    stored.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    stored.paste((0, 0, 255), (20, 0, 40, 20))  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: display rotated 90° clockwise
    image = decoded(encode(stored, "JPEG", exif=exif.tobytes(), quality=95))
    assert image.size == (20, 40)
    assert np.allclose(pixel(image, (10, 5)), (255, 0, 0), atol=20)  # the left half is now on top
    assert np.allclose(pixel(image, (10, 35)), (0, 0, 255), atol=20)


def test_cmyk_jpeg_becomes_rgb():
    data = encode(Image.new("CMYK", (8, 8), (0, 0, 0, 0)), "JPEG", quality=95)
    assert np.allclose(pixel(decoded(data), (4, 4)), (255, 255, 255), atol=3)


def test_16_bit_png_is_scaled_not_clipped():
    values = np.array([[0, 32_896, 65_535, 1_000]], dtype=np.uint16)
    source = Image.fromarray(values)
    assert source.mode == "I;16"
    image = decoded(encode(source, "PNG"), max_aspect=4.0)
    assert [pixel(image, (x, 0))[0] for x in range(4)] == [0, 128, 255, 4]


def test_32_bit_integer_image_is_scaled():
    image = to_rgb(Image.fromarray(np.array([[0, 65_535, 70_000]], dtype=np.int32)))
    assert [pixel(image, (x, 0)) for x in range(3)] == [(0, 0, 0), (255, 255, 255), (255, 255, 255)]


def test_grayscale_and_palette_become_rgb():
    assert pixel(decoded(encode(Image.new("L", (4, 4), 77), "PNG")), (1, 1)) == (77, 77, 77)
    palette = Image.new("RGB", (4, 4), (10, 200, 30)).convert("P", palette=Image.Palette.ADAPTIVE)
    assert pixel(decoded(encode(palette, "PNG")), (1, 1)) == (10, 200, 30)
    assert pixel(decoded(encode(Image.new("1", (4, 4), 1), "BMP")), (1, 1)) == (255, 255, 255)


def test_alpha_is_composited_onto_white():
    rgba = Image.new("RGBA", (4, 1), (0, 0, 0, 0))
    rgba.putpixel((1, 0), (0, 0, 0, 255))
    rgba.putpixel((2, 0), (0, 0, 0, 128))
    image = decoded(encode(rgba, "PNG"), max_aspect=4.0)
    assert pixel(image, (0, 0)) == (255, 255, 255)
    assert pixel(image, (1, 0)) == (0, 0, 0)
    assert pixel(image, (2, 0))[0] == pytest.approx(127, abs=1)

    la = Image.new("LA", (2, 2), (0, 0))
    assert pixel(decoded(encode(la, "PNG")), (0, 0)) == (255, 255, 255)


def test_transparent_palette_index_is_white():
    frame = Image.new("P", (4, 4), 0)
    frame.putpalette([0, 0, 0, 255, 0, 0])
    frame.putpixel((1, 1), 1)
    image = decoded(encode(frame, "GIF", transparency=0))
    assert pixel(image, (0, 0)) == (255, 255, 255)
    assert pixel(image, (1, 1)) == (255, 0, 0)


def test_progressive_jpeg_is_fine():
    data = encode(Image.new("RGB", (64, 48), (10, 20, 30)), "JPEG", progressive=True)
    assert decoded(data).size == (64, 48)


def test_accepts_bytearray_and_memoryview():
    data = encode(Image.new("RGB", (4, 4)), "PNG")
    assert decoded(bytearray(data)).size == (4, 4)
    assert decoded(memoryview(data)).size == (4, 4)


def test_rgb_png_with_a_transparent_colour_key_is_white_there():
    rgb = Image.new("RGB", (2, 1), (0, 0, 0))
    rgb.putpixel((1, 0), (9, 9, 9))
    image = decoded(encode(rgb, "PNG", transparency=(0, 0, 0)))
    assert pixel(image, (0, 0)) == (255, 255, 255)
    assert pixel(image, (1, 0)) == (9, 9, 9)


def test_min_side_decodes_large_jpegs_at_a_reduced_scale_but_never_below_it():
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1500), (200, 100, 50)).save(buffer, format="JPEG")
    data = buffer.getvalue()
    full = decode_upload(data, max_bytes=10**8, max_pixels=10**8)
    reduced = decode_upload(data, max_bytes=10**8, max_pixels=10**8, min_side=256)
    assert full.size == (2000, 1500)
    assert 256 <= min(reduced.size) < 1500 and reduced.size[0] / reduced.size[1] == pytest.approx(4 / 3, rel=0.01)
    # PNG has no reduced-scale decoding: it is decoded whole, then reduced by a whole factor (600 // 100 = 4
    # on the shorter side 400), never below min_side.
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400)).save(buffer, format="PNG")
    assert decode_upload(buffer.getvalue(), max_bytes=10**8, max_pixels=10**8, min_side=100).size == (150, 100)
    assert decode_upload(buffer.getvalue(), max_bytes=10**8, max_pixels=10**8, min_side=300).size == (600, 400)


def reduced_mean(data: bytes, min_side: int) -> tuple:
    image = decode_upload(data, max_bytes=10**8, max_pixels=10**8, min_side=min_side)
    return image.size, tuple(np.asarray(image, dtype=np.float64).mean(axis=(0, 1)).round(1))


def test_reduction_keeps_orientation_alpha_and_sixteen_bit_levels():
    # EXIF orientation 6 (rotate 90° clockwise to view) on a 400×200 PNG: upright it is 200×400, reduced 2×.
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(Image.new("RGB", (400, 200), (10, 20, 30)), "PNG", exif=exif)
    assert reduced_mean(data, 100) == ((100, 200), (10.0, 20.0, 30.0))
    # Transparent pixels are composited onto white after the reduction, as before it.
    data = encode(Image.new("RGBA", (400, 400), (0, 0, 0, 0)), "PNG")
    assert reduced_mean(data, 100) == ((100, 100), (255.0, 255.0, 255.0))
    # 16-bit grey 0x8080 = 32896 is 128 in 8 bits (32896 / 257 = 128), reduced or not.
    data = encode(Image.new("I;16", (400, 400), 32896), "PNG")
    assert reduced_mean(data, 100) == ((100, 100), (128.0, 128.0, 128.0))
    assert reduced_mean(data, 300) == ((400, 400), (128.0, 128.0, 128.0))


def test_formats_decoded_whole_are_held_to_the_full_decode_limit_from_their_header():
    # A 6324×6324 16-bit PNG of 90 KB (40 megapixels) and a lossless WebP of 5000×5000: refused from the header,
    # before any pixel is decoded, even with min_side (only JPEG decodes at a reduced scale).
    png = png_claiming(6324, 6324)
    error = refused(png, 413, min_side=256)
    assert "6324×6324" in error.messages["en"] and f"{MAX_FULL_DECODE_PIXELS:,}" in error.messages["en"]
    webp = encode(Image.new("RGB", (5000, 5000)), "WEBP", lossless=True)
    refused(webp, 413, min_side=256)
    # A JPEG of the same size is accepted when min_side lets it decode at 1/8 scale, refused without.
    jpeg = encode(Image.new("RGB", (4000, 3000), (1, 2, 3)), "JPEG")
    assert decode_upload(jpeg, **LIMITS, min_side=256).size == (500, 375)
    refused(jpeg, 413, max_full_pixels=10_000_000)
