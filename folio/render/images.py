"""Images made fit for a product: the printer's file's to its PDF/X standard, the EPUB's to size.

EPUB: retailers cap an image's long side (3,200 px is the common limit, and more only costs the
reader memory), so a bigger one is scaled down and re-encoded in its own format; anything within
the limit goes in byte for byte.

The printer's file: made to the PDF/X standard it declares.

WeasyPrint embeds images as they come: RGB, often with an alpha channel (a soft mask). PDF/X-1a
allows neither: every colour must be CMYK (or grey) for the output intent's press, and nothing may
be transparent. PDF/X-3 allows colour managed RGB (ICC-based) but no transparency; PDF/X-4 allows
both. So, per standard:
- pdf/x-1a: flatten onto white paper, convert to CMYK through the output intent's ICC profile
  (the colours the press will really print), store as Flate-compressed CMYK;
- pdf/x-3: flatten onto white, keep RGB but tag it with the sRGB profile (ICC-based);
- pdf/x-4: keep RGB and the soft mask, tagged with the sRGB profile.
Grey and CMYK images are left alone (they are allowed everywhere).
"""

from __future__ import annotations

import io
import re
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image, ImageCms

KEEP = {"/DeviceCMYK", "/DeviceGray"}
EPUB_LONG_SIDE = 3200
PILLOW_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def epub_image(data: bytes, suffix: str) -> bytes:
    """The image for the EPUB: as it is, or scaled so that its long side is 3,200 px."""
    kind = PILLOW_FORMATS.get(suffix.lower())
    if kind is None:
        return data  # SVG scales by itself; GIF may be animated
    with Image.open(io.BytesIO(data)) as picture:
        if max(picture.size) <= EPUB_LONG_SIDE:
            return data
        scale = EPUB_LONG_SIDE / max(picture.size)
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        smaller = picture.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        options: dict[str, Any] = {"quality": 90} if kind in ("JPEG", "WEBP") else {"optimize": True}
        if kind == "JPEG" and smaller.mode not in ("RGB", "L", "CMYK"):
            smaller = smaller.convert("RGB")
        smaller.save(buffer, kind, **options)
        return buffer.getvalue()


PRINT_PPI = 300
"""An image's natural printed size: its pixels at print resolution (print.css: image-resolution)."""


def print_size(
    pixels: tuple[int, int], measure: float, block_height: float, font_size: float, figure: bool, style: str = ""
) -> tuple[float, float]:
    """(width, height) in points at which the print design sets an image, for products that are
    not laid out by it (the Word copy): templates/print.css's rule, in numbers. Its natural size at
    300 ppi, or the width or height the author asked for (`style`, as Pandoc writes
    {width=50%} or {height=1.5in}); never wider than the measure, and in a figure its picture at
    most 60% of the text block's height less two caption lines; aspect kept."""
    width, height = pixels[0] * 72 / PRINT_PPI, pixels[1] * 72 / PRINT_PPI
    scale = 1.0
    for key, natural, whole in (("width", width, measure), ("height", height, block_height)):
        asked = re.search(rf"(?<![-\w]){key}:\s*([\d.]+)(%|in|cm|mm|pt|px)", style)
        if asked:
            value = float(asked[1]) * (whole / 100 if asked[2] == "%" else UNITS[asked[2]])
            scale = value / natural
    scale = min(scale, measure / width)
    if figure:
        small = font_size - 1.5
        scale = min(scale, (block_height * 0.6 - 2 * (small + 3)) / height)
    return width * scale, height * scale


UNITS = {"in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "pt": 1.0, "px": 0.75}


def press_colour(pdf: pikepdf.Pdf, standard: str, cmyk_profile: Path) -> int:
    """Convert every image in the file for this PDF/X standard; return how many were changed."""
    changed = 0
    icc_rgb: Any = None
    for image in _images(pdf):
        colour = image.get("/ColorSpace")
        transparent = "/SMask" in image
        if str(colour) in KEEP and not transparent:
            continue
        if str(colour) in KEEP and standard == "pdf/x-4":
            continue
        if standard == "pdf/x-4":
            if str(colour) == "/DeviceRGB":
                icc_rgb = icc_rgb or _icc_stream(pdf)
                image.ColorSpace = pikepdf.Array([pikepdf.Name.ICCBased, icc_rgb])
                changed += 1
            continue
        picture = _flattened(image)
        if standard == "pdf/x-1a" or picture.mode == "CMYK":
            picture = _to_cmyk(picture, cmyk_profile)
            space: Any = pikepdf.Name.DeviceCMYK
        elif picture.mode == "L":
            space = pikepdf.Name.DeviceGray
        else:
            icc_rgb = icc_rgb or _icc_stream(pdf)
            space = pikepdf.Array([pikepdf.Name.ICCBased, icc_rgb])
        _replace(image, picture, space)
        changed += 1
    return changed


def _images(pdf: pikepdf.Pdf) -> list[Any]:
    """Every image XObject once, on the pages and inside the forms they draw."""
    found: dict[tuple[int, int], Any] = {}
    visited: set[tuple[int, int]] = set()

    def walk(resources: Any) -> None:
        if not isinstance(resources, pikepdf.Dictionary):
            return
        if resources.objgen != (0, 0):
            if resources.objgen in visited:
                return
            visited.add(resources.objgen)
        for _, xobject in resources.get("/XObject", {}).items():
            if xobject.get("/Subtype") == "/Image":
                found.setdefault(xobject.objgen, xobject)
            elif xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in pdf.pages:
        walk(page.obj.get("/Resources"))
    return list(found.values())


def _flattened(image: Any) -> Image.Image:
    """The image as Pillow sees it, its soft mask composited onto white paper."""
    picture = pikepdf.PdfImage(image).as_pil_image()
    if "/SMask" in image:
        mask = pikepdf.PdfImage(image.SMask).as_pil_image().convert("L")
        if mask.size != picture.size:
            mask = mask.resize(picture.size)
        base = picture.convert("RGB") if picture.mode not in ("RGB", "L") else picture
        paper = Image.new(base.mode, base.size, "white")
        picture = Image.composite(base, paper, mask)
    if picture.mode not in ("RGB", "L", "CMYK"):
        picture = picture.convert("RGB")
    return picture


def _to_cmyk(picture: Image.Image, cmyk_profile: Path) -> Image.Image:
    if picture.mode == "CMYK":
        return picture
    if picture.mode == "L":
        picture = picture.convert("RGB")
    converted = ImageCms.applyTransform(picture, _transform(str(cmyk_profile)))
    assert converted is not None  # None only when converting in place
    return converted


@cache
def _transform(cmyk_profile: str) -> Any:
    """sRGB (what untagged screen images are) to the press profile, perceptual: the usual choice
    for photographs and charts whose colours fall outside the press gamut."""
    return ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(cmyk_profile), "RGB", "CMYK", ImageCms.Intent.PERCEPTUAL
    )


def _icc_stream(pdf: pikepdf.Pdf) -> pikepdf.Stream:
    data = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    stream = pdf.make_stream(data)
    stream.N = 3
    stream.Alternate = pikepdf.Name.DeviceRGB
    return stream


def _replace(image: Any, picture: Image.Image, space: Any) -> None:
    for key in ("/SMask", "/DecodeParms", "/Decode", "/Mask", "/Intent"):
        if key in image:
            del image[key]
    image.write(zlib.compress(picture.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
    image.ColorSpace = space
    image.BitsPerComponent = 8
    image.Width, image.Height = picture.size
