"""folio serve: the live preview, tested in a real browser (Debian's Chromium driven by Playwright)
on small books: the page is the book in the print typography (fonts, notes, figures, tables,
math); an edit shows without a reload and keeps the reader's place; a saved stylesheet restyles
it; an error shows its file and line and a fix brings the book back; the PDF follows in the
background, its pages marked in the text with their layout warnings beside them; nothing outside
the project is served; Ctrl-C stops it cleanly."""

from __future__ import annotations

import http.client
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from folio.tools.serve import CHROMIUM, PdfBuilder, Preview, build_pdf, chapter_of, measure_preview, safe_path

from helpers import CHAPTER_ONE, REPO, alive, font_folders, make_book, pdf_body_text_by_page, run_folio

PROSE = "The river rose in the night and the town woke to water in the streets. " * 12

LONG_TWO = "---\ntitle: Two\nnumber: 2\n---\n\n" + "\n\n".join(f"Paragraph {n}. {PROSE}" for n in range(1, 40)) + "\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


# A figure (its image in the manuscript folder), a table and a formula, besides notes and citations.
EXTRAS = """
![A red plate.](images/plate.png)

| Year | Sorties |
|------|---------|
| 2015 | 5,240   |

The rate grows as $r = \\frac{1}{N}$ does.
"""


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def book(tmp_path: Path) -> Path:
    root = make_book(tmp_path / "book", {"one.md": CHAPTER_ONE + EXTRAS, "two.md": LONG_TWO})
    (root / "manuscript" / "images").mkdir()
    (root / "manuscript" / "images" / "plate.png").write_bytes(png())
    return root


@pytest.fixture
def preview(book: Path) -> Iterator[Preview]:
    """The preview of `book`, the page only (the PDF has a test of its own)."""
    served = Preview(book, port=0, pdf=False)
    served.start()
    yield served
    served.stop()


@pytest.fixture
def page(browser: Browser, preview: Preview) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(20_000)
    page.goto(preview.url)
    yield page
    page.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def shows(page: Page, text: str) -> None:
    """Wait until the open page shows `text` (no reload is asked for)."""
    page.wait_for_function("text => document.body.innerText.includes(text)", arg=text)


def test_the_page_is_the_book_in_the_print_typography(page: Page, book: Path) -> None:
    assert page.locator("h1#ch01-title").inner_text().endswith("One")
    assert page.locator("a.noteref").count() >= 3  # the citations are notes, linked to the endnotes
    assert "The First Book" in page.locator("#ch01-notes").inner_text()
    family = page.evaluate("getComputedStyle(document.querySelector('#ch01 p')).fontFamily")
    assert family.startswith('"EB Garamond"')
    # The book face itself is loaded, from the server: not a fallback.
    assert page.evaluate("document.fonts.check('11pt \"EB Garamond\"')")
    assert page.evaluate("[...document.fonts].some(f => f.family.includes('EB Garamond') && f.status === 'loaded')")
    # The figure's image comes from the manuscript folder; the table and the formula are there.
    assert page.locator("#ch01 figure img").evaluate("img => img.complete && img.naturalWidth") == 40
    assert page.locator("#ch01 table td").first.inner_text() == "2015"
    assert page.locator("#ch01 img.math").evaluate("img => img.complete && img.naturalWidth > 0")
    assert "\\frac{1}{N}" in (page.locator("#ch01 img.math").get_attribute("alt") or "")


def test_a_stylesheet_saved_restyles_the_open_page(page: Page, book: Path) -> None:
    """A project's own print.css (templates/ overrides Folio's file by file), added, then edited."""
    colour = "() => getComputedStyle(document.querySelector('#ch01 p')).color"
    original = (REPO / "templates" / "print.css").read_text(encoding="utf-8")
    (book / "templates").mkdir()
    (book / "templates" / "print.css").write_text(original + "p { color: rgb(1, 2, 3); }\n", encoding="utf-8")
    page.wait_for_function(f"({colour})() === 'rgb(1, 2, 3)'")
    (book / "templates" / "print.css").write_text(original + "p { color: rgb(4, 5, 6); }\n", encoding="utf-8")
    page.wait_for_function(f"({colour})() === 'rgb(4, 5, 6)'")


