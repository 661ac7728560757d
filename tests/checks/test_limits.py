"""folio/checks/limits.py: a huge chapter, table or image fails at once, with a clear limit on its
file and line, never a build that hangs or exhausts the machine's memory."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

from folio.checks import limits

from helpers import make_book, run_folio

CHAPTER = "---\ntitle: One\n---\n\nClaim [@alpha2020] and [@beta2021].\n"


def huge_png(path: Path, width: int, height: int) -> None:
    """A valid black-and-white PNG of this size, written a row at a time: small on disk (it is all
    white), but `width` x `height` pixels to whoever decodes it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\0" + b"\xff" * ((width + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def build(root: Path, out: Path) -> tuple[int, str, float]:
    start = time.monotonic()
    code, _, stderr = run_folio(["build", "pdf", "epub", "--project", str(root), "--out", str(out)])
    assert "Traceback" not in stderr
    return code, stderr, time.monotonic() - start


def test_a_ten_megabyte_chapter_is_refused_before_it_is_read(tmp_path):
    paragraph = "A sentence of the chapter that goes on for a while, pasted over and over. " * 20 + "\n\n"
    chapter = CHAPTER + paragraph * (10 * 1024 * 1024 // len(paragraph))
    root = make_book(tmp_path / "book", {"one.md": CHAPTER, "big.md": chapter})
    out = tmp_path / "out"
    code, stderr, seconds = build(root, out)
    assert code == 1
    assert "manuscript/chapters/big.md:1:1: error: Z001 chapter file of 10,485," in stderr
    assert "more than the limit of 2,097,152" in stderr
    assert seconds < 60 and not out.exists()


def test_a_five_thousand_row_table_is_refused_on_its_first_line(tmp_path):
    table = "| Year | Count |\n|---:|---:|\n" + "".join(f"| {1000 + n} | {n * 7} |\n" for n in range(5000))
    root = make_book(tmp_path / "book", {"one.md": CHAPTER + "\nThe counts:\n\n" + table + "\nAfter the table.\n"})
    out = tmp_path / "out"
    code, stderr, seconds = build(root, out)
    assert code == 1
    assert "manuscript/chapters/one.md:9:1: error: Z002 table of 5,001 rows, more than the limit of 1,000" in stderr
    assert seconds < 60 and not out.exists()


def test_a_table_within_the_limit_counts_its_rows_not_its_rules(tmp_path):
    pipe = "| A | B |\n|---|---|\n" + "| 1 | 2 |\n" * 999
    grid = "+---+---+\n| A | B |\n+===+===+\n" + "| 1 | 2 |\n| 1 | 2 |\n+---+---+\n" * 1000
    path = tmp_path / "one.md"
    assert limits.table_rows(path, pipe) == []
    assert [f.message for f in limits.table_rows(path, "Text.\n\n" + grid)] == ["table of 1,001 rows, more than the limit of 1,000"]
    assert [f.line for f in limits.table_rows(path, "Text.\n\n" + grid, first_line=5)] == [7]


def test_a_twenty_thousand_pixel_square_image_is_refused_from_its_header(tmp_path):
    """400 megapixels: decoded, 1.2 GB in RGB, before WeasyPrint even starts. Only its header is read."""
    chapter = CHAPTER + "\n![A plate](images/plate.png)\n"
    root = make_book(tmp_path / "book", {"one.md": chapter})
    (root / "manuscript" / "images").mkdir()
    huge_png(root / "manuscript" / "images" / "plate.png", 20_000, 20_000)
    assert (root / "manuscript" / "images" / "plate.png").stat().st_size < 200_000
    out = tmp_path / "out"
    code, stderr, seconds = build(root, out)
    assert code == 1
    expected = "one.md:7:12: error: Z003 images/plate.png: image of 20,000 x 20,000 px (400 megapixels), more than the limit of 40"
    assert expected in stderr, stderr
    assert seconds < 60 and not out.exists()


def test_a_huge_cover_is_refused_on_its_line(tmp_path):
    root = make_book(tmp_path / "book", {"one.md": CHAPTER}, extra="cover: cover.png\n")
    huge_png(root / "manuscript" / "cover.png", 20_000, 20_000)
    code, stderr, _ = build(root, tmp_path / "out")
    assert code == 2 and "book.yaml:7: cover: cover.png: image of 20,000 x 20,000 px" in stderr


def test_an_image_within_the_limit_passes(tmp_path):
    huge_png(tmp_path / "plate.png", 6000, 6000)
    assert limits.image_pixels(tmp_path / "plate.png") is None
    huge_png(tmp_path / "wide.png", 40_001, 1000)
    assert "40 megapixels" in (limits.image_pixels(tmp_path / "wide.png") or "")


def test_a_control_character_in_the_text_is_refused_where_it_stands(tmp_path):
    """A NUL or an escape sequence: XML forbids them, so the EPUB would not parse (it once exited 3)."""
    chapter = CHAPTER + "\nA NUL \x00 here and an escape \x1b[31m there, \x00 twice.\n\nA tab\tis fine.\n"
    root = make_book(tmp_path / "book", {"one.md": chapter})
    out = tmp_path / "out"
    code, stderr, _ = build(root, out)
    assert code == 1
    assert "one.md:7:7: error: S003 control character U+0000 in the text" in stderr
    assert stderr.count("S003") == 1  # once a line
    assert not out.exists()
