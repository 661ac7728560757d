"""folio/text/math.py: TeX that Pandoc cannot convert is an error at its line; bare \\ line
breaks in display math are set as gathered lines, with a warning."""

from __future__ import annotations

from pathlib import Path

from folio.project.config import styles_dir
from folio.project.manuscript import Chapter
from folio.text.citestyle import Citeproc
from folio.text.fragment import build_fragment
from folio.text.math import gather_line_breaks, unconverted_math
from folio.text.pandoc import Body, chapters_to_html, split_warnings

from helpers import make_book, run_folio


def NOTES(bib):  # noqa: N802 - Chicago notes with this bibliography
    return Citeproc((bib,), styles_dir() / "chicago-notes-bibliography.csl", "note", per_chapter=False)


def chapter(body: str, body_line: int = 5) -> Chapter:
    return Chapter(Path("manuscript/chapters/ch.md"), 1, "Title", 1, body, body_line)


def convert(tmp_path: Path, body: str):

    bib = tmp_path / "refs.yaml"
    bib.write_text("[]\n", encoding="utf-8")
    return chapters_to_html([Body(body, "ch01-", "en-US")], NOTES(bib), None)[0]


BAD = """\
Some text with good math $x^2$.

More text, and then a formula with a macro nobody defined:
$\\badmacro{x} + 1$ in the middle of a line.

$$a = 1
+ \\undefined{b}$$
"""


def test_unconvertible_math_is_an_error_at_its_line(tmp_path):
    result = convert(tmp_path, BAD)
    findings, rest = unconverted_math(chapter(BAD), result.warnings)
    assert rest == []
    assert [(f.code, f.line, f.col) for f in findings] == [("M014", 8, 2), ("M014", 11, 1)]
    # The second formula's error is on its second line (the file line Pandoc's caret points at).
    assert "\\badmacro{x} + 1" in findings[0].message
    assert "unexpected control sequence \\badmacro" in findings[0].message
    assert all(f.is_error for f in findings)


def test_pandoc_warnings_keep_their_continuation_lines():
    first = "[WARNING] Could not convert TeX math a\\\\\n  b, rendering as TeX:\n  b\n  ^\n  oops"
    assert split_warnings(first + "\n[WARNING] Other thing\n") == [first, "[WARNING] Other thing"]


def test_bad_formula_stops_the_build_with_file_and_line(tmp_path):
    make_book(tmp_path, {"one.md": "---\ntitle: One\nnumber: 1\n---\n\nText.\n\nA formula $\\frac{1}{$ here.\n"}, references="[]\n")
    out = tmp_path / "out"
    code, _, stderr = run_folio(["build", "--project", str(tmp_path), "--out", str(out), "pdf", "epub"])
    assert code != 0
    assert "manuscript/chapters/one.md:8:12: error: M014 TeX math cannot be converted: \\frac{1}{" in stderr
    assert "Traceback" not in stderr
    written = [path.name for path in out.glob("*") if path.name != ".cache"] if out.exists() else []
    assert written == []


def test_bare_line_breaks_in_display_math_become_gathered_lines(tmp_path):
    body = "Before.\n\n$$\np(B=1) = 0.55\\\\\np(B=2) = 0.45\n$$\n\nAfter, `$$a\\\\b$$` in code is left alone.\n"
    text, findings = gather_line_breaks(chapter(body), body)
    assert [(f.code, f.line) for f in findings] == [("M015", 8)]
    assert not findings[0].is_error
    assert "$$\\begin{gathered}\np(B=1)" in text and "0.45\n\\end{gathered}$$" in text
    assert "`$$a\\\\b$$`" in text
    result = convert(tmp_path, text)
    assert result.warnings == []
    fragment = build_fragment(chapter(body), result.html)
    assert fragment.html.count("<mtr>") == 2


def test_math_in_both_mathjax_forms_is_math(tmp_path):
    """\\(x\\) and \\\\(x\\\\) (MathJax's delimiters, as web manuscripts write them) are math."""
    body = "Single \\(a_1\\) and double \\\\(N_0\\\\) and dollars $y$.\n"
    fragment = build_fragment(chapter(body), convert(tmp_path, body).html)
    assert fragment.html.count("<math ") == 3
    assert 'alttext="a_1"' in fragment.html and 'alttext="N_0"' in fragment.html
    assert "\\(" not in fragment.html and "\\\\" not in fragment.html


def test_folio_check_reports_formulas(tmp_path):
    chapter_text = "---\ntitle: One\nnumber: 1\n---\n\nA formula $\\frac{1}{$ here.\n\n$$a = 1\\\\\nb = 2$$\n"
    make_book(tmp_path, {"one.md": chapter_text}, references="[]\n")
    code, stdout, _ = run_folio(["check", "--project", str(tmp_path)])
    assert code == 1
    assert "manuscript/chapters/one.md:6:12: error: M014" in stdout
    assert "manuscript/chapters/one.md:8:3: warning: M015" in stdout


def test_word_copy_sets_bare_line_breaks_as_an_equation(tmp_path):
    import zipfile

    chapter_text = "---\ntitle: One\nnumber: 1\n---\n\nLines:\n\n$$a = 1\\\\\nb = 2$$\n\nAnd \\\\(N_0\\\\).\n"
    make_book(tmp_path, {"one.md": chapter_text}, references="[]\n")
    code, _, stderr = run_folio(["build", "--project", str(tmp_path), "--out", str(tmp_path / "out"), "docx"])
    assert code == 0, stderr
    with zipfile.ZipFile(tmp_path / "out" / "test-book-review.docx") as archive:
        document = archive.read("word/document.xml").decode("utf-8")
    assert document.count("<m:oMath>") == 2 and "$$" not in document and "N_0" not in document


def test_a_heading_with_math_has_its_tex_in_the_contents(tmp_path):
    body = "## Growth as $e^{rt}$ over `time`\n\nText.\n"
    fragment = build_fragment(chapter(body), convert(tmp_path, body).html)
    assert [h.title for h in fragment.headings] == ["Growth as e^{rt} over time"]
