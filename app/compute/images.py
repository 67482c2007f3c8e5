"""Uploaded images decoded defensively: size, format and pixel limits checked before any decoding."""

import io
import math
import re
import struct

import numpy as np
from PIL import Image

from app.compute.errors import InputError

# Formats told apart by their first bytes, never by the file name or the client's content type.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)
ALLOWED = "PNG, JPEG, WebP, GIF, BMP"

# Pillow walks these containers in Python, so a file of many tiny blocks could keep it busy
# for seconds; real files stay far below these counts.
MAX_PNG_CHUNKS = 20_000  # libpng writes 8 KiB IDAT chunks: 10 MB is about 1,300 of them
MAX_JPEG_SEGMENTS = 1_000  # segments before the first scan; cameras write a few dozen
MAX_JPEG_SCANS = 100  # a progressive JPEG has about 10; each scan is a pass over the image
MAX_JPEG_GAP = 1_024  # bytes of fill or junk tolerated between two segments
MAX_GIF_BLOCKS = 10_000  # extension sub-blocks before the first frame
BMP_PLAIN = (0, 3)  # BI_RGB, BI_BITFIELDS; Pillow decodes RLE in Python
# Only JPEG can be decoded at a reduced scale (1/2, 1/4, 1/8); every other format is decoded whole, so its pixel
# count bounds the memory and time of a request: 2^23 pixels (a 4K screenshot) is about 34 MB as RGBA and a
# quarter of a second to inflate, far more than the 800-px models need.
MAX_FULL_DECODE_PIXELS = 2**23
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
# EXIF orientation -> the transpose that makes the image upright (as ImageOps.exif_transpose does).
ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
NOT_FF = re.compile(rb"[^\xff]")


