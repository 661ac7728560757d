"""The review draft: line numbers, version stamp, DRAFT mark, editorial marks, comments, redline."""

from __future__ import annotations

import re
import zipfile

import pdfplumber
from lxml import etree

from helpers import MARKED, git, make_book, normalise, run_folio

GREEN = (0.0, 0.439216, 0.101961)  # insertions: #00701a
RED = (0.690196, 0.0, 0.12549)  # deletions: #b00020


def words(pdf_path):
    with pdfplumber.open(pdf_path) as pdf:
        return [
            [
                (w["text"], tuple(round(c, 6) for c in w["non_stroking_color"] or ()), w["top"], w["x0"])
                for w in page.extract_words(extra_attrs=["non_stroking_color"])
            ]
            for page in pdf.pages
        ]


def margin_numbers(page_words, text_left):
    """Line numbers printed in the left margin of one page: (number, top)."""
    return [(int(t), top) for t, _, top, x0 in page_words if x0 < text_left - 10 and t.isdigit()]


def test_every_page_has_line_numbers_version_stamp_and_draft_mark(built):
    """The chapter's draft: numbers restart on each page and run 1, 2, 3 ... down the margin."""
    with pdfplumber.open(built.draft) as pdf:
        total = len(pdf.pages)
        for number, page in enumerate(pdf.pages, start=1):
            text = page.extract_text()
            assert "DRAFT" in text
            assert f"page {number} of {total}" in text
            assert re.search(r"Version: \S+", text), text[-200:]
            numbers = margin_numbers([(w["text"], (), w["top"], w["x0"]) for w in page.extract_words()], 72)
            assert [n for n, _ in numbers] == list(range(1, len(numbers) + 1)), f"page {number}: {numbers}"
            assert [top for _, top in numbers] == sorted(top for _, top in numbers)
            if number >= 3:
                assert len(numbers) >= 8


def test_citation_keys_shown_with_each_note(built):
    with pdfplumber.open(built.draft) as pdf:
        text = "".join(page.extract_text() for page in pdf.pages)
    for key in ("balanche2018", "solomon2023", "usip2018", "dagres2022"):
        assert f"[{key}]" in text


def test_editorial_marks_in_draft_and_final_outputs(tmp_path):
    root = make_book(tmp_path, {"02-marked.md": MARKED})
    code, out, _ = run_folio(["check", "--project", str(root)])
    assert code == 0
    marks = [line for line in out.splitlines() if " K001 " in line]
    assert len(marks) == 10  # every mark, each with its file, line and column
    assert marks[0].startswith("manuscript/chapters/02-marked.md:6:5: warning: K001 unresolved insertion")
    code, _, err = run_folio(["build", "--project", str(root)])
    assert code == 0, err
    build = root / "build"

    pages = words(build / "test-book-draft.pdf")
    coloured = {(text, colour) for page in pages for text, colour, _, _ in page}
    for word in ("quick", "across", "Added", "addition"):
        assert (word, GREEN) in coloured, word
    for word in ("slowly", "over", "two"):
        assert (word, RED) in coloured, word
    # a change inside a citation shows the whole citation twice: the old note call struck, the new one added
    assert ("1", RED) in coloured and ("2", GREEN) in coloured
    draft_text = " ".join(text for page in pages for text, *_ in page)
    assert "Which source says so?" in draft_text and "Check the whole paragraph." in draft_text
    assert "Editorial comments" in draft_text

    with pdfplumber.open(build / "test-book.pdf") as pdf:
        final = normalise(" ".join(page.extract_text() for page in pdf.pages))
    assert normalise("The quick brown fox jumps across the dog") in final
    assert normalise("A risky claim stands here") in final
    assert normalise("Heading Added") in final and normalise("one three") in final
    for gone in ("slowly", "Which source", "Check the whole"):
        assert normalise(gone) not in final
    with zipfile.ZipFile(build / "test-book.epub") as archive:
        chapter = "".join(etree.fromstring(archive.read("OEBPS/text/ch01.xhtml")).itertext())
    assert "jumps across the dog" in chapter and "slowly" not in chapter and "Which source" not in chapter


