"""Proof sheets: spreads laid out right, page 1 alone on the right, written atomically."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from folio.cli import main
from folio.tools.proof import GAP, LABEL, proof_sheet, spreads

HEIGHT = 90
SLOT = 60  # a 6x9in page 90 px high is 60 px wide


def proof_main(argv: list[str]) -> int:
    return main(["proof", *argv])


def make_pdf(path: Path, pages: int, *, bleed: float = 0) -> Path:
    """6x9in pages, each with a black square; with bleed, the MediaBox grows and a TrimBox marks the page."""
    pdf = pikepdf.new()
    for _ in range(pages):
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[-bleed, -bleed, 432 + bleed, 648 + bleed],
            Contents=pdf.make_stream(b"0 0 0 rg 100 200 232 248 re f"),
        )
        if bleed:
            page.TrimBox = [0, 0, 432, 648]
            page.BleedBox = [-bleed, -bleed, 432 + bleed, 648 + bleed]
        pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)
    return path


def slot_pixels(sheet: Image.Image, spread: int, side: int) -> Image.Image:
    x = GAP + spread * (2 * SLOT + GAP) + side * SLOT
    return sheet.crop((x, GAP, x + SLOT, GAP + HEIGHT))


def test_spreads_start_with_a_lone_recto() -> None:
    assert spreads(1) == [(None, 1)]
    assert spreads(4) == [(None, 1), (2, 3), (4, None)]
    assert spreads(5) == [(None, 1), (2, 3), (4, 5)]


def test_sheet_has_a_slot_per_spread_and_a_blank_first_verso(tmp_path: Path) -> None:
    out = proof_sheet(make_pdf(tmp_path / "book.pdf", 5), tmp_path / "proof.png", columns=4, page_height_px=HEIGHT)
    sheet = Image.open(out).convert("L")
    assert sheet.size == (GAP + 3 * (2 * SLOT + GAP), GAP + HEIGHT + LABEL + GAP)  # three spreads in one row
    assert slot_pixels(sheet, 0, 0).getextrema() == (255, 255)  # no page 0: white
    for spread, side in [(0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]:
        assert slot_pixels(sheet, spread, side).getextrema()[0] == 0  # each page shows its black square


def test_rows_wrap_after_columns(tmp_path: Path) -> None:
    out = proof_sheet(make_pdf(tmp_path / "book.pdf", 6), tmp_path / "proof.png", columns=2, page_height_px=HEIGHT, numbers=False)
    assert Image.open(out).size == (GAP + 2 * (2 * SLOT + GAP), GAP + 2 * (HEIGHT + GAP))  # four spreads, two a row


def test_press_pdf_is_shown_at_its_trim(tmp_path: Path) -> None:
    out = proof_sheet(make_pdf(tmp_path / "press.pdf", 2, bleed=9), tmp_path / "proof.png", page_height_px=HEIGHT)
    assert Image.open(out).size == (GAP + 2 * (2 * SLOT + GAP), GAP + HEIGHT + LABEL + GAP)


def test_main_writes_beside_the_pdf_and_leaves_no_temp_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = make_pdf(tmp_path / "book.pdf", 3)
    assert proof_main([str(pdf), "--height", str(HEIGHT)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book-proof.png", "book.pdf"]
    assert "wrote" in capsys.readouterr().out
    assert proof_main([str(pdf), "-o", str(tmp_path / "sub" / "sheet.png"), "--height", str(HEIGHT)]) == 0
    assert (tmp_path / "sub" / "sheet.png").is_file()


@pytest.mark.parametrize("argv", [["missing.pdf"], ["NOTPDF"], ["PDF", "--columns", "0"], []])
def test_main_usage_errors_exit_2(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "not.pdf").write_text("not a PDF")
    names = {
        "missing.pdf": str(tmp_path / "missing.pdf"),
        "NOTPDF": str(tmp_path / "not.pdf"),
        "PDF": str(make_pdf(tmp_path / "ok.pdf", 1)),
    }
    assert proof_main([names.get(a, a) for a in argv]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob(".*.tmp"))
