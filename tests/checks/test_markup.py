"""folio/checks/markup.py: raw HTML, raw TeX, Liquid tags and URLs, each with its line."""

from __future__ import annotations

import pytest

from folio.checks.book import check_book
from folio.checks.markup import SAFE_ELEMENTS
from folio.project.config import load_project

from helpers import make_book

HEAD = "---\ntitle: T\n---\n\n"


def findings(tmp_path, body):
    root = make_book(tmp_path, {"one.md": HEAD + body})
    return [f for f in check_book(load_project(root)).findings if f.code != "C005"]


def codes(tmp_path, body):
    return [(f.code, f.line, f.col) for f in findings(tmp_path, body)]


@pytest.mark.parametrize("element", [e for e in SAFE_ELEMENTS if e not in ("br", "wbr")])
def test_each_safe_element_is_accepted_with_plain_attributes(tmp_path, element):
    body = f'A <{element} id="x" class="y z" lang="fr" title="T" dir="ltr">word</{element}> here.\n'
    assert codes(tmp_path, body) == []


@pytest.mark.parametrize("tag", ["<br>", "<br/>", "<br />", "<wbr>", "<BR>"])
def test_void_safe_elements_are_accepted(tmp_path, tag):
    assert codes(tmp_path, f"long{tag}word\n") == []


@pytest.mark.parametrize(
    ("html", "hint"),
    [
        ("<p>para</p>", "blank line between paragraphs"),
        ("<i>it</i>", "*italics*"),
        ("<em>it</em>", "*italics*"),
        ("<b>bold</b>", "**bold**"),
        ("<strong>bold</strong>", "**bold**"),
        ('<a href="https://x.org">x</a>', "[text](https://example.org)"),
        ('<img src="a.png" alt="a">', "![alt text]"),
        ("<ul><li>x</li></ul>", "Markdown list"),
        ("<h2>Head</h2>", "Markdown heading"),
        ("<table><tr><td>1</td></tr></table>", "pipe table"),
        ("<blockquote>q</blockquote>", "'> '"),
        ("<code>c</code>", "backticks"),
        ("<script>alert(1)</script>", "never reach a book"),
        ("<iframe src='x'></iframe>", "never reach a book"),
        ("<style>p{}</style>", "never reach a book"),
        ("<font face='x'>f</font>", "stylesheet sets the type"),
        ("<dfn>term</dfn>", "allowed HTML: <div>"),
    ],
)
def test_every_other_element_is_refused_with_a_hint_that_fits(tmp_path, html, hint):
    found = findings(tmp_path, f"Some text {html} more.\n")
    assert found, html
    first = found[0]
    assert (first.code, first.line, first.col, first.is_error) == ("M004", 5, 11, True)
    assert hint in first.hint


ALERT = """Text.

<div class="alert">
  <p>An <i>alert</i> with <b>bold</b>, <em>em</em>, <strong>strong</strong>, <code>code</code>,
  <a href="https://example.org">a link</a>, <a href="#place">a place</a> and <sup>2</sup>:
  <ul><li>one</li><li>two</li></ul>
  </p>
  <ol><li>first</li></ol>
  <blockquote>quoted</blockquote>
  <pre>code block</pre>
  <h3>Head</h3>
</div>

## Place

After.
"""


def test_an_html_block_of_markdown_elements_is_read_with_a_note(tmp_path):
    found = findings(tmp_path, ALERT)
    assert [(f.code, f.line, f.col, f.severity) for f in found] == [("R006", 7, 1, "note")]
    assert found[0].message.startswith("HTML <div> block read as Markdown: <p>, <i>, <b>, <em>, <strong>, <code>, <a>, <ul>, <li>, <ol>, ")
    assert "<blockquote>, <pre>, <h3> became" in found[0].message  # the safe <sup> and <div> need no reading


@pytest.mark.parametrize(
    ("inside", "column", "what"),
    [
        ("<script>alert(1)</script>", 3, "raw HTML <script>"),
        ('<img src="a.png" alt="a">', 3, "raw HTML <img>"),
        ("<iframe src='x'></iframe>", 3, "raw HTML <iframe>"),
        ("<table><tr><td>1</td></tr></table>", 3, "raw HTML <table>"),
        ('<p onclick="x()">para</p>', 6, "raw HTML <p> with onclick="),
        ('<p style="color: red">para</p>', 6, "raw HTML <p> with style="),
        ('<a href="javascript:alert(1)">x</a>', 6, "raw HTML <a> with href='javascript:alert(1)'"),
        ('<a href="data:text/html,x">x</a>', 6, "raw HTML <a> with href='data:text/html,x'"),
    ],
)
def test_an_html_block_with_a_refused_element_is_refused_for_that_element_only(tmp_path, inside, column, what):
    body = f'Text.\n\n<div class="alert">\n  <p>An <i>alert</i>.</p>\n  {inside}\n</div>\n'
    found = findings(tmp_path, body)
    assert [(f.code, f.line, f.col) for f in found][:1] == [("M004", 9, column)]
    assert found[0].message == what and found[0].is_error
    assert not [f for f in found if f.code == "R006" or f.line == 8]  # <p> and <i> would be read


def test_block_elements_inside_a_paragraph_are_still_refused(tmp_path):
    found = findings(tmp_path, "Some text\n<div><p>para</p></div> and more.\n")
    assert [(f.code, f.line, f.col) for f in found] == [("M004", 6, 6), ("M004", 6, 13)]


