"""Every word of the seed reaches the reader, in order, in the PDF and in the EPUB."""

from __future__ import annotations

import re
import zipfile

from lxml import etree

from helpers import REPO, SEED, normalise, pdf_body_text_by_page

SECTION = re.compile(r"^(35\.\d) (.+)$")


def seed() -> tuple[list[str], list[str]]:
    """The seed's prose sentences (citation markers removed) and its section headings."""
    sentences, headings = [], []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or "https://" in line:  # the four sources at the end: they become references.yaml
            continue
        if SECTION.match(line):
            headings.append(line)
            continue
        line = re.sub(r"\s*See citation\[\d+\]\.", "", line)
        sentences += [s for s in re.split(r"(?<=[.!?:])\s+", line) if s]
    return sentences, headings


def assert_in_order(needles: list[str], haystack: str) -> None:
    text = normalise(haystack)
    position = 0
    for needle in needles:
        found = text.find(normalise(needle), position)
        assert found >= 0, f"missing or out of order: {needle!r}"
        position = found + len(normalise(needle))


def pdf_body_text(path) -> str:
    return "\n".join(pdf_body_text_by_page(path))


def epub_text(path) -> str:
    with zipfile.ZipFile(path) as archive:
        opf = etree.fromstring(archive.read("OEBPS/package.opf"))
        ns = {"o": "http://www.idpf.org/2007/opf"}
        hrefs = {i.get("id"): i.get("href") for i in opf.xpath("//o:manifest/o:item", namespaces=ns)}
        spine = [hrefs[ref.get("idref")] for ref in opf.xpath("//o:spine/o:itemref", namespaces=ns)]
        return "\n".join("".join(etree.fromstring(archive.read(f"OEBPS/{href}")).itertext()) for href in spine)


def test_seed_is_what_we_think():
    sentences, headings = seed()
    assert len(headings) == 4 and len(sentences) == 39


def test_every_sentence_reaches_the_pdf_in_order(built):
    """Issue 3, test 4 (PDF)."""
    sentences, headings = seed()
    text = pdf_body_text(built.pdf)
    assert_in_order(sentences, text)
    assert_in_order(headings, text)


def test_every_sentence_reaches_the_epub_in_order(built):
    """Issue 3, test 4 (EPUB)."""
    sentences, headings = seed()
    text = epub_text(built.epub)
    assert_in_order(sentences, text)
    assert_in_order(headings, text)


def test_section_numbers_come_from_the_chapter_number():
    text = (REPO / "manuscript" / "chapters" / "35-forged-in-fire.md").read_text(encoding="utf-8")
    assert "35.1" not in text and "## A Partnership of Necessity" in text


def test_a_lost_sentence_is_caught():
    sentences, _ = seed()
    try:
        assert_in_order(sentences, " ".join(sentences[:5] + sentences[6:]))
    except AssertionError as exc:
        assert sentences[5][:20] in str(exc)
    else:
        raise AssertionError("a missing sentence went unnoticed")
