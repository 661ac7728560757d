"""folio/text/figures.py: figure and table ids, numbers, captions and header scopes, from Pandoc's real HTML."""

from __future__ import annotations

import pytest
from lxml import etree

from folio.checks.book import check_book
from folio.errors import ConfigError
from folio.project.config import load_project
from folio.text.convert import convert

from helpers import NS, make_book

FIGURES = """\
---
title: Pictures
number: 35
---

Text before.

![A supply chart](images/a.png){#fig-supply}

![](images/a.png)

![Second, with its own alt](images/a.png){alt="Bars going up" #fig-second}

: Prices by year {#tbl-prices}

| Year | Price |
|:-----|------:|
| 1990 | 12.5  |

| No | Caption |
|----|---------|
| 1  | here    |
"""

LINKS = """\
---
title: Words
number: 36
---

See [Figure](#fig-supply), [Table](#tbl-prices) and [the chart](#fig-supply).
"""


def fragments(tmp_path, extra: str = "figures: numbered\n"):
    root = make_book(tmp_path, {"a.md": FIGURES, "b.md": LINKS}, extra=extra)
    (root / "manuscript" / "images").mkdir()
    from PIL import Image

    Image.new("RGB", (30, 20), "white").save(root / "manuscript" / "images" / "a.png")
    project = load_project(root)
    found, findings = convert(project, check_book(project).chapters, None)
    assert not findings
    return [etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="x">{f.html}</div>') for f in found]


def test_figures_and_tables_numbered_per_chapter_with_ids(tmp_path):
    first, _ = fragments(tmp_path)
    figures = first.xpath("//h:figure", namespaces=NS)
    assert [f.get("id") for f in figures] == ["ch01-fig-supply", "ch01-fig-second"]
    labels = first.xpath("//h:span[@class='caption-label']/text()", namespaces=NS)
    assert labels == ["Figure\u00a035.1", "Figure\u00a035.2", "Table\u00a035.1"]
    table = first.xpath("//h:table[h:caption]", namespaces=NS)[0]
    assert table.get("id") == "ch01-tbl-prices"
    assert "".join(table.find("h:caption", NS).itertext()) == "Table\u00a035.1 Prices by year"


def test_captions_reach_screen_readers_and_headers_have_scope(tmp_path):
    first, _ = fragments(tmp_path)
    captions = first.xpath("//h:figcaption", namespaces=NS)
    assert captions and all(c.get("aria-hidden") is None for c in captions)
    supply, second = first.xpath("//h:figure/h:img", namespaces=NS)
    assert supply.get("alt") == "A supply chart" and supply.get("aria-describedby") is None  # the alt says it already
    assert second.get("alt") == "Bars going up" and second.get("aria-describedby") == "ch01-fig-second-caption"
    assert first.xpath("//h:figure[@id='ch01-fig-second']/h:figcaption/@id", namespaces=NS) == ["ch01-fig-second-caption"]
    headers = first.xpath("//h:thead//h:th", namespaces=NS)
    assert len(headers) == 4 and {th.get("scope") for th in headers} == {"col"}


def test_bare_figure_and_table_links_get_the_number_across_chapters(tmp_path):
    _, second = fragments(tmp_path)
    links = {a.get("href"): "".join(a.itertext()) for a in second.xpath("//h:a", namespaces=NS)}
    texts = ["".join(a.itertext()) for a in second.xpath("//h:a", namespaces=NS)]
    assert links["#ch01-fig-supply"] in ("Figure\u00a035.1", "the chart")
    assert texts == ["Figure\u00a035.1", "Table\u00a035.1", "the chart"]


def test_plain_captions_by_default(tmp_path):
    first, second = fragments(tmp_path, extra="")
    # Without `figures: numbered` no caption is numbered by figures.py; a labelled figure is still
    # numbered by its cross-reference label, as pandoc-crossref and Quarto do (text/crossref.py).
    assert not first.xpath("//h:span[@class='caption-label'][@data-label]", namespaces=NS)
    assert first.xpath("//h:figure/@id", namespaces=NS) == ["ch01-fig-supply", "ch01-fig-second"]
    assert ["".join(a.itertext()) for a in second.xpath("//h:a", namespaces=NS)] == ["Figure", "Table", "the chart"]


def test_figures_key_is_checked_with_its_line(tmp_path):
    root = make_book(tmp_path, {"a.md": LINKS}, extra="figures: numberd\n")
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    assert f"{root / 'manuscript' / 'book.yaml'}:7: figures: 'numberd' is not one of plain, numbered" in str(caught.value)