def test_an_edit_appears_in_the_open_page_without_a_reload(page: Page, book: Path) -> None:
    page.evaluate("window.notReloaded = true")
    edit(book / "manuscript" / "chapters" / "one.md", "Second claim", "A freshly saved claim")
    shows(page, "A freshly saved claim")
    assert page.evaluate("window.notReloaded") is True  # the same page: swapped in place
    assert "Second claim" not in page.inner_text("body")


def test_an_edit_replaces_only_the_chapter_it_changed(page: Page, book: Path) -> None:
    """The other chapters' elements stay as they are: the browser lays out again what changed."""
    page.evaluate("for (const id of ['ch01', 'ch02']) document.getElementById(id).kept = true")
    edit(book / "manuscript" / "chapters" / "two.md", "Paragraph 3.", "Paragraph three, saved.")
    shows(page, "Paragraph three, saved.")
    assert page.evaluate("document.getElementById('ch01').kept") is True
    assert page.evaluate("document.getElementById('ch02').kept") is None


def test_the_scroll_position_is_kept(page: Page, book: Path) -> None:
    page.evaluate("window.scrollTo(0, 2400)")
    page.wait_for_function("window.scrollY === 2400")
    edit(book / "manuscript" / "chapters" / "two.md", "Paragraph 30.", "Paragraph thirty, revised.")
    shows(page, "Paragraph thirty, revised.")
    assert page.evaluate("window.scrollY") == 2400


def test_an_error_shows_its_file_and_line_and_a_fix_brings_the_book_back(page: Page, book: Path, preview: Preview) -> None:
    chapter = book / "manuscript" / "chapters" / "one.md"
    edit(chapter, "Again [@alpha2020, 12].", "Again [@gamma1999].")
    shows(page, "The book does not build")
    errors = page.inner_text(".folio-errors")
    assert "manuscript/chapters/one.md:10" in errors and "C001" in errors and "[@gamma1999]" in errors
    assert "First claim" not in page.inner_text("body")  # the error, instead of the book

    edit(chapter, "Again [@gamma1999].", "Again [@alpha2020, 14].")
    shows(page, "First claim")
    assert page.locator(".folio-errors").count() == 0

    # book.yaml wrong: its file and line too; the server still answers, and the fix brings the book back.
    config = book / "manuscript" / "book.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "print:\n  trim: 7 by 9\n", encoding="utf-8")
    shows(page, "The book does not build")
    assert re.search(r"manuscript/book\.yaml:\d+", page.inner_text(".folio-errors"))
    assert "trim" in page.inner_text(".folio-errors")
    config.write_text(config.read_text(encoding="utf-8").replace("  trim: 7 by 9\n", "  trim: 6x9in\n"), encoding="utf-8")
    shows(page, "First claim")


