"""folio/text/fragment.py, code: lines of a code block as spans, break points of inline code and URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from folio.project.config import styles_dir
from folio.project.manuscript import Chapter
from folio.text.citestyle import Citeproc
from folio.text.fragment import break_points, build_fragment
from folio.text.pandoc import Body, chapters_to_html


def NOTES(bib):  # noqa: N802 - Chicago notes with this bibliography
    return Citeproc((bib,), styles_dir() / "chicago-notes-bibliography.csl", "note", per_chapter=False)


NS = {"h": "http://www.w3.org/1999/xhtml"}


def fragment_root(tmp_path: Path, body: str) -> etree._Element:

    bib = tmp_path / "refs.yaml"
    bib.write_text("[]\n", encoding="utf-8")
    html = chapters_to_html([Body(body, "ch01-", "en-US")], NOTES(bib), None)[0].html
    fragment = build_fragment(Chapter(tmp_path / "ch.md", 1, "T", 1, body, 5), html)
    return etree.fromstring(f'<div xmlns="{NS["h"]}" xmlns:epub="http://www.idpf.org/2007/ops">{fragment.html}</div>')


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("--filter-unusual", ["--filter-", "unusual"]),
        ("MagicItemDistribution._sample_stats", ["MagicItemDistribution._", "sample_", "stats"]),
        ("https://example.org/a/b?x=1&y=2", ["https://", "example.", "org/", "a/", "b", "?x=", "1&", "y=", "2"]),
        ("np.sum(x) + 1", ["np.", "sum(x) ", "+ ", "1"]),
        ("plain", ["plain"]),
        ("a//b", ["a//", "b"]),
        ("_sample_bonus", ["_sample_", "bonus"]),
        ("__init__.py", ["__init__.", "py"]),
    ],
)
def test_break_points(text, pieces):
    """After / . - _ = & (a run of them stays whole) and before ?; never before the first letter."""
    assert break_points(text) == pieces
    assert "".join(pieces) == text


def test_code_block_lines_are_spans_with_their_newlines(tmp_path):
    body = "```python\ndef f(x):\n    return x  # twice\n\nprint(f(2))\n```\n\n```\nplain one\n      deep\n```\n"
    root = fragment_root(tmp_path, body)
    highlighted, plain = root.xpath("//h:pre", namespaces=NS)
    lines = highlighted.xpath(".//h:span[@class='line']", namespaces=NS)
    assert ["".join(line.itertext()) for line in lines] == ["def f(x):\n", "    return x  # twice\n", "\n", "print(f(2))"]
    assert "".join(highlighted.itertext()) == "def f(x):\n    return x  # twice\n\nprint(f(2))"
    # Pandoc's per-line ids and empty self-links are gone; its highlighting stays.
    assert not highlighted.xpath(".//@id") and not highlighted.xpath(".//h:a", namespaces=NS)
    assert highlighted.xpath(".//h:span[@class='kw']/text()", namespaces=NS) == ["def"]
    # A continuation hangs four characters deeper than the line's own indent.
    assert lines[1].get("style") == "padding-left: 8ch; text-indent: -8ch" and lines[0].get("style") is None
    assert ["".join(line.itertext()) for line in plain.xpath(".//h:span[@class='line']", namespaces=NS)] == ["plain one\n", "      deep"]
    assert "short" in highlighted.get("class", "").split() and "short" in plain.get("class", "").split()


def test_long_code_block_is_not_marked_short(tmp_path):
    body = "```\n" + "\n".join(f"line {n}" for n in range(9)) + "\n```\n"
    (pre,) = fragment_root(tmp_path, body).xpath("//h:pre", namespaces=NS)
    assert "short" not in (pre.get("class") or "")


def test_inline_code_is_spelled_in_unbreakable_pieces(tmp_path):
    root = fragment_root(tmp_path, "Run `--filter-unusual` on <https://example.org/a?b=c>. Also p. 4 in `p. 4`.\n")
    code, _ = root.xpath("//h:code", namespaces=NS)
    assert code.xpath("h:span[@class='nobr']/text()", namespaces=NS) == ["--filter-", "unusual"]
    assert len(code.xpath("h:wbr", namespaces=NS)) == 1
    link = root.xpath("//h:a", namespaces=NS)[0]
    assert "url" in link.get("class").split()
    # A URL breaks where Chicago allows (text/fragment.py URL_BREAK), inline code where issue 10 asks.
    assert link.xpath("h:span[@class='u']/text()", namespaces=NS) == ["https://", "example", ".org", "/a", "?b=", "c"]
    # The typesetter's no-break space goes into prose, never into code.
    assert "p.\u00a04" in "".join(root.itertext()) and "".join(root.xpath("//h:code", namespaces=NS)[1].itertext()) == "p. 4"


def test_a_piece_too_long_to_keep_whole_may_break_anywhere(tmp_path):
    """A hash has no break point: rather than run past the margin it may break anywhere."""
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    root = fragment_root(tmp_path, f"Check `sha256:{digest}` and `short.name`.\n")
    long, short = root.xpath("//h:code", namespaces=NS)
    assert long.xpath("h:span/@class", namespaces=NS) == ["long"]
    assert short.xpath("h:span/@class", namespaces=NS) == ["nobr", "nobr"]


def test_a_bare_url_is_a_link_spelled_with_its_break_points(tmp_path):
    root = fragment_root(tmp_path, "See https://doi.org/10.1017/RDC.2020.41. Then more.\n")
    (link,) = root.xpath("//h:a", namespaces=NS)
    assert link.get("href") == "https://doi.org/10.1017/RDC.2020.41"
    assert link.xpath("h:span/text()", namespaces=NS) == ["https://", "doi", ".org", "/10", ".1017", "/RDC", ".2020", ".41"]
    assert link.tail.startswith(". Then")
