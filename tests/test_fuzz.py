"""Hostile input: manuscripts generated from a grammar of Markdown (headings, lists, quotes, tables,
code, math, figures), citations known and unknown, footnotes, CriticMarkup, raw HTML safe and
unsafe, and random Unicode (right-to-left scripts, combining marks, zero-width characters, lone
surrogates in book.yaml). `folio build` either succeeds with outputs that pass the project's own
checks (folio check; notes linked both ways; EPUBCheck clean, which the build itself runs) or
exits 1 or 2 with a message, writes nothing, and never shows a traceback.

The default run is short (FOLIO_FUZZ_EXAMPLES, 10); `make fuzz` runs 200.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, NS, chapter_documents, run_folio

EXAMPLES = int(os.environ.get("FOLIO_FUZZ_EXAMPLES", "10"))
FIGURE = FIXTURES / "gallery" / "manuscript" / "images" / "icon.png"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"

REFERENCES = """\
- id: alpha2020
  type: book
  author: [{family: Alpha, given: Ann}]
  title: The First Book
  publisher: Press One
  issued: 2020
- id: beta2021
  type: article-journal
  author: [{family: Beta, given: Bob}]
  title: A Second Article
  container-title: Journal Two
  issued: 2021
"""

# Errors a generated manuscript may rightly be refused for: the grammar makes unknown citation
# keys, unsafe HTML, bad TeX, unclosed marks, images without alternative text, duplicate labels.
# Anything else (EPUBCheck refusing an EPUB Folio made, a tool failing) is a defect of Folio's.
MANUSCRIPT_CODES = re.compile(r"error: (C0\d\d|M0\d\d|K0\d\d|R0\d\d|U0\d\d|X0\d\d|S0\d\d|Z0\d\d) ")

# Text ----------------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "archive", "river", "the", "of", "naïve", "Ægir", "coöperate",
        "مرحبا", "بالعالم", "שָׁלוֹם", "עולם",  # right-to-left, with points
        "日本語", "中文", "한국어", "Ελληνικά", "кириллица", "देवनागरी", "ไทย",
        "e\u0301\u0302\u0303", "a\u0308\u0308\u0308",  # stacked combining marks
        "zero\u200bwidth", "join\u200dd", "\u200f", "\u200e", "\ufeff", "soft\u00adhyphen",
        "👩\u200d🔬", "🏳️\u200d🌈", "x\u034f",
        "nul\x00", "esc\x1b[31m", "vt\x0b",  # control characters, pasted from a database or a terminal
        "AT&T", "a<b", "5 > 3", "100%", "C++", "snake_case", "*", "#", "|", "\\", "`",
    ]
)  # fmt: skip
NOISE = st.text(st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn")), min_size=1, max_size=8)
"""Any printable Unicode at all, Markdown's punctuation included."""


def joined(parts: list[str]) -> str:
    return " ".join(parts)


plain = st.lists(st.one_of(WORDS, WORDS, WORDS, NOISE), min_size=1, max_size=8).map(joined)
citation = st.sampled_from(["[@alpha2020]", "[@beta2021, 12]", "[see @alpha2020; @beta2021]", "@alpha2020", "[@nobody1999]"])
critic = st.builds(
    lambda kind, a, b: {
        "ins": f"{{++{a}++}}", "del": f"{{--{a}--}}", "sub": f"{{~~{a}~>{b}~~}}",
        "mark": f"{{=={a}==}}{{>>{b}<<}}", "comment": f"{{>>{a}<<}}", "open": f"{{++{a}",
    }[kind],
    st.sampled_from(["ins", "del", "sub", "mark", "comment", "ins", "del", "open"]),
    WORDS, WORDS,
)  # fmt: skip
math = st.sampled_from(["$x^2$", r"$\frac{1}{N}\sum_i x_i$", r"$\alpha + \beta$", r"$\frac{1}{$", r"\(e^{i\pi}\)"])
html = st.sampled_from(
    ["<sup>2</sup>", "<sub>i</sub>", "<em>so</em>", "<br>", "<!-- a comment -->", "<span>x</span>",
     "<script>alert(1)</script>", '<img src="x.png" alt="">', "<iframe src=x></iframe>", "<b onclick=x>b</b>"]
)  # fmt: skip