def get(preview: Preview, path: str, host: str = "") -> int:
    """The status of a GET of `path` sent as it is written (no client cleans it up)."""
    connection = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
    connection.putrequest("GET", path, skip_host=bool(host))
    if host:
        connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def test_only_the_projects_outputs_and_assets_are_served(book: Path, tmp_path: Path) -> None:
    images = book / "manuscript" / "images"
    secret = tmp_path / "secret.png"  # outside the project
    secret.write_bytes(png())
    (images / "link.png").symlink_to(secret)
    (book / "build").mkdir()
    (book / "build" / "test-book.pdf").write_bytes(b"%PDF-1.7 stand-in")
    (book / "build" / "test-book.epub").write_bytes(b"PK stand-in")
    (book / "build" / "notes.txt").write_text("not a product")
    served = Preview(book, port=0, pdf=False)
    served.start()
    try:
        # What is served: the page, an image of the manuscript, a product of the output folder.
        assert get(served, "/") == 200
        assert get(served, "/images/plate.png") == 200
        assert get(served, "/_out/test-book.pdf") == 200
        assert get(served, "/_out/test-book.epub") == 200
        assert re.search(r'href="/_out/test-book\.epub\?v=\d+"', served.shown().html)  # the latest EPUB, one click away
        climbing = [
            "/../secret.png",
            "/images/../../../secret.png",
            "/%2e%2e/secret.png",
            "/images/%2E%2E/%2E%2E/%2e%2e/secret.png",
            "/images/..%2f..%2f..%2fsecret.png",
            "/%2F..%2F..%2Fsecret.png",
            "/_out/../manuscript/images/plate.png",
            "/_out/%2e%2e/manuscript/book.yaml",
            "/images/.%2e/.%2e/.%2e/secret.png",
            "/images\\..\\..\\..\\secret.png",
        ]
        absolute = [
            f"/{secret}",
            f"//{secret}",
            f"/%2F{str(secret).lstrip('/')}",
            f"http://127.0.0.1:{served.port}/{secret}",
            "/etc/passwd",
        ]
        not_assets = [
            "/manuscript/book.yaml",
            "/book.yaml",
            "/chapters/one.md",
            "/_out/notes.txt",
            "/_out/.cache",
            "/_folio/font/../../x.ttf",
        ]
        for path in [*climbing, *absolute, "/images/link.png", *not_assets]:
            assert get(served, path) == 404, path
        assert secret.read_bytes()  # it exists: the 404s above are refusals, not misses
        # Another site's name for 127.0.0.1 (DNS rebinding) is refused.
        assert get(served, "/", host="attacker.example:80") == 403
    finally:
        served.stop()


@pytest.mark.parametrize(
    ("path", "relative"),
    [
        ("/images/a.png", "images/a.png"),
        ("/a%20b.png", "a b.png"),
        ("/x/../a.png", None),
        ("/%2e%2e/a.png", None),
        ("//a.png", None),
        ("/", None),
    ],
)
def test_safe_path(path: str, relative: str | None) -> None:
    assert safe_path(path) == relative


def test_a_page_belongs_to_the_last_chapter_that_starts_on_or_before_it() -> None:
    starts = {"ch01": 5, "ch02": 9, "ch03": 13}
    assert [chapter_of(page, starts) for page in (1, 5, 8, 9, 20)] == ["", "ch01", "ch01", "ch02", "ch03"]


def test_the_preview_builds_the_print_pdf_and_leaves_the_printers_file_to_folio_build(tmp_path: Path) -> None:
    book = make_book(tmp_path / "book", {"one.md": CHAPTER_ONE}, extra="print:\n  press: true\n")
    result = build_pdf(book, book / "build")
    assert result["ok"] and result["file"] == "test-book.pdf" and (book / "build" / "test-book.pdf").is_file()
    assert not (book / "build" / "test-book-press.pdf").exists()
    code, _, err = run_folio(["build", "pdf", "--project", str(book)])  # the command line makes what book.yaml asks
    assert code == 0, err
    assert (book / "build" / "test-book-press.pdf").is_file()


def test_the_pdf_worker_is_asked_to_build_before_the_page_says_it_builds(tmp_path: Path) -> None:
    """Saying "building" makes the page again (0.2 s for a book of 160 chapters): the worker is
    asked first, so that it builds the PDF meanwhile, not after."""
    book = make_book(tmp_path / "book", {"one.md": CHAPTER_ONE})
    seen: list[object] = []
    finished = threading.Event()

    def started(version: str) -> None:
        process = builder._process
        seen.append(("asked", process is not None and process.poll() is None))

    def done(version: str, result: dict[str, object]) -> None:
        seen.append(("built", result.get("ok")))
        finished.set()

    builder = PdfBuilder(book, book / "build", started, done)
    builder.start()
    try:
        builder.request("v1")
        assert finished.wait(300)
    finally:
        builder.close()
    assert seen == [("asked", True), ("built", True)]


