"""The corpus case poisot-links-species (CSL JSON, pandoc-xnos cross-references, a numeric style)
checked and converted in a temporary project with a book.yaml of ours; its files are read in place."""

from __future__ import annotations

import re
import shutil

from folio.checks.book import check_book
from folio.project.config import load_project

from helpers import CORPUS, FIXTURES

CASE = CORPUS / "poisot-links-species"


def test_poisot_cross_references_and_citations_resolve(tmp_path):
    manuscript = tmp_path / "manuscript"
    (manuscript / "chapters").mkdir(parents=True)
    shutil.copy(FIXTURES / "corpus" / "poisot-links-species" / "book.yaml", manuscript / "book.yaml")
    shutil.copy(CASE / "references.json", manuscript / "references.json")
    shutil.copytree(CASE / "figures", manuscript / "figures")
    # The one change by hand: front matter, until a chapter without it is accepted (another piece of issue 11).
    title = "---\ntitle: Revisiting the links-species scaling relationship in food webs\n---\n\n"
    (manuscript / "chapters" / "manuscript.md").write_text(title + (CASE / "manuscript.md").read_text(encoding="utf-8"), encoding="utf-8")

    project = load_project(tmp_path)
    checked = check_book(project)
    assert checked.errors == []
    # 7 entries of references.json are never cited; B001: TeX Pandoc cannot turn into HTML (another piece)
    assert {f.code for f in checked.findings} == {"C005", "B001"}
    assert len({c.key for c in checked.citations}) == 56  # SOURCE.md: 56 bibliographic keys, 18 cross-reference keys

    assert not [f for f in checked.findings if "Citeproc" in f.message]
    fragments = checked.fragments
    # The authors end with an empty "# References" for Pandoc to fill: the book's list goes there.
    (text,) = (fragment.html for fragment in fragments)
    references = text[text.index('role="doc-bibliography"') :]
    # 7 figures, 2 tables, 12 equations numbered; every cross-reference a link to one of them.
    assert len(re.findall(r'<span class="caption-label">Figure\u00a0\d\.</span>', text)) == 7
    assert len(re.findall(r'<span class="caption-label">Table\u00a0\d\.</span>', text)) == 2
    assert len(re.findall(r'<span id="ch01-eq:[^"]+" class="equation">', text)) == 12
    targets = set(re.findall(r'href="#(ch01-(?:fig|tbl|eq):[^"]+)"', text))
    assert len(targets) == 18
    assert all(f'id="{target}"' in text for target in targets)
    # Numeric citations link to the book's one list, which numbers 56 sources in citation order.
    cited = set(re.findall(r'href="#(ch01-ref-[^"]+)"', text))
    assert len(cited) == 56 and all(f'id="{target}"' in references for target in cited)
    numbers = re.findall(r'<div class="csl-left-margin">(\d+)\.', references)
    assert numbers == [str(n) for n in range(1, 57)]
