"""The print PDF: note links land on the page of their note, fonts embedded, metadata set."""

from __future__ import annotations

import re

import pdfplumber
import pikepdf

from folio.checks.book import check_book
from folio.project.config import load_project

from helpers import REPO, chapter_documents, run_folio


def named_destinations(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Name -> 0-based page index, from the /Dests name tree."""
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    tree = pikepdf.NameTree(pdf.Root.Names.Dests)
    return {str(name): pages[dest[0].objgen] for name, dest in tree.items()}


def note_links(pdf: pikepdf.Pdf) -> list[tuple[int, str]]:
    """(page index, destination name) of every internal link, one per destination and page."""
    links = []
    for index, page in enumerate(pdf.pages):
        for annot in page.get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            if "/Dest" in annot:
                links.append((index, str(annot.Dest)))
            elif action is not None and action.get("/S") == "/GoTo":
                links.append((index, str(action.D)))
    return list(dict.fromkeys(links))


def test_every_note_call_links_to_its_note_on_the_right_page(built):
    """Issue 3, test 3: each call is an internal link whose destination exists, on the note's page."""
    with pikepdf.open(built.pdf) as pdf, pdfplumber.open(built.pdf) as plumber:
        dests = named_destinations(pdf)
        links = note_links(pdf)
        calls = [(page, name) for page, name in links if re.fullmatch(r"ch\d+-fn\d+", name)]
        backs = [(page, name) for page, name in links if re.fullmatch(r"ch\d+-fnref\d+", name)]
        assert calls and len(calls) == len(backs)
        texts = [page.extract_text() or "" for page in plumber.pages]
        for page, name in calls:
            assert name in dests, f"call on page {page + 1} points at missing {name}"
            number = int(name.rsplit("fn", 1)[1])
            note_page = dests[name]
            assert re.search(rf"(?m)^{number}\. ", texts[note_page]), f"note {number} is not printed on page {note_page + 1}"
        for page, name in backs:
            assert name in dests and dests[name] <= page


def test_note_counts_agree_across_manuscript_pdf_and_epub(built):

    project = load_project(REPO)
    manuscript_notes = len(check_book(project).citations)  # every note in this book is a citation
    with pikepdf.open(built.pdf) as pdf:
        pdf_calls = {name for _, name in note_links(pdf) if re.fullmatch(r"ch\d+-fn\d+", name)}
    epub_calls = sum(
        len(doc.xpath("//h:a[@role='doc-noteref']", namespaces={"h": "http://www.w3.org/1999/xhtml"}))
        for _, doc in chapter_documents(built.epub)
    )
    assert manuscript_notes == len(pdf_calls) == epub_calls == 4


def test_fonts_are_embedded_and_metadata_set(built):
    with pikepdf.open(built.pdf) as pdf:
        fonts = {}
        for page in pdf.pages:
            for _, font in page.Resources.get("/Font", {}).items():
                descriptor = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
                fonts[str(font.BaseFont)] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        assert fonts and all(fonts.values()), fonts
        assert all("EBGaramond" in re.sub(r"[- ]", "", name) for name in fonts), fonts
        assert str(pdf.docinfo.Title) == "The Axis of Resentment"
        assert str(pdf.Root.Lang) == "en-US"
        assert "/StructTreeRoot" in pdf.Root


def test_build_reports_no_warnings(built):
    assert "warning" not in built.stderr, built.stderr


def test_print_and_press_pdfs_pass_preflight(built):
    """Issue 4: both PDFs pass the printer's checks against book.yaml's trim, margins and bleed."""
    from folio.cli import main

    assert main(["preflight", str(built.pdf), "--project", str(REPO)]) == 0
    assert main(["preflight", str(built.press), "--project", str(REPO), "--press"]) == 0
    # and the print PDF is not a press file: it has no bleed for the printer
    assert main(["preflight", str(built.pdf), "--project", str(REPO), "--press"]) == 1


def test_press_file_is_pdf_x_with_bleed_marks_and_cmyk(built):
    with pikepdf.open(built.press) as pdf:
        assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-1a:2003"
        intent = pdf.Root.OutputIntents[0]
        assert str(intent.S) == "/GTS_PDFX" and str(intent.OutputConditionIdentifier) == "CGATS TR 001"
        assert int(intent.DestOutputProfile.N) == 4  # a CMYK profile
        assert len(pdf.pages) % 2 == 0  # the book block: an odd count gets a blank last page
        for page in pdf.pages:
            trim = [float(v) for v in page.TrimBox]
            bleed = [float(v) for v in page.BleedBox]
            media = [float(v) for v in page.MediaBox]
            assert trim == [0, 0, 432, 648]
            assert bleed == [-9, -9, 441, 657]
            assert media[0] < bleed[0] and media[3] > bleed[3]  # room for the crop marks
            streams = [page, *page.Resources.get("/XObject", {}).values()]
            operators = {str(op) for stream in streams for _, op in pikepdf.parse_content_stream(stream)}
            assert not operators & {"rg", "RG"}, "RGB colour in a PDF/X-1a file"
            assert "Do" in operators  # the crop marks


def test_press_file_is_reproducible(built, tmp_path):

    code, _, err = run_folio(["build", "press", "--project", str(REPO), "--out", str(tmp_path)])
    assert code == 0, err
    assert (tmp_path / built.press.name).read_bytes() == built.press.read_bytes()


def test_outline_and_metadata(built):
    with pikepdf.open(built.pdf) as pdf:
        outline = pdf.open_outline().root
        assert [str(item.title) for item in outline] == ["Chapter 35 Forged in Fire"]
        assert [str(item.title) for item in outline[0].children] == [
            "35.1 A Partnership of Necessity",
            "35.2 The Division of Labor: Russia’s Air Force, Iran’s Infantry",
            "35.3 Securing Shared Strategic Victories",
            "35.4 From Syria to Ukraine: The Payback",
            "Notes",
        ]
        assert str(pdf.docinfo.Author) and str(pdf.docinfo.Subject)