def test_a_preview_started_again_on_the_same_book_links_the_pdf_it_has(tmp_path: Path) -> None:
    """The server started again with nothing changed: its first build has nothing to do, and
    reports the PDF as it is (it used to look for a product the build had not made, and fail)."""
    long = CHAPTER_ONE + "\n" + "A paragraph long enough to fill a page with others of its kind, line after line. " * 300 + "\n"
    book = make_book(tmp_path / "book", {"one.md": long})
    first = build_pdf(book, book / "build")
    again = build_pdf(book, book / "build")
    assert first["ok"] and again["ok"], again
    assert again["file"] == first["file"] and again["pages"] == first["pages"] > 1 and again["mtime"] == first["mtime"]
    assert again["breaks"] == first["breaks"] and {b["chapter"] for b in first["breaks"]} == {"ch01"}  # where the chapter starts, recorded


@pytest.mark.expect_logs  # WeasyPrint may warn about the loose lines it is made to set
def test_the_pdf_follows_in_the_background_its_pages_marked_and_warnings_beside_them(browser: Browser, tmp_path: Path) -> None:
    # Chapter two runs over several pages; long unbreakable numbers in a justified paragraph near
    # its end set loose lines (L006) on one of its later pages.
    loose = " ".join(str(n) * 18 for n in range(1, 9))
    paragraphs = [f"Paragraph {n}. {PROSE}" for n in range(1, 13)]
    two = "---\ntitle: Two\nnumber: 2\n---\n\n" + "\n\n".join([*paragraphs, f"Loose {loose} end of the line here."]) + "\n"
    book = make_book(tmp_path / "book", {"one.md": CHAPTER_ONE, "two.md": two})
    served = Preview(book, port=0, pdf=True)
    served.start()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(180_000)  # a cold worker on a busy machine
    try:
        page.goto(served.url)
        page.wait_for_function("document.querySelector('.folio-bar').dataset.pdfState === 'built'")
        link = page.locator("a.folio-pdf").get_attribute("href")
        assert link is not None and link.startswith("/_out/test-book.pdf?v=")
        pdf = book / "build" / "test-book.pdf"
        assert page.request.get(served.url.rstrip("/") + link).body() == pdf.read_bytes()

        # Each page of chapter two after its first is marked where it begins in the text, with a
        # link to that page of the PDF: the text after the mark is the text the page starts with.
        bodies = pdf_body_text_by_page(pdf, book)
        marks = page.locator("#ch02 .folio-page")
        assert marks.count() >= 2
        for index in range(marks.count()):
            number = int(marks.nth(index).get_attribute("data-page") or 0)
            after = marks.nth(index).evaluate(FOLLOWING_LETTERS)
            assert after and letters(bodies[number - 1]).startswith(after), number
            label = page.locator(f'#ch02 .folio-page-label[data-page="{number}"]')
            assert (label.get_attribute("href") or "").endswith(f"#page={number}")

        # The layout warnings stand beside the page they concern, at the height of its mark.
        (warned,) = {w["page"] for w in served.pdf_status.warnings if w["code"] == "L006"}
        aside = page.locator(f'#ch02 .folio-page-notes[data-page="{warned}"]')
        assert "L006" in aside.inner_text() and f"page {warned}" in aside.inner_text()
        mark_top = page.locator(f'#ch02 .folio-page[data-page="{warned}"]').evaluate("m => m.getBoundingClientRect().top")
        assert abs(aside.evaluate("a => a.getBoundingClientRect().top") - mark_top) < 40
        assert page.locator("#ch01 .folio-notes").count() == 0

        # A worker that died between builds is replaced by the next build.
        assert served._pdf is not None and served._pdf._process is not None
        os.killpg(served._pdf._process.pid, signal.SIGKILL)
        before = page.locator(".folio-bar").get_attribute("data-pdf-version")
        edit(book / "manuscript" / "chapters" / "one.md", "Second claim", "A claim the PDF must learn")
        page.wait_for_function(
            "v => { const b = document.querySelector('.folio-bar'); return b.dataset.pdfState === 'built' && b.dataset.pdfVersion !== v; }",
            arg=before,
        )
        assert page.locator(".folio-bar").get_attribute("data-pdf-state") == "built"
        with pdfplumber.open(pdf) as document:
            assert "A claim the PDF must learn" in " ".join(p.extract_text() for p in document.pages)
        assert page.locator("a.folio-pdf").get_attribute("href") != link
    finally:
        page.close()
        served.stop()
    assert served._pdf is not None and served._pdf._process is not None
    assert served._pdf._process.poll() is not None  # the worker is gone

    # A new preview shows the last PDF and its warnings at once, before it builds one of its own.
    again = Preview(book, port=0, pdf=True)
    assert again.pdf_status.state == "built" and again.pdf_status.file == "test-book.pdf"
    assert any(w["code"] == "L006" for w in again.pdf_status.warnings)


