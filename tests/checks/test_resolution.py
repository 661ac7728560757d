"""folio/checks/resolution.py: image resolution at the printed size, from the PDF the build made."""

from __future__ import annotations

import dataclasses
import json

from PIL import Image

from folio.checks import resolution
from folio.checks.book import check_book
from folio.checks.resolution import placed_images, placed_in_parts
from folio.formats.pdf import lay_out_print
from folio.project.config import load_project

from helpers import PICTURES, make_book, run_folio


def book(tmp_path, shot: tuple[int, int], more: dict[str, str] | None = None):
    root = make_book(tmp_path, {"one.md": PICTURES, **(more or {})}, references="[]\n")
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


def test_the_images_of_a_book_made_of_parts_are_read_a_part_at_a_time_and_kept(tmp_path, monkeypatch):
    """The build keeps the images each part of the print layout holds: the same images, pages and
    sizes as reading the joined book. Cold, it reads the joined book once and shares what it holds
    out among the parts, as each part read on its own holds it; after an edit it reads the part
    that changed; a damaged entry is read again rather than trusted."""
    second = "---\ntitle: More\nnumber: 2\n---\n\nAnother.\n\n![A second chart.](images/chart.png){width=50%}\n"
    root = book(tmp_path, (800, 500), {"two.md": second})
    project = load_project(root)
    laid = lay_out_print(project, check_book(project).fragments)
    assert len(laid.pieces) == 3
    whole = sorted(placed_images(laid.data), key=lambda p: (p.page, p.pixels))
    assert len(whole) == 3 and len({image.page for image in whole}) == 3

    read: list[bytes] = []
    real = resolution.placed_images
    monkeypatch.setattr(resolution, "placed_images", lambda data: read.append(data) or real(data))
    cache = tmp_path / "resolution"
    parts = placed_in_parts(laid.pieces, laid.data, cache)
    assert sorted(parts, key=lambda p: (p.page, p.pixels)) == whole and read == [laid.data]  # cold: the book at once
    each = sorted(json.dumps([[i.page, *i.pixels, *i.size] for i in real(piece.data)]) for piece in laid.pieces)
    assert sorted(entry.read_bytes()[32:].decode() for entry in cache.iterdir()) == each

    read.clear()
    assert placed_in_parts(laid.pieces, laid.data, cache) == parts and read == []  # all kept
    last = json.dumps([[i.page, *i.pixels, *i.size] for i in real(laid.pieces[-1].data)])
    assert 2 * laid.pieces[-1].pages <= sum(piece.pages for piece in laid.pieces)  # a few of the book's pages
    [entry] = [entry for entry in cache.iterdir() if entry.read_bytes()[32:].decode() == last]
    entry.write_bytes(entry.read_bytes()[:-3])  # cut short
    assert placed_in_parts(laid.pieces, laid.data, cache) == parts and read == [laid.pieces[-1].data]
    edited = [*laid.pieces[:-1], dataclasses.replace(laid.pieces[-1], data=laid.pieces[-1].data + b"\n%edited\n")]
    read.clear()
    assert placed_in_parts(edited, laid.data, cache) == parts and read == [edited[-1].data]
    assert len(list(cache.iterdir())) == len(laid.pieces)  # the entry of the part as it was is forgotten
