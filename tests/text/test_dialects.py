"""folio/text/dialects.py: Jekyll's figure includes and \\aosafigure read as figures, in the check
(a note, or a warning saying where the image was looked for) and in the build (a real figure in
the PDF and the EPUB)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pdfplumber
from lxml import etree
from PIL import Image

from folio.checks.book import check_book
from folio.project.config import load_project
from folio.text.convert import convert
from folio.text.dialects import read_figures

from helpers import NS, make_book, normalise, run_folio

HEAD = "---\ntitle: Pictures\nnumber: 1\n---\n\n"
CAPTION = "Figure 1 : Décroissance *exponentielle* des atomes."
INCLUDE = f'{{% include figure.html filename="decay.png" caption="{CAPTION}" alt=\'Bars, "tall" ones\' %}}'


def picture(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (600, 300), (40, 90, 160)).save(path, dpi=(300, 300))
    return path


def book(tmp_path: Path, body: str, image: str | None = "images/one/decay.png") -> Path:
    root = make_book(tmp_path / "book", {"one.md": HEAD + body})
    if image:
        picture(root / "manuscript" / image)
    return root


def findings(root: Path, *codes: str) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.col) for f in check_book(load_project(root)).findings if f.code in codes]


def test_a_jekyll_figure_include_prints_as_a_figure_in_the_pdf_and_the_epub(tmp_path):
    root = book(tmp_path, f"Text before.\n\n{INCLUDE}\n\nText after.\n")
    found = [f for f in check_book(load_project(root)).findings if f.code in ("R002", "R020")]
    assert [(f.code, f.line, f.col, f.severity) for f in found] == [("R020", 8, 1, "note")]
    assert found[0].message.startswith("Jekyll figure include read as a figure")
    assert "images/one/decay.png" in found[0].message

    out = tmp_path / "out"
    code, _, err = run_folio(["build", "pdf", "epub", "--project", str(root), "--out", str(out)])
    assert code == 0, err
    with pdfplumber.open(out / "test-book.pdf") as pdf:
        images = [image for page in pdf.pages for image in page.images]
        text = normalise("".join(page.extract_text() or "" for page in pdf.pages))
    assert len(images) == 1 and (images[0]["srcsize"]) == (600, 300)
    assert normalise("Décroissance exponentielle des atomes") in text
    with zipfile.ZipFile(out / "test-book.epub") as epub:
        names = [n for n in epub.namelist() if n.endswith(".xhtml") and "/text/" in n]
        documents = [etree.fromstring(epub.read(n)) for n in names]
    figures = [f for doc in documents for f in doc.xpath("//h:figure[h:img]", namespaces=NS)]
    assert len(figures) == 1
    caption = " ".join("".join(figures[0].find("h:figcaption", NS).itertext()).split())
    assert caption == "Figure 1 : Décroissance exponentielle des atomes."
    assert figures[0].find("h:figcaption/h:em", NS).text == "exponentielle"  # the caption is Markdown, as Jekyll reads it
    assert figures[0].find("h:img", NS).get("alt") == 'Bars, "tall" ones'
    assert "{%" not in "".join(t for doc in documents for t in doc.itertext())


def test_an_include_whose_image_is_missing_stays_a_warning_that_says_where_it_looked(tmp_path):
    root = book(tmp_path, f"Text.\n\n{INCLUDE}\n\n{{% include toc.html %}}\n", image=None)
    found = [f for f in check_book(load_project(root)).findings if f.code in ("R002", "R020")]
    assert [(f.code, f.line, f.col, f.is_error) for f in found] == [("R002", 8, 1, False), ("R002", 10, 1, False)]
    assert "decay.png dropped: image not found" in found[0].message
    assert "manuscript/chapters/images/one/" in found[0].message and "manuscript/images/one/" in found[0].message
    assert "images/one/" in found[0].hint
    assert found[1].message == "Liquid tag {% include toc.html %} dropped"  # other Liquid tags as before


def test_an_image_outside_the_project_is_never_found(tmp_path):
    """A symbolic link (or ../) out of the manuscript folder: not found, whatever lies there."""
    outside = picture(tmp_path / "elsewhere" / "decay.png")
    root = book(tmp_path, f"{INCLUDE}\n", image=None)
    (root / "manuscript" / "images").mkdir()
    (root / "manuscript" / "images" / "one").symlink_to(outside.parent)
    escaping = '{% include figure.html filename="../../../../elsewhere/decay.png" caption="C" %}'
    body = f"{INCLUDE}\n\n{escaping}\n"
    (root / "manuscript" / "chapters" / "one.md").write_text(HEAD + body, encoding="utf-8")
    assert findings(root, "R002", "R020") == [("R002", 6, 1), ("R002", 8, 1)]
    manuscript = root / "manuscript"
    assert read_figures(body, manuscript / "chapters" / "one.md", manuscript) == body


def test_the_markdown_figure_keeps_the_lines_and_code_is_left_alone(tmp_path):
    manuscript = book(tmp_path, "x\n") / "manuscript"
    multi = '{% include figure.html\n   filename="decay.png"\n   caption="Two\nlines" %} after'
    fenced = "```\n" + INCLUDE + "\n```\n"
    body = f"{multi}\n\n{fenced}"
    text = read_figures(body, manuscript / "chapters" / "one.md", manuscript)
    assert text == "![Two\nlines](images/one/decay.png)\n\n after\n\n" + fenced


def test_aosafigure_is_read_as_a_figure_when_its_image_is_beside_the_chapter(tmp_path):
    body = "Like \\aosafigref{500l.sampler.damage}.\n\n\\aosafigure[180pt]{pics/decay.png}{Damage Distribution}{500l.sampler.damage}\n"
    root = book(tmp_path, body, image="chapters/pics/decay.png")
    assert findings(root, "R001", "R020") == [("R020", 6, 6), ("R020", 8, 1)]
    manuscript = root / "manuscript"
    text = read_figures(body, manuscript / "chapters" / "one.md", manuscript)
    figure = "![Damage Distribution](chapters/pics/decay.png){#500l.sampler.damage}"
    assert text == f"Like [Figure](#500l.sampler.damage).\n\n{figure}\n"
    fragment = convert(load_project(root), check_book(load_project(root)).chapters, None)[0][0].html
    assert '<a href="#ch01-500l.sampler.damage">Figure</a>' in fragment and '<figure id="ch01-500l.sampler.damage">' in fragment
    (manuscript / "chapters" / "pics" / "decay.png").unlink()
    found = [f for f in check_book(load_project(root)).findings if f.code == "R001"]
    assert [(f.line, f.col) for f in found] == [(6, 6), (8, 1)]  # the reference too: its figure is gone
    assert "\\aosafigure pics/decay.png dropped: image not found (looked in manuscript/chapters/pics/)" in found[1].message


def test_a_reference_counts_the_dialect_figures_before_it(tmp_path):
    """`@fig:x` names the number its caption prints: a Jekyll figure before it counts (crossref.py)."""
    body = f"See @fig:second.\n\n{INCLUDE}\n\n![Second](images/one/decay.png){{#fig:second}}\n"
    root = make_book(tmp_path / "book", {"one.md": HEAD + body}, extra="figures: numbered\n")
    picture(root / "manuscript" / "images" / "one" / "decay.png")
    project = load_project(root)
    (fragment,), _ = convert(project, check_book(project).chapters, None)
    html = etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{fragment.html}</div>')
    reference = html.xpath("//h:a[contains(@href, 'fig:second')]", namespaces=NS)
    labels = [" ".join("".join(c.itertext()).split()) for c in html.xpath("//h:figcaption", namespaces=NS)]
    assert "".join(reference[0].itertext()) == "Figure\u00a01.2"
    assert labels[0].startswith("Figure 1.1 Figure 1 :") and labels[1] == "Figure 1.2 Second"
