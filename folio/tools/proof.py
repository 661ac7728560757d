"""Proof sheet: every page of a PDF on one PNG, as the facing spreads a reader sees.

Page 1 is a right-hand page, so the first spread has an empty left slot; after it, even pages
sit on the left and odd pages on the right. Pages are shown at their trim (a press PDF's bleed
and crop marks are cut away), rendered by pdfium.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from folio.errors import UnreadableFileError
from folio.formats.output import write_atomic

GAP = 16  # pixels between spreads and around the sheet
LABEL = 14  # pixels under each page for its number
BACKGROUND = (255, 255, 255)
EDGE = (150, 150, 150)  # a page's outline, so that a blank page still shows where it is


def spreads(pages: int) -> list[tuple[int | None, int | None]]:
    """Facing pages, 1-based: [(None, 1), (2, 3), (4, 5), ...]; None is an empty slot."""
    slots: list[int | None] = [None, *range(1, pages + 1)]
    if len(slots) % 2:
        slots.append(None)
    return [(slots[i], slots[i + 1]) for i in range(0, len(slots), 2)]


def proof_sheet(pdf_path: Path, out_png: Path, *, columns: int = 4, page_height_px: int = 300, numbers: bool = True) -> Path:
    """Render pdf_path as a contact sheet of spreads, `columns` spreads a row, into out_png (written atomically)."""
    if columns < 1 or page_height_px < 10:
        raise ValueError("columns must be at least 1 and page_height_px at least 10")
    if not pdf_path.is_file():
        raise UnreadableFileError(f"cannot read {pdf_path}: no such file")
    try:
        document = pdfium.PdfDocument(pdf_path)
    except (OSError, pdfium.PdfiumError) as exc:
        raise UnreadableFileError(f"cannot read {pdf_path}: {exc}") from None
    try:
        images = [_render(document[i], page_height_px) for i in range(len(document))]
    finally:
        document.close()
    sheet = _compose(images, columns, page_height_px, numbers)
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG", optimize=True)
    write_atomic(out_png, buffer.getvalue())
    return out_png


def _render(page: pdfium.PdfPage, height_px: int) -> Image.Image:
    # pdfium renders the CropBox; crop it down to the TrimBox so the proof shows the page as bound.
    cx0, cy0, cx1, cy1 = page.get_cropbox()
    tx0, ty0, tx1, ty1 = page.get_trimbox()
    crop = (max(tx0 - cx0, 0), max(ty0 - cy0, 0), max(cx1 - tx1, 0), max(cy1 - ty1, 0))
    scale = height_px / ((cy1 - cy0) - crop[1] - crop[3])
    image = page.render(scale=scale, crop=crop).to_pil().convert("RGB")
    page.close()
    if image.height != height_px:  # rounding in the renderer: every row must line up
        image = image.resize((round(image.width * height_px / image.height), height_px), Image.Resampling.LANCZOS)
    return image


def _compose(images: list[Image.Image], columns: int, height: int, numbers: bool) -> Image.Image:
    slot = max((image.width for image in images), default=round(height * 2 / 3))
    pairs = spreads(len(images))
    per_row = min(columns, len(pairs))
    rows = -(-len(pairs) // per_row)
    row_height = height + (LABEL if numbers else 0) + GAP
    sheet = Image.new("RGB", (GAP + per_row * (2 * slot + GAP), GAP + rows * row_height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for index, pair in enumerate(pairs):
        x = GAP + (index % per_row) * (2 * slot + GAP)
        y = GAP + (index // per_row) * row_height
        for side, number in enumerate(pair):
            if number is None:
                continue
            image = images[number - 1]
            # A narrower page sits against the spine, as it would in the bound book.
            left = x + slot - image.width if side == 0 else x + slot
            sheet.paste(image, (left, y))
            draw.rectangle((left, y, left + image.width - 1, y + image.height - 1), outline=EDGE)
            if numbers:
                label = str(number)
                width = draw.textlength(label)
                draw.text((left + (image.width - width) / 2, y + height + 2), label, fill=EDGE)
    return sheet