@st.composite
def inline(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                plain, plain, plain, citation, critic, math, html,
                plain.map(lambda t: f"*{t}*"), plain.map(lambda t: f"**{t}**"), plain.map(lambda t: f"`{t}`"),
                plain.map(lambda t: f"^[{t}]"), plain.map(lambda t: f"[{t}](https://example.org/{len(t)})"),
            ),
            min_size=1, max_size=6,
        )
    )  # fmt: skip
    return " ".join(parts)


@st.composite
def block(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["para", "para", "para", "heading", "list", "quote", "table", "code", "display", "figure"]))
    if kind == "heading":
        return "#" * draw(st.integers(2, 4)) + " " + draw(plain)
    if kind == "list":
        marker = draw(st.sampled_from(["-", "1.", "*"]))
        items = draw(st.lists(inline(), min_size=1, max_size=4))
        nested = draw(st.booleans())
        return "\n".join(f"{marker} {item}" + (f"\n\n    - {item}" if nested else "") for item in items)
    if kind == "quote":
        return "\n".join("> " + line for line in draw(inline()).split("\n"))
    if kind == "table":
        columns = draw(st.integers(1, 4))
        rows = draw(st.lists(st.lists(WORDS, min_size=columns, max_size=columns), min_size=1, max_size=5))
        lines = ["| " + " | ".join(f"H{n}" for n in range(columns)) + " |", "|" + "---|" * columns]
        lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
        return "\n".join(lines) + "\n\n: " + draw(plain)
    if kind == "code":
        return "```" + draw(st.sampled_from(["", "python", "r"])) + "\n" + draw(NOISE) + "\nprint('x')\n```"
    if kind == "display":
        return draw(st.sampled_from([r"$$\int_0^1 f(x)\,dx$$", "$$a \\\\ b$$", r"$$\begin{matrix} a & b \end{matrix}$$", "$$\\frac{$$"]))
    if kind == "figure":
        alt = draw(st.one_of(plain, st.just("")))
        return f"![{alt}](images/figure.png)"
    return draw(inline())


@st.composite
def chapter(draw: st.DrawFn, number: int) -> str:
    title = draw(plain).replace('"', "'").replace("\\", "/")
    blocks = draw(st.lists(block(), min_size=1, max_size=8))
    return f'---\ntitle: "{title}"\nnumber: {number}\n---\n\n' + "\n\n".join(blocks) + "\n"


CONTROLS = dict.fromkeys(range(32), " ")
QUOTED = plain.map(lambda t: '"' + t.translate(CONTROLS).replace("\\", "/").replace('"', "'") + '"')
YAML_TEXT = st.one_of(  # mostly text that builds; now and then a hostile escape
    *[QUOTED] * 6,
    st.sampled_from(['"A \\ud800 lone surrogate"', '"\\udfff"', '"RTL \\u202e override"', '"tab\\tand\\u0000nul"', "'plain'"]),
)


@st.composite
def book(draw: st.DrawFn) -> tuple[str, list[str]]:
    chapters = [draw(chapter(n)) for n in range(1, draw(st.integers(1, 2)) + 1)]
    lines = [
        f"title: {draw(QUOTED)}",
        f"author: {draw(QUOTED)}",
        f"subtitle: {draw(YAML_TEXT)}",  # the hostile escapes here: most books should get as far as the layout
        "slug: fuzz",
        "identifier: urn:uuid:00000000-0000-4000-8000-00000000f022",
        f"language: {draw(st.sampled_from(['en-US', 'ar', 'he', 'ja', 'de']))}",
        "chapters:",
        *(f"  - chapters/{n:02d}.md" for n in range(1, len(chapters) + 1)),
    ]
    return "\n".join(lines) + "\n", chapters


# The property -----------------------------------------------------------------------------------


