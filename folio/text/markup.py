"""Raw markup on its way into Pandoc: the filter that renders safe HTML and page breaks, the
Liquid tags taken out first, and HTML blocks read as Markdown. What is allowed is decided by
folio/checks/markup.py."""

from __future__ import annotations

import re
from pathlib import Path

from folio.project.manuscript import mask_code

FILTER = Path(__file__).with_name("markup.lua")
"""Pandoc Lua filter: safe HTML to Pandoc's elements, comments and raw TeX dropped, \\newpage as a
page break, link targets percent-encoded. It runs after --citeproc, so it sees the links citeproc makes."""

LIQUID = re.compile(r"\{%-?.*?-?%\}", re.S)


def filter_arguments() -> list[str]:
    """Pandoc's arguments for the filter: put them after --citeproc."""
    return [f"--lua-filter={FILTER}"]


def strip_liquid(markdown: str) -> str:
    """Jekyll Liquid tags ({% include ... %}) taken out of the text (outside code), lines kept; the
    check has warned about each one (R002)."""
    masked = mask_code(markdown)
    pieces, last = [], 0
    for match in LIQUID.finditer(masked):
        pieces += [markdown[last : match.start()], "\n" * match[0].count("\n")]
        last = match.end()
    return "".join([*pieces, markdown[last:]])


def read_html_blocks(markdown: str) -> str:
    """HTML blocks made of elements Markdown can say (<p>, <ul>, <i>, <a href>...; see
    checks/markup.py, which names each in a note) read through Pandoc's HTML reader and put back
    as Markdown, so that every format gets real paragraphs, lists and emphasis. Each keeps at
    least its lines, so what follows stays on its line in findings."""
    from folio.checks.markup import COMMENT, blank, html_blocks, readable
    from folio.text.pandoc import html_to_markdown

    masked = blank(mask_code(markdown), COMMENT)
    pieces, last = [], 0
    for block in html_blocks(masked):
        if not readable(masked, block):
            continue
        html = markdown[block.start : block.end]
        converted = html_to_markdown(html).strip("\n")
        converted += "\n" * max(0, html.count("\n") - converted.count("\n"))
        pieces += [markdown[last : block.start], converted]
        last = block.end
    return "".join([*pieces, markdown[last:]])
