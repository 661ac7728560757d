"""folio/checks/resolution.py: image resolution at the printed size, from the PDF the build made."""

from __future__ import annotations

from PIL import Image

from folio.checks.resolution import placed_images

from helpers import make_book, run_folio

CHAPTER = """\
---
title: Pictures
number: 1
---

A screenshot, far too small for print at the width of the page.

![A screenshot of a settings dialog.](images/shot.png){width=100%}

A chart at a comfortable size.

![A chart.](images/chart.png)
"""


def book(tmp_path, shot: tuple[int, int]):
    root = make_book(tmp_path, {"one.md": CHAPTER}, references="[]\n")
    images = root / "manuscript" / "images"
    images.mkdir()
    Image.new("RGB", shot, (200, 60, 60)).save(images / "shot.png")
    Image.new("RGB", (900, 600), (60, 60, 200)).save(images / "chart.png")  # 3 x 2 in at 300 ppi
    return root


def test_low_resolution_is_a_warning_with_the_printed_size_and_what_it_needs(tmp_path):
    root = book(tmp_path, (800, 500))  # 4.5 in wide on the page: 178 ppi
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(root / "out"), "pdf"])
    assert code == 0, stderr
    lines = [line for line in stderr.splitlines() if " I00" in line]
    assert len(lines) == 1, stderr
    assert "warning: I004 image 800x500 px printed at 4.50 x 2.81 in (114 x 71 mm) is 178 ppi" in lines[0]
    assert "for 300 ppi at this size it needs 1350x844 px" in lines[0]
    placed = {image.pixels: image for image in placed_images((root / "out" / "test-book.pdf").read_bytes())}
    assert placed[(900, 600)].size == (216.0, 144.0)  # its natural size at 300 ppi, not 96
    code, _, stderr = run_folio(["build", "--strict", "--project", str(root), "--out", str(root / "strict"), "pdf"])
    assert code != 0 and "I004" in stderr


def test_below_150_ppi_stops_a_release_build_and_writes_nothing(tmp_path):
    root = book(tmp_path, (400, 250))  # 89 ppi
    out = root / "out"
    code, _, stderr = run_folio(["build", "--release", "--project", str(root), "--out", str(out), "pdf"])
    assert code != 0
    assert "error: I005 image 400x250 px printed at 4.50 x 2.81 in" in stderr and "89 ppi" in stderr
    assert "Traceback" not in stderr
    assert not list(out.glob("*.pdf"))
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(out), "pdf"])
    assert code == 0 and "warning: I004" in stderr  # without --release it is a warning