def sniff_format(data: bytes) -> str | None:
    """The allowed format these bytes start with, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for signature, name in SIGNATURES:
        if data.startswith(signature):
            return name
    return None


def _png_ok(data: bytes) -> bool:
    """At most MAX_PNG_CHUNKS chunks up to IEND."""
    pos = 8
    for _ in range(MAX_PNG_CHUNKS):
        if pos + 8 > len(data):
            return True  # cut short: Pillow reports it while decoding
        length, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"IEND":
            return True
        pos += 12 + length  # length, type, data, CRC
    return False


def _jpeg_ok(data: bytes) -> bool:
    """Few segments before the first scan, little junk between them, not too many scans."""
    pos = 2
    for _ in range(MAX_JPEG_SEGMENTS):
        start = data.find(b"\xff", pos)
        if start < 0:
            return True
        fill = NOT_FF.search(data, start)
        if fill is None:
            return True
        if start - pos > MAX_JPEG_GAP or fill.start() - start > MAX_JPEG_GAP:
            return False
        marker, pos = data[fill.start()], fill.start() + 1
        if marker == 0xDA:  # SOS; inside entropy-coded data a literal 0xFF is followed by 0x00
            return data.count(b"\xff\xda", pos) + 1 <= MAX_JPEG_SCANS
        if marker == 0xD9:
            return True
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue  # markers without a length field
        if pos + 2 > len(data):
            return True
        pos += struct.unpack_from(">H", data, pos)[0]
    return False


def _gif_ok(data: bytes) -> bool:
    """At most MAX_GIF_BLOCKS extension sub-blocks before the first frame."""
    pos = 13  # header and logical screen descriptor
    if len(data) > 10 and data[10] & 0x80:
        pos += 3 * 2 ** ((data[10] & 0x07) + 1)  # global colour table
    blocks = 0
    while pos < len(data) and data[pos] == 0x21:  # extension introducer
        pos += 2
        while pos < len(data):
            size = data[pos]
            pos += 1 + size
            blocks += 1
            if blocks > MAX_GIF_BLOCKS:
                return False
            if size == 0:
                break
    return True


STRUCTURE_CHECKS = {"PNG": _png_ok, "JPEG": _jpeg_ok, "GIF": _gif_ok}


def _corrupt() -> InputError:
    return InputError(
        en="The image file is damaged or cut short and can't be read.",
        ru="Файл изображения повреждён или обрезан, прочитать его не получается.",
        status=400,
    )


def _too_many_pixels(width: int, height: int, max_pixels: int) -> InputError:
    limit_ru = f"{max_pixels:,}".replace(",", "\u00a0")  # Russian groups digits with spaces
    return InputError(
        en=f"The image is {width}×{height} pixels; at most {max_pixels:,} pixels are accepted. Please make it smaller.",
        ru=f"Размер изображения {width}×{height} пикселей; допускается не больше {limit_ru} пикселей. "
        "Уменьшите его, пожалуйста.",
        status=413,
    )


def sixteen_to_gray(image: Image.Image) -> Image.Image:
    """16-bit samples (a 32-bit "I" holds them too) scaled to 8-bit "L" as round(v / 257), in integers.

    PIL's own conversion clips at 255 instead; integer arithmetic keeps the copy at 4 bytes a pixel.
    """
    values = np.clip(np.asarray(image), 0, 65535).astype(np.uint32)  # (H, W)
    values += 128  # round(v / 257) == (v + 128) // 257: no v / 257 lies exactly halfway
    values //= 257
    return Image.fromarray(values.astype(np.uint8), mode="L")


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any mode to 8-bit RGB: alpha composited onto white, 16-bit scaled rather than clipped."""
    if image.mode == "RGB" and "transparency" not in image.info:
        return image
    if image.mode in SIXTEEN_BIT:
        return sixteen_to_gray(image).convert("RGB")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _shrunk(image: Image.Image, min_side: int | None) -> Image.Image:
    """A decoded image reduced by a whole factor (box filter) while its shorter side stays >= min_side.

    Done before any conversion, so alpha compositing and RGB conversion work on the small copy.
    """
    if image.mode in SIXTEEN_BIT:
        image = sixteen_to_gray(image)
    if not min_side or min(image.size) < 2 * min_side:
        return image
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode == "1":
        image = image.convert("L")
    return image.reduce(min(image.size) // min_side)


def open_upload(
    data: bytes, *, max_bytes: int, max_pixels: int, max_aspect: float = 20.0, min_side: int | None = None,
    max_full_pixels: int = MAX_FULL_DECODE_PIXELS,
) -> tuple[Image.Image, str]:
    """(the image opened lazily: header read, no pixels decoded; its format) once every check that
    decode_upload makes before decoding has passed, with the same InputErrors. A caller may then decode
    the bytes elsewhere (on a GPU, say)."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise InputError(en="The uploaded file is empty.", ru="Загруженный файл пуст.", status=400)
    data = bytes(data)
    if len(data) > max_bytes:
        raise InputError(
            en=f"The file is {len(data) / 2**20:.1f} MB; at most {max_bytes / 2**20:.1f} MB is accepted.",
            ru=f"Файл весит {len(data) / 2**20:.1f} МБ; допускается не больше {max_bytes / 2**20:.1f} МБ.",
            status=413,
        )
    fmt = sniff_format(data)
    if fmt is None:
        raise InputError(
            en=f"This file is not an image format we accept ({ALLOWED}).",
            ru=f"Этот файл не в поддерживаемом формате изображения ({ALLOWED}).",
            status=415,
        )
    check = STRUCTURE_CHECKS.get(fmt)
    if check is not None and not check(data):
        raise InputError(
            en=f"This {fmt} file is built in an unusual way (far too many blocks or stray bytes) and is not accepted.",
            ru=f"Этот файл {fmt} устроен необычно (слишком много блоков или лишних байтов), "
            "такие файлы не принимаются.",
            status=400,
        )
    # Decoders for untrusted bytes fail with many exception types (OSError, SyntaxError, ValueError,
    # struct.error, zlib.error, EOFError …); each one means the same to the user: a broken file.
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])  # lazy: reads the header only
    except Image.DecompressionBombError as exc:
        raise InputError(
            en="The image is far too large to open.",
            ru="Изображение слишком большое, открыть его нельзя.",
            status=413,
        ) from exc
    except Exception as exc:
        raise _corrupt() from exc

    if fmt == "BMP" and image.info.get("compression", 0) not in BMP_PLAIN:
        raise InputError(
            en="Compressed (RLE) BMP files are not accepted; please send PNG or JPEG.",
            ru="Сжатые (RLE) файлы BMP не принимаются; пришлите, пожалуйста, PNG или JPEG.",
            status=415,
        )
    width, height = image.size
    if width < 1 or height < 1:
        raise _corrupt()
    if width * height > max_pixels:
        raise _too_many_pixels(width, height, max_pixels)
    reduced = fmt == "JPEG" and bool(min_side)
    if not reduced and width * height > min(max_pixels, max_full_pixels):
        raise _too_many_pixels(width, height, min(max_pixels, max_full_pixels))
    if max(width, height) / min(width, height) > max_aspect:
        raise InputError(
            en=f"The image is {width}×{height}: one side is more than {max_aspect:g} times the other.",
            ru=f"Изображение {width}×{height}: одна сторона больше другой более чем в {max_aspect:g} раз.",
            status=422,
        )
    return image, fmt


def exif_orientation(image: Image.Image) -> int | None:
    """The EXIF orientation tag (1-8) of an opened image; None when absent or unreadable."""
    try:
        return image.getexif().get(0x0112)
    except Exception:
        return None  # broken EXIF: the pixels are fine, show them as stored


def decode_upload(
    data: bytes, *, max_bytes: int, max_pixels: int, max_aspect: float = 20.0, min_side: int | None = None,
    max_full_pixels: int = MAX_FULL_DECODE_PIXELS,
) -> Image.Image:
    """Bytes from a user -> a loaded RGB image, upright as its EXIF says; InputError for anything else.

    min_side: the caller needs no more than this many pixels on the shorter side, so a JPEG may be
    decoded at 1/2, 1/4 or 1/8 scale (its decoder does that almost for free) while keeping at least
    that many: a 12-megapixel phone photo for a 224-px classifier decodes in a fraction of the time.
    Any format is then reduced by a whole factor towards min_side before it is converted to RGB.

    max_pixels bounds every image; formats without reduced decoding (all but JPEG) are decoded whole,
    so they are held to max_full_pixels as well (and a JPEG too when no min_side is given).
    Statuses: 400 empty or damaged, 413 too many bytes or pixels, 415 not PNG/JPEG/WebP/GIF/BMP,
    422 extreme aspect ratio. The pixel count comes from the header, so nothing large is decoded.
    """
    image, fmt = open_upload(data, max_bytes=max_bytes, max_pixels=max_pixels, max_aspect=max_aspect,
                             min_side=min_side, max_full_pixels=max_full_pixels)
    width, height = image.size
    if min_side and fmt == "JPEG" and min(width, height) > min_side:
        scale = min(width, height) / min_side
        image.draft("RGB", (math.ceil(width / scale), math.ceil(height / scale)))  # never below the request
    try:
        image.load()  # the first frame of an animated GIF or WebP
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(width, height, max_pixels) from exc
    except Exception as exc:
        raise _corrupt() from exc

    orientation = exif_orientation(image)
    try:
        small = _shrunk(image, min_side)
        if small is not image:
            image.close()  # the full-size pixels go now, not when the request ends
        if orientation in ORIENTATION:
            small = small.transpose(ORIENTATION[orientation])
        return to_rgb(small)
    except Exception as exc:
        raise _corrupt() from exc
