"""folio/cover.py: the generated cover, checked as a PDF (its text) and as the image (size, ink)."""

from __future__ import annotations

import dataclasses
import io
import logging
from typing import Any

import pdfplumber
import pytest
from PIL import Image, ImageStat

from folio.project.config import BookConfig, load_project
from folio.render import cover, weasy
from folio.render.fonts import FontFace, font_faces

from helpers import REPO, normalise

LONG: dict[str, Any] = {
    "title": "The Extraordinary and Unintended Consequences of Geopolitical Alignments in the Levant",
    "subtitle": "A History of Two Empires, Three Wars and One Subtitle That Goes On Well Beyond Reason",
    "author": "Maximiliana Ekaterina Featherstonehaugh-Worthington",
}


@pytest.fixture(scope="module")
def book() -> BookConfig:
    return load_project(REPO).config


@pytest.fixture(scope="module")
def faces(book: BookConfig) -> list[FontFace]:
    return font_faces(book.print.font)


@pytest.fixture(scope="module")
def png(book: BookConfig, faces: list[FontFace]) -> bytes:
    return cover.cover_image(REPO, book, faces)


def pdf_text(data: bytes) -> tuple[str, list[pdfplumber.page.Page]]:
    pdf = pdfplumber.open(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in pdf.pages), list(pdf.pages)


def test_the_pdf_is_one_page_the_shape_of_the_cover_with_its_text(
    book: BookConfig, faces: list[FontFace], caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        data = cover.cover_pdf(REPO, book, faces)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
    text, pages = pdf_text(data)
    assert len(pages) == 1
    assert (pages[0].width, pages[0].height) == (cover.WIDTH * 0.75, cover.HEIGHT * 0.75)  # CSS px are 3/4 pt
    for part in (book.title, book.subtitle, book.author, book.publisher):
        assert normalise(part) in normalise(text)
    fonts = {char["fontname"].split("+")[-1] for char in pages[0].chars}
    assert fonts and all(name.startswith("EB-Garamond") for name in fonts), fonts


def test_the_image_is_a_1600_by_2560_png_with_ink_on_it(png: bytes):
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1600, 2560) and image.mode == "RGB"
    # Not blank: a dark ground with light, anti-aliased lettering, and the lettering is where the title is.
    grey = image.convert("L")
    assert sum(1 for count in grey.histogram() if count) > 100
    assert max(ImageStat.Stat(image).stddev) > 20
    title_band = grey.crop((190, 400, 1410, 900)).histogram()
    assert sum(title_band[181:]) > 20_000
    empty_middle = grey.crop((190, 1400, 1410, 1900)).histogram()
    assert sum(empty_middle[60:]) == 0


def test_long_texts_step_down_and_stay_on_the_page(book: BookConfig, faces: list[FontFace]):
    long_book = dataclasses.replace(book, **LONG)
    roman = next(face for face in faces if face.style == "normal")
    assert cover.fit(LONG["title"], roman.path, cover.TITLE_SIZES, 3) < cover.fit(book.title, roman.path, cover.TITLE_SIZES, 3)
    text, pages = pdf_text(cover.cover_pdf(REPO, long_book, faces))
    for part in LONG.values():
        assert normalise(part) in normalise(text)
    inside = 70  # the frame
    for char in pages[0].chars:
        assert inside < char["x0"] and char["x1"] < pages[0].width - inside, char["text"]
        assert inside < char["top"] and char["bottom"] < pages[0].height - inside, char["text"]


def test_the_cover_is_the_same_every_time(book: BookConfig, faces: list[FontFace], png: bytes):
    assert cover.cover_image(REPO, book, faces) == png


def test_markup_in_the_title_is_text(book: BookConfig, faces: list[FontFace]):
    text, _ = pdf_text(cover.cover_pdf(REPO, dataclasses.replace(book, title="Salt & <b>Iron</b>"), faces))
    assert "Salt & <b>Iron</b>" in " ".join(text.split())


def test_alternative_text_names_title_and_author(book: BookConfig):
    assert cover.cover_alt(book) == "Cover: The Axis of Resentment: Russia, Iran and the War in Syria, by Folio Press Author"
    assert cover.cover_alt(dataclasses.replace(book, subtitle="")) == "Cover: The Axis of Resentment, by Folio Press Author"


# The cover cached under OUT/.cache/cover (issue 12) --------------------------------------------


def _no_layout(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the cover was laid out again")


def test_a_kept_cover_is_not_laid_out_again(book: BookConfig, faces: list[FontFace], png: bytes, tmp_path, monkeypatch):
    cache = tmp_path / ".cache" / "cover"
    assert cover.cover_image(REPO, book, faces, cache) == png
    [entry] = cache.iterdir()
    monkeypatch.setattr(weasy, "lay_out", _no_layout)
    assert cover.cover_image(REPO, book, faces, cache) == png
    # another title is another cover: laid out, not taken from the entry
    with pytest.raises(AssertionError, match="laid out again"):
        cover.cover_image(REPO, dataclasses.replace(book, title="Another Book"), faces, cache)
    assert list(cache.iterdir()) == [entry]


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty"])
def test_a_corrupt_entry_is_rebuilt(book: BookConfig, faces: list[FontFace], png: bytes, tmp_path, damage: str):
    cache = tmp_path / "cover"
    cover.cover_image(REPO, book, faces, cache)
    [entry] = cache.iterdir()
    data = entry.read_bytes()
    broken = {"truncated": data[: len(data) // 2], "flipped": data[:100] + bytes([data[100] ^ 0xFF]) + data[101:], "empty": b""}[damage]
    entry.write_bytes(broken)
    assert cover.cover_image(REPO, book, faces, cache) == png
    assert entry.read_bytes() == data  # and the entry is sound again


def test_the_key_follows_the_files_the_cover_reads(book: BookConfig, faces: list[FontFace], tmp_path):
    """A project's own cover template with a picture: new picture bytes, new key; and the fonts are in it."""
    (tmp_path / "art.png").write_bytes(b"one")
    html = cover.cover_html(REPO, book, faces) + '<img src="art.png">'
    first = cover.cover_key(html, tmp_path)
    assert cover.cover_key(html, tmp_path) == first
    (tmp_path / "art.png").write_bytes(b"two")
    assert cover.cover_key(html, tmp_path) != first
    read = cover._files_read(html, tmp_path)
    assert tmp_path / "art.png" in read and {face.path for face in faces} <= set(read)