def test_changes_rejected_when_the_book_says_so(tmp_path):
    root = make_book(tmp_path, {"02-marked.md": MARKED}, extra="changes: reject\n")
    assert run_folio(["build", "pdf", "--project", str(root)])[0] == 0
    with pdfplumber.open(root / "build" / "test-book.pdf") as pdf:
        final = normalise(" ".join(page.extract_text() for page in pdf.pages))
    assert normalise("The brown fox slowly jumps over the dog") in final
    assert normalise("quick") not in final


def test_release_refuses_unresolved_marks_and_unclosed_marks_are_errors(tmp_path):
    root = make_book(tmp_path, {"02-marked.md": MARKED})
    code, _, err = run_folio(["build", "pdf", "--release", "--project", str(root)])
    assert code == 1 and "--release: 10 editorial mark(s) still to resolve" in err
    assert not (root / "build").exists()
    (root / "manuscript" / "chapters" / "02-marked.md").write_text(MARKED.replace("{++quick++}", "{++quick"), encoding="utf-8")
    code, out, _ = run_folio(["check", "--project", str(root)])
    assert code == 1 and "02-marked.md:6:5: error: K002" in out


def test_comment_list_gives_the_page_and_line_printed_beside_the_comment(tmp_path):
    root = make_book(tmp_path, {"02-marked.md": MARKED})
    assert run_folio(["build", "draft", "--project", str(root)])[0] == 0
    pages = words(root / "build" / "test-book-draft.pdf")
    listing = next(i for i, page in enumerate(pages) if any(t == "Editorial" for t, *_ in page))
    # in reading position: the page and line cells are drawn by the margin overlay, after the rest of the page
    rows = [text for text, _, top, x0 in sorted(pages[listing], key=lambda word: (round(word[2]), word[3]))]
    entries = re.findall(r"Chapter 2, (\d) (\d+) (\d+)", " ".join(rows))
    assert [e[0] for e in entries] == ["1", "2"]
    for number, page_number, line_number in entries:
        page = pages[int(page_number) - 1]
        ref_top = next(top for text, colour, top, _ in page if text.strip("[]") == number and colour == (0.0, 0.278431, 0.670588))
        printed = dict(margin_numbers(page, 72))
        assert abs(printed[int(line_number)] - ref_top) < 6, (number, page_number, line_number)


def test_redline_shows_exactly_the_words_changed_between_two_commits(tmp_path):
    front = "---\ntitle: One\nnumber: 1\n---\n\n"
    rest = " It was warm.\n\nA second paragraph stays [@beta2021].\n"
    first = front + "The cat sat on the mat [@alpha2020]." + rest
    second = front + "The dog sat on the old mat [@alpha2020]." + rest
    root = make_book(tmp_path, {"01-one.md": first})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    git(root, "tag", "v1")
    (root / "manuscript" / "chapters" / "01-one.md").write_text(second, encoding="utf-8")
    git(root, "commit", "-qam", "second")
    code, _, err = run_folio(["build", "draft", "--against", "v1", "--project", str(root)])
    assert code == 0, err
    pages = words(root / "build" / "test-book-draft.pdf")
    body = [(text, colour) for page in pages for text, colour, _, x0 in page if x0 > 60]
    inserted = [t for t, c in body if c == GREEN]
    deleted = [t for t, c in body if c == RED]
    assert inserted == ["dog", "old"]
    assert deleted == ["cat"]
    text = " ".join(t for t, _ in body)
    assert "changes since v1" in text and "Version:" in text
    code, _, err = run_folio(["build", "draft", "--against", "nonsense", "--project", str(root)])
    assert code == 2 and "unknown revision 'nonsense'" in err


def test_uncited_sources_are_listed_at_the_end(tmp_path):
    chapter = "---\ntitle: One\n---\n\nOnly one source [@alpha2020].\n"
    root = make_book(tmp_path, {"01-one.md": chapter})
    assert run_folio(["build", "draft", "--project", str(root)])[0] == 0
    with pdfplumber.open(root / "build" / "test-book-draft.pdf") as pdf:
        last = pdf.pages[-1].extract_text()
    assert "Sources not cited" in last
    assert normalise("Beta, Bob. “A Second Article.” Journal Two, 2021.") in normalise(last)
    assert "beta2021" in last and "The First Book" not in last


