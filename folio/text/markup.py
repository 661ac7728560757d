"""Raw markup on its way into Pandoc: the filter that renders safe HTML and page breaks, and the
Liquid tags taken out first. What is allowed is decided by folio/checks/markup.py."""

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