# The first 40 letters and digits of the text after an element, in document order.
FOLLOWING_LETTERS = """mark => {
  const walker = document.createTreeWalker(mark.closest('.chapter'), NodeFilter.SHOW_TEXT);
  walker.currentNode = mark;
  let text = '';
  for (let node; (node = walker.nextNode()) && text.length < 40; ) text += node.data;
  return [...text].filter(c => /[\\p{L}\\p{N}]/u.test(c)).join('').toLowerCase().slice(0, 40);
}"""


def letters(text: str) -> str:
    return "".join(c for c in text if c.isalnum()).lower()


def test_ctrl_c_stops_it_cleanly(book: Path) -> None:
    """Ctrl-C reaches the terminal's whole process group: the server stops, its PDF worker with it,
    without a traceback, exit status 0, and nothing of the PDF's layouts is left in the temporary
    folder (the worker, ended by SIGTERM, removes WeasyPrint's font folders first)."""
    temporary = book.parent / "tmp"
    temporary.mkdir()
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "TMPDIR": str(temporary)}
    command = [sys.executable, "-m", "folio", "serve", "--project", str(book), "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(2)]  # the page made, then where it is served
        url = re.search(r"http://127\.0\.0\.1:(\d+)/", "".join(lines))
        assert url, lines
        connection = http.client.HTTPConnection("127.0.0.1", int(url[1]), timeout=10)
        connection.request("GET", "/")
        assert connection.getresponse().status == 200
        deadline = time.monotonic() + 20
        while not (worker := _children(server.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker, "the PDF worker runs"
        os.killpg(server.pid, signal.SIGINT)
        stdout, stderr = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    assert server.returncode == 0, stderr
    assert "Traceback" not in stderr + stdout
    assert "stopped" in stdout
    time.sleep(0.2)
    assert not [pid for pid in worker if alive(pid)]
    assert font_folders(temporary) == []


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_measure_preview_times_an_edit_in_the_browser(browser: Browser, book: Path) -> None:
    figures = measure_preview(book, runs=1, pdf=False, browser=browser)
    assert figures["chapters"] == 2 and len(figures["html_runs"]) == 1
    assert 0 < figures["html_seconds"] < 30
    assert "Preview mark" not in (book / "manuscript" / "chapters" / "two.md").read_text(encoding="utf-8")  # put back


def test_no_book_or_a_taken_port_is_a_usage_error(tmp_path: Path, book: Path) -> None:
    code, _, err = run_folio(["serve", "--project", str(tmp_path / "nowhere")])
    assert code == 2 and "no book.yaml here" in err and "Traceback" not in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, _, err = run_folio(["serve", "--project", str(book), "--port", str(taken.getsockname()[1])])
    assert code == 2 and "cannot serve on 127.0.0.1" in err and "--port" in err
