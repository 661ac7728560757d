"""What the tests share: small books made to order, the command line driven in-process, and
text normalised for comparison. Nothing here reads outside the repository except the corpus of
real manuscripts by others, in ../shared/corpus (see its README)."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import textwrap
import zipfile
from functools import cache
from pathlib import Path

import onixcheck
import pdfplumber
import pikepdf
from lxml import etree

from folio.cli import main
from folio.formats import onix
from folio.project.config import load_project

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SEED = FIXTURES / "seed" / "chapter-35.txt"
"""The chapter as the author delivered it (a plain-text export); the manuscript holds the same words."""
CORPUS = next((p / "shared" / "corpus" for p in REPO.parents if (p / "shared" / "corpus").is_dir()), REPO.parent / "shared" / "corpus")
"""Real manuscripts written by others, with their licences: read in place, never copied here
(../shared/corpus beside the repository, or further up for a git worktree such as wt/NAME)."""
SLUG = "axis-of-resentment"


def run_folio(argv: list[str]) -> tuple[int, str, str]:
    """`folio ARGV` in this process: (exit code, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    return code, stdout.getvalue(), stderr.getvalue()


REFERENCES = """\
- id: alpha2020
  type: book
  author: [{family: Alpha, given: Ann}]
  title: The First Book
  publisher: Press One
  issued: 2020-01-02
- id: beta2021
  type: article-journal
  author: [{family: Beta, given: Bob}]
  title: A Second Article
  container-title: Journal Two
  issued: 2021
"""

CHAPTER_ONE = """\
---
title: One
number: 1
---

First claim [@alpha2020]. Second claim [@beta2021].^[A prose note.]

## Part

Again [@alpha2020, 12].
"""

CHAPTER_TWO = """\
---
title: Two
number: 2
---

Later claim [@beta2021]. And [@alpha2020], as [the part before](#part) showed.
"""

# A screenshot too small for print at the page's width (800 x 500 px: 178 ppi), a chart at 300 ppi
# (900 x 600 px, 3 x 2 in): images/shot.png and images/chart.png, made by each test.
PICTURES = """\
---
title: Pictures
number: 1
---

A screenshot, far too small for print at the width of the page.

![A screenshot of a settings dialog.](images/shot.png){width=100%}

A chart at a comfortable size.

![A chart.](images/chart.png)
"""

MARKED = """\
---
title: Marked
number: 2
---

The {++quick++} brown fox {--slowly--} jumps {~~over~>across~~} the dog [{++see++} @alpha2020].
A {==risky claim==}{>>Which source says so?<<} stands here.^[A note {++with an addition++}.]

## Heading {++Added++}

- **Item:** one {--two--} three.

A standalone remark.{>>Check the whole paragraph.<<} End of text [@beta2021].
"""


def make_book(root: Path, chapters: dict[str, str], references: str = REFERENCES, extra: str = "") -> Path:
    """A small project: chapters maps a file name to its Markdown (front matter included)."""
    manuscript = root / "manuscript"
    (manuscript / "chapters").mkdir(parents=True)
    lines = [
        "title: Test Book",
        "author: Tess Author",
        "slug: test-book",
        "identifier: urn:uuid:00000000-0000-4000-8000-000000000001",
        "chapters:",
        *(f"  - chapters/{name}" for name in chapters),
    ]
    (manuscript / "book.yaml").write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    for name, text in chapters.items():
        (manuscript / "chapters" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    (manuscript / "references.yaml").write_text(references, encoding="utf-8")
    return root


def copy_repo_book(root: Path) -> Path:
    """The repository's own book, copied into `root` (to change it without touching ours)."""
    shutil.copytree(REPO / "manuscript", root / "manuscript")
    return root


def git(root: Path, *args: str) -> None:
    """git in `root`, as an editor with a fixed name."""
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=Ed Itor", "-c", "user.email=ed@example.com", *args], check=True, capture_output=True
    )


def normalise(text: str) -> str:
    """Letters and digits only, lower case: immune to hyphenation, quotes, dashes and line breaks."""
    text = text.replace("\u00ad", "")
    return re.sub(r"[^0-9a-z]", "", text.lower())


# Reading the outputs ---------------------------------------------------------------------------

XHTML = "http://www.w3.org/1999/xhtml"
NS = {"h": XHTML}
ONIX_NS = {"o": onix.NAMESPACE}
ONIX_SCHEMAS = Path(onixcheck.__file__).parent / "schema" / "xsd3.0"


def documents(epub_path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub_path) as archive:
        return {name: etree.fromstring(archive.read(name)) for name in archive.namelist() if name.endswith(".xhtml")}


def chapter_documents(epub_path) -> list[tuple[str, etree._Element]]:
    return [
        (name, doc) for name, doc in sorted(documents(epub_path).items()) if doc.xpath("//h:section[@role='doc-chapter']", namespaces=NS)
    ]


def pdf_body_text_by_page(path: Path, project: Path = REPO) -> list[str]:
    """The text block of each page, without running heads and folios."""
    page = load_project(project).geometry()
    parts = []
    with pdfplumber.open(path) as pdf:
        for p in pdf.pages:
            x0, top, x1, bottom = p.bbox
            body = p.crop((x0, top + page.top - 2, x1, bottom - page.bottom + 2))
            parts.append(body.extract_text() or "")
    return parts


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(ONIX_SCHEMAS / "ONIX_BookProduct_3.0_reference.xsd")))