def test_attributes_beyond_the_plain_ones_are_refused(tmp_path):
    found = findings(tmp_path, 'A <span style="color: red" onclick="x()">word</span>.\n')
    assert [(f.code, f.line, f.col) for f in found] == [("M004", 5, 9), ("M004", 5, 28)]
    assert "with style=" in found[0].message and "class=" in found[0].hint
    assert "with onclick=" in found[1].message and "only id, class, lang, title, dir" in found[1].hint


def test_a_refused_br_gets_markdowns_way_to_break_a_line(tmp_path):
    found = findings(tmp_path, 'One line<br clear="all">another.\n')
    assert [(f.code, f.line, f.col) for f in found] == [("M004", 5, 13)]
    assert found[0].hint == "use a backslash at the line end, or write <br> alone"


def test_comments_are_not_checked_and_an_unclosed_one_is_an_error(tmp_path):
    assert codes(tmp_path / "a", "Text <!-- <script> and \\aosafigure --> more.\n\n<!--\nlicence\nheader\n-->\n") == []
    found = findings(tmp_path / "b", "Text.\n\n<!-- never closed\n\nMore.\n")
    assert [(f.code, f.line, f.col, f.is_error) for f in found] == [("R004", 7, 1, True)]


def test_code_is_not_checked(tmp_path):
    assert codes(tmp_path, "Write `<script>` or `\\noindent`.\n\n```\n<iframe> {% include x %}\n\\begin{x}\n```\n") == []


def test_tags_of_other_tools_are_dropped_with_a_warning(tmp_path):
    found = findings(tmp_path, "<markdown>\nBio.\n</markdown>\n")
    assert [(f.code, f.line, f.col, f.is_error) for f in found] == [("R003", 5, 1, False), ("R003", 7, 1, False)]
    assert "content kept" in found[0].message


def test_newpage_on_its_own_line_is_a_page_break_and_other_tex_a_warning(tmp_path):
    body = "One.\n\n\\newpage\n\n\\pagebreak\n\n\\noindent Two \\newpage three.\n\n"
    body += "$\\frac{1}{2}$ and $$\\sum_i x_i$$ and \\\\(\\sigma\\\\).\n"
    found = findings(tmp_path, body)
    assert [(f.code, f.line, f.col) for f in found] == [("R001", 11, 1), ("R001", 11, 15)]
    assert "\\noindent dropped" in found[0].message
    assert "inside a paragraph" in found[1].message and "line of its own" in found[1].hint


def test_tex_macros_and_environments_are_warnings_with_their_line(tmp_path):
    body = "Text.\n\n\\aosafigure[180pt]{a.png}{Cap}{l}\n\n\\begin{center}\n\\textbf{x}\n\\end{center}\n\n"
    body += "Escaped \\\\ backslash and \\$5.\n"
    found = findings(tmp_path, body)
    assert [(f.code, f.line, f.col) for f in found] == [("R001", 7, 1), ("R001", 9, 1)]
    assert "\\aosafigure" in found[0].message and "environment center" in found[1].message
    assert not any(f.is_error for f in found)


def test_liquid_tags_are_dropped_with_a_warning(tmp_path):
    body = '{% include toc.html %}\n\nText {% include figure.html filename="a.png" caption="Figure 1 : x" %} more.\n'
    found = findings(tmp_path, body)
    assert [(f.code, f.line, f.col, f.is_error) for f in found] == [("R002", 5, 1, False), ("R002", 7, 6, False)]
    assert "![caption](path)" in found[1].hint


@pytest.mark.parametrize(
    "url",
    [
        "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
        "https://例え.jp/ä?q=[1]",
        "https://example.org/a;b(c)[d]",
        "mailto:someone@example.org",
        "#a-heading",
    ],
)
def test_urls_that_can_be_encoded_are_fine(tmp_path, url):
    text = f"See [it](<{url}>) and <{url}>.\n" if not url.startswith("#") else f"## A heading\n\nSee [it]({url}).\n"
    assert codes(tmp_path, text) == []


@pytest.mark.parametrize(
    ("link", "col", "problem"),
    [
        ("[x](https://exa_mple.com/)", 9, "host name"),
        ("[x](http:///path)", 9, "no host"),
        ("[x](https://example.org:99999/)", 9, "not a URL"),
        ("[x](www.example.org)", 9, "https://"),
        ("<https://exa%mple.com>", 6, "host name"),
        ("[x](mailto:nobody)", 9, "@"),
    ],
)
def test_a_url_that_cannot_be_made_valid_is_an_error_with_its_line(tmp_path, link, col, problem):
    found = findings(tmp_path, f"See {link}.\n")
    assert [(f.code, f.line, f.col, f.is_error) for f in found] == [("U001", 5, col, True)]
    assert problem in found[0].message


def test_a_link_to_a_path_is_dropped_with_a_warning(tmp_path):
    found = findings(tmp_path, "See [the lesson](/en/lessons/r-basics) and ![a map](map.png).\n")
    assert [(f.code, f.line, f.col, f.is_error) for f in found if f.code.startswith("U")] == [("U002", 5, 18, False)]


def test_an_element_must_close_in_its_paragraph(tmp_path):
    body = "A <sup>open\n\nnever closed</sup> and <q>fine <abbr>nested</abbr></q>.\n\n<span>x\ny</span> and </u>.\n"
    found = findings(tmp_path, body)
    assert [(f.code, f.line, f.col, f.is_error) for f in found] == [("R005", 5, 3, True), ("R005", 7, 13, True), ("R005", 10, 14, True)]
    assert "<sup> is never closed" in found[0].message and "</sup> closes nothing" in found[1].message
    assert "</u> closes nothing" in found[2].message