@pytest.mark.expect_logs  # what a hostile manuscript makes the tools say is the build's report, not the test's
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=EXAMPLES <= 10,  # the short run is the same every time; `make fuzz` explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(book())
@example(  # a lone surrogate in book.yaml once crashed the layout (UnicodeEncodeError deep in WeasyPrint)
    (
        'title: "A \\ud800 lone surrogate"\nauthor: A\nslug: fuzz\nidentifier: urn:uuid:00000000-0000-4000-8000-00000000f022\n'
        "chapters:\n  - chapters/01.md\n",
        ["---\ntitle: One\n---\n\nText [@alpha2020].\n"],
    )
)
@example(  # a NUL in book.yaml once reached the EPUB, which EPUBCheck then refused (V001)
    (
        'title: T\nsubtitle: "tab\\tand\\u0000nul"\nauthor: A\nslug: fuzz\nidentifier: urn:uuid:00000000-0000-4000-8000-00000000f022\n'
        "chapters:\n  - chapters/01.md\n",
        ["---\ntitle: One\n---\n\nText [@alpha2020].\n"],
    )
)
@example(  # a NUL written as itself in a chapter's front matter once stopped the YAML reader with a traceback
    (
        "title: T\nauthor: A\nslug: fuzz\nidentifier: urn:uuid:00000000-0000-4000-8000-00000000f022\nchapters:\n  - chapters/01.md\n",
        ['---\ntitle: "nul\x00"\n---\n\nText [@alpha2020].\n'],
    )
)
def test_any_manuscript_builds_or_is_refused_cleanly(generated: tuple[str, list[str]]) -> None:
    config, chapters = generated
    with tempfile.TemporaryDirectory(prefix="folio-fuzz-") as folder:
        root = Path(folder) / "book"
        (root / "manuscript" / "chapters").mkdir(parents=True)
        (root / "manuscript" / "images").mkdir()
        shutil.copy(FIGURE, root / "manuscript" / "images" / "figure.png")
        (root / "manuscript" / "book.yaml").write_text(config, encoding="utf-8")
        (root / "manuscript" / "references.yaml").write_text(REFERENCES, encoding="utf-8")
        for number, text in enumerate(chapters, start=1):
            (root / "manuscript" / "chapters" / f"{number:02d}.md").write_text(text, encoding="utf-8")
        out = Path(folder) / "out"

        code, stdout, stderr = run_folio(["build", "pdf", "epub", "--project", str(root), "--out", str(out)])

        event(f"exit {code}" + "".join(f" {c}" for c in sorted(set(re.findall(r"error: ([A-Z]\d{3})", stderr)))))
        assert "Traceback" not in stderr + stdout
        assert code in (0, 1, 2), stderr
        written = sorted(p.name for p in out.glob("fuzz*")) if out.exists() else []
        if code:
            assert stderr.strip(), "refused without a message"
            assert written == [], "a refused build wrote outputs"
            if code == 1:
                assert MANUSCRIPT_CODES.search(stderr), f"refused for something that is not the manuscript's fault:\n{stderr}"
            return
        assert written == ["fuzz.epub", "fuzz.pdf"]
        assert not re.search(r"\bV00\d\b", stderr), f"EPUBCheck was not clean:\n{stderr}"
        check, _, check_err = run_folio(["check", "--project", str(root)])
        assert check == 0, check_err
        notes_link_both_ways(out / "fuzz.epub")


def notes_link_both_ways(epub: Path) -> None:
    for name, doc in chapter_documents(epub):
        ids = {element.get("id"): element for element in doc.iter() if element.get("id")}
        calls = doc.xpath("//h:a[@role='doc-noteref']", namespaces=NS)
        notes = doc.xpath("//h:section[@role='doc-endnotes']/h:ol/h:li", namespaces=NS)
        assert len(calls) == len(notes), name
        for call, note in zip(calls, notes, strict=True):
            assert ids[call.get("href").lstrip("#")] is note, name
            back = note.xpath(".//h:a[@role='doc-backlink']", namespaces=NS)
            assert len(back) == 1 and ids[back[0].get("href").lstrip("#")] is call, name