def text(root: etree._Element, path: str) -> list[str]:
    return [str(t) for t in root.xpath(path + "/text()", namespaces=ONIX_NS)]


def features(root: etree._Element, kind: str) -> list[str]:
    return text(root, f"//o:ProductFormFeature[o:ProductFormFeatureType='{kind}']/o:ProductFormFeatureValue")


def pdf_folios(path: Path, project: Path = REPO) -> list[str]:
    """The page number printed in the foot margin of each page ('' for a page without one)."""
    page = load_project(project).geometry()
    folios = []
    with pdfplumber.open(path) as pdf:
        for p in pdf.pages:
            x0, _, x1, bottom = p.bbox
            foot = p.crop((x0, bottom - page.bottom + 2, x1, bottom))
            folios.append((foot.extract_text() or "").strip())
    return folios


# Comparing laid-out PDFs (a book joined from parts against the single pass) -------------------


def page_texts(path: Path) -> list[str]:
    """Every page's whole text: running head, body and folio."""
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def outline(pdf: pikepdf.Pdf) -> list[tuple[int, str, int]]:
    """(depth, title, page number) of every outline item, in order."""
    pages = [page.objgen for page in pdf.pages]
    items: list[tuple[int, str, int]] = []

    def walk(children: list[pikepdf.OutlineItem], depth: int) -> None:
        for item in children:
            items.append((depth, item.title, pages.index(item.destination[0].objgen) + 1))
            walk(item.children, depth + 1)

    with pdf.open_outline() as tree:
        walk(tree.root, 0)
    return items


def link_targets(pdf: pikepdf.Pdf) -> list[tuple[int, str, int]]:
    """(page of the link, destination name, page it leads to) for every internal link."""
    pages = [page.objgen for page in pdf.pages]
    dests = {str(name): pages.index(dest[0].objgen) + 1 for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}
    links = set()
    for number, page in enumerate(pdf.pages, start=1):
        for annotation in page.obj.get("/Annots", []):
            if "/Dest" in annotation:
                links.add((number, str(annotation.Dest), dests.get(str(annotation.Dest), 0)))
    return sorted(links)


def content_streams(pdf: pikepdf.Pdf) -> list[tuple[str, pikepdf.Object]]:
    """Every page, and every form XObject and tiling pattern drawn from one, once each."""
    found, seen = [], set()

    def visit(where: str, stream: pikepdf.Object) -> None:
        found.append((where, stream))
        resources = stream.get("/Resources", {})
        for name, child in [*resources.get("/XObject", {}).items(), *resources.get("/Pattern", {}).items()]:
            drawn = child.get("/Subtype") == "/Form" or child.get("/PatternType") == 1
            if drawn and child.objgen not in seen:
                seen.add(child.objgen)
                visit(f"{where} {name}", child)

    for number, page in enumerate(pdf.pages, start=1):
        visit(f"page {number}", page)
    return found


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (ended, its exit status not yet collected)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def font_folders(temporary: Path) -> list[str]:
    """WeasyPrint's folders of @font-face files in this temporary folder, made while a layout runs."""
    return [p.name for p in temporary.iterdir() if p.name.startswith("weasyprint-")]