def test_redline_marks_changed_lines_with_a_bar_and_shows_an_added_note(tmp_path):
    front = "---\ntitle: One\nnumber: 1\n---\n\n"
    unchanged = "\n\n" + " ".join(["An unchanged paragraph of some length."] * 6) + "\n"
    root = make_book(tmp_path, {"01-one.md": front + "The first claim stands [@alpha2020]." + unchanged})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    changed = front + "The first claim stands [@alpha2020]. A new claim [@beta2021]." + unchanged
    (root / "manuscript" / "chapters" / "01-one.md").write_text(changed, encoding="utf-8")
    git(root, "commit", "-qam", "second")
    assert run_folio(["build", "draft", "--against", "HEAD~1", "--project", str(root)])[0] == 0
    with pdfplumber.open(root / "build" / "test-book-draft.pdf") as pdf:
        page = next(p for p in pdf.pages if "new claim" in (p.extract_text() or ""))
        bars = [r for r in page.rects if r["width"] < 3 and r["x0"] < 72]
        line = next(w for w in page.extract_words() if w["text"].startswith("claim") and w["x0"] > 150)
        unchanged_line = next(w for w in page.extract_words() if w["text"] == "unchanged")
        calls = [c for c in page.chars if c["size"] < 9 and c["text"].isdigit() and c["x0"] > 72 and abs(c["top"] - line["top"]) < 8]
    assert any(bar["top"] - 2 <= line["top"] <= bar["bottom"] for bar in bars), "no change bar beside the changed line"
    assert not any(bar["top"] - 2 <= unchanged_line["top"] <= bar["bottom"] for bar in bars), "a bar beside an unchanged line"
    # the added citation: its note call is inserted (green), and its note is in the notes
    assert [(c["text"], tuple(round(v, 6) for v in c["non_stroking_color"])) for c in calls] == [("1", (0.0, 0.0, 0.0)), ("2", GREEN)]


def test_every_fifth_line_numbered_when_asked(tmp_path):
    root = make_book(tmp_path, {"02-marked.md": MARKED}, extra="draft:\n  line_numbers: 5\n  paper: A4\n")
    assert run_folio(["build", "draft", "--project", str(root)])[0] == 0
    with pdfplumber.open(root / "build" / "test-book-draft.pdf") as pdf:
        assert [round(float(v)) for v in pdf.pages[0].mediabox[2:]] == [595, 842]
        numbers = [n for page in words(root / "build" / "test-book-draft.pdf") for n, _ in margin_numbers(page, 72)]
    assert numbers and all(n % 5 == 0 for n in numbers)


def test_the_running_head_stays_on_one_line_beside_the_draft_mark(tmp_path):
    """The draft's running head is the book's title, a dash and the chapter's, when that fits on
    its line beside the DRAFT mark. When it does not, or when the book's title is its chapter's
    (an article), it is the chapter's alone: a head that wrapped ran into the mark."""
    from folio.project.config import load_project

    article = "Revisiting the links-species scaling relationship in food webs"
    for name, title, chapter, expected in [
        ("short", "Test Book", "One", "Test Book — One"),
        ("article", article, article, article),
        ("long", article + " and other questions", "One", "One"),
    ]:
        root = make_book(tmp_path / name, {"one.md": f"---\ntitle: {chapter}\n---\n\nA paragraph of text.\n"})
        book = root / "manuscript" / "book.yaml"
        book.write_text(book.read_text(encoding="utf-8").replace("title: Test Book", f"title: {title}"), encoding="utf-8")
        code, _, err = run_folio(["build", "draft", "--project", str(root)])
        assert code == 0, err
        top = load_project(root).draft_geometry().top
        with pdfplumber.open(root / "build" / "test-book-draft.pdf") as pdf:
            page = next(p for p in pdf.pages if "A paragraph of text" in (p.extract_text() or ""))
            head = [w for w in page.extract_words() if w["bottom"] < top]
        assert len({round(w["top"]) for w in head}) == 1, head  # one line
        assert " ".join(w["text"] for w in head if w["text"] not in ("D", "R", "A", "F", "T", "DRAFT")) == expected
