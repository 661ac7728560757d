"""Markup from other tools in a chapter: raw HTML, raw TeX, Liquid tags and link targets.

Pandoc reads raw HTML and TeX (folio/text/markup.lua turns what is allowed into its own
elements), so this check is the gate: HTML outside a small safe list is refused with a hint that
fits the element, except in an HTML block (an alert box pasted from a web page) made only of
elements that Markdown can say, which the build reads through Pandoc's HTML reader into the
document (folio/text/markup.py:read_html_blocks) and this check names in a note; raw TeX and
Jekyll Liquid tags, which only their own tools run, are warnings that say what the build does
with them, except the figures written in such a dialect (a Jekyll figure include, \\aosafigure)
whose image is in the manuscript folder, which the build reads as figures (text/dialects.py) and
this check names in a note; a link whose URL cannot be made valid is an error.
Positions are the chapter file's, with code, comments and math blanked so they are not scanned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from folio.checks import limits
from folio.checks.findings import Finding
from folio.text import dialects
from folio.text.urls import is_path, url_problem

if TYPE_CHECKING:
    from folio.project.manuscript import Chapter

SAFE_ELEMENTS = ("div", "span", "br", "sup", "sub", "small", "abbr", "mark", "kbd", "cite", "q", "s", "u", "wbr")
"""Rendered in every format: div and span become Pandoc's own divs and spans, the rest are kept."""
PLAIN_ATTRIBUTES = ("id", "class", "lang", "title", "dir")
READABLE_ELEMENTS = ("p", "ul", "ol", "li", "em", "i", "strong", "b", "a", "code", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6")
"""Elements with a Markdown equivalent: inside an HTML block they are read as Markdown structure
(a link's href must be a web address, a #place or a relative path)."""
BLOCK_ELEMENTS = ("div", "p", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6")
"""Elements that open an HTML block (at a line's start, after a blank line, as Markdown reads one)."""

# Every element of HTML (living standard, with the obsolete ones authors still paste): a tag with
# any other name is another tool's marker (<markdown>, <latex>), dropped with a warning.
HTML_ELEMENTS = set(
    [
        "a",
        "abbr",
        "acronym",
        "address",
        "applet",
        "area",
        "article",
        "aside",
        "audio",
        "b",
        "base",
        "basefont",
        "bdi",
        "bdo",
        "big",
        "blink",
        "blockquote",
        "body",
        "br",
        "button",
        "canvas",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "data",
        "datalist",
        "dd",
        "del",
        "details",
        "dfn",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "em",
        "embed",
        "fieldset",
        "figcaption",
        "figure",
        "font",
        "footer",
        "form",
        "frame",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hgroup",
        "hr",
        "html",
        "i",
        "iframe",
        "img",
        "input",
        "ins",
        "kbd",
        "label",
        "legend",
        "li",
        "link",
        "main",
        "map",
        "mark",
        "marquee",
        "math",
        "menu",
        "meta",
        "meter",
        "nav",
        "nobr",
        "noembed",
        "noframes",
        "noscript",
        "object",
        "ol",
        "optgroup",
        "option",
        "output",
        "p",
        "param",
        "picture",
        "plaintext",
        "pre",
        "progress",
        "q",
        "rp",
        "rt",
        "ruby",
        "s",
        "samp",
        "script",
        "search",
        "section",
        "select",
        "slot",
        "small",
        "source",
        "span",
        "strike",
        "strong",
        "style",
        "sub",
        "summary",
        "sup",
        "svg",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "time",
        "title",
        "tr",
        "track",
        "tt",
        "u",
        "ul",
        "var",
        "video",
        "wbr",
        "xmp",
    ]
)

_REMOVE = "scripts, styles, frames, forms and media never reach a book: remove it"
HINTS = {
    "br": "use a backslash at the line end",
    "p": "leave a blank line between paragraphs",
    "i": "use *italics*",
    "em": "use *italics*",
    "b": "use **bold**",
    "strong": "use **bold**",
    "a": "use [text](https://example.org)",
    "img": "use ![alt text](images/file.png)",
    "figure": "use ![caption](images/file.png) as a paragraph of its own",
    "ul": "use a Markdown list, each item on a line starting with '- '",
    "ol": "use a Markdown list, each item on a line starting with '1. '",
    "li": "use a Markdown list, each item on a line starting with '- '",
    "blockquote": "start each line of the quotation with '> '",
    "code": "use `code` in backticks",
    "tt": "use `code` in backticks",
    "pre": "use a fenced code block between lines of ```",
    "hr": "use a line of three asterisks, ***",
    "table": "use a Markdown pipe table",
    "ins": "use CriticMarkup for changes: {++inserted++}",
    "del": "use CriticMarkup for changes: {--deleted--}",
    "strike": "use <s>...</s> or CriticMarkup {--deleted--}",
    "font": "the book's stylesheet sets the type; mark the text with a class: [text]{.name}",
    "center": "the book's stylesheet sets the layout; mark the block with a class: ::: {.name}",
    **dict.fromkeys(["h1", "h2", "h3", "h4", "h5", "h6"], "use a Markdown heading: '## Title'"),
    **dict.fromkeys(["tr", "td", "th", "thead", "tbody", "tfoot", "caption", "col", "colgroup"], "use a Markdown pipe table"),
    **dict.fromkeys(
        [
            "script",
            "style",
            "iframe",
            "frame",
            "frameset",
            "object",
            "embed",
            "applet",
            "form",
            "input",
            "button",
            "select",
            "textarea",
            "link",
            "meta",
            "base",
            "audio",
            "video",
            "canvas",
            "svg",
            "math",
            "template",
            "noscript",
            "dialog",
        ],
        _REMOVE,
    ),
}

COMMENT = re.compile(r"<!--.*?-->", re.S)
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
ATTRIBUTE = re.compile(r"([^\s=/]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?")
# Math Pandoc reads as math, so the TeX inside is not raw TeX.
MATH = re.compile(
    r"\$\$.+?\$\$"
    r"|(?<![\\$])\$(?=\S)(?:[^$\n]|\n(?![ \t]*\n))*?(?<=\S)(?<!\\)\$(?!\d)"
    r"|\\\\\(.+?\\\\\)|\\\\\[.+?\\\\\]|(?<!\\)\\\(.+?\\\)|(?<!\\)\\\[.+?\\\]",
    re.S,
)
TEX_ENVIRONMENT = re.compile(r"(?<!\\)\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}", re.S)
TEX_COMMAND = re.compile(r"(?<!\\)(?:\\\\)*\\([A-Za-z]+)")
PAGE_BREAKS = ("newpage", "pagebreak")
LIQUID = re.compile(r"\{%-?\s*(\w+)?.*?-?%\}", re.S)
# Link targets: [text](target "title"), <scheme://autolink>, and [label]: target definitions.
INLINE_LINK = re.compile(r"\]\(\s*")
AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*)>")
DEFINITION = re.compile(r"^ {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*<?([^\s>]+)", re.M)  # not a [^note]: definition


def blank(text: str, pattern: re.Pattern[str]) -> str:
    """The text with every match of the pattern blanked, lines and columns kept."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), text)


@dataclass(frozen=True)
class HtmlBlock:
    """An HTML block of a chapter: from its opening tag at a line's start to its closing tag."""

    start: int
    end: int
    name: str


def html_blocks(masked: str, names: tuple[str, ...] = BLOCK_ELEMENTS) -> list[HtmlBlock]:
    """The HTML blocks opened by one of these elements in a text whose code and comments are
    blanked: each starts a paragraph and runs to its element's matching closing tag (nested
    elements of the same name counted)."""
    blocks: list[HtmlBlock] = []
    for match in re.finditer(r"(?:\A[ \t]*\n?|\n[ \t]*\n) {0,3}(<([A-Za-z][A-Za-z0-9]*)\b)", masked):
        name, start = match[2].lower(), match.start(1)
        if name not in names or (blocks and start < blocks[-1].end):
            continue
        depth = 0
        for tag in re.finditer(rf"<(/?){name}\b[^>]*>", masked[start:], re.I):
            depth += -1 if tag[1] else 1
            if depth == 0:
                blocks.append(HtmlBlock(start, start + tag.end(), name))
                break
    return blocks


def readable(masked: str, block: HtmlBlock) -> list[str]:
    """The elements of this block that only the HTML reader can read (in order), when every tag
    in it may be read so; [] when it needs no reading (only safe elements) or may not be read."""
    needed: list[str] = []
    for match in TAG.finditer(masked, block.start, block.end):
        name = match[2].lower()
        if name in HTML_ELEMENTS and _tag_problems(match, in_block=True):
            return []
        if name in READABLE_ELEMENTS and name not in needed:
            needed.append(name)
    return needed


def lint(chapter: Chapter, manuscript: Path | None = None) -> list[Finding]:
    """Every raw HTML tag, raw TeX command, Liquid tag and unusable URL in the chapter. Figures in
    another tool's dialect are looked for in `manuscript` (by default the chapter's folder): each
    whose image is there is read as a figure (a note), the others are dropped (a warning)."""
    masked = chapter.masked_body
    spans, findings = _dialect_figures(chapter, manuscript or chapter.path.parent)
    masked = blank_spans(masked, spans)
    findings += _unclosed_comment(chapter, masked)
    masked = blank(masked, COMMENT)
    findings += _read_blocks(chapter, masked)
    masked = blank_blocks(masked, [b for b in html_blocks(masked) if readable(masked, b)])
    findings += _html(chapter, masked)
    findings += _unbalanced(chapter, masked)
    findings += _links(chapter, masked)
    findings += _liquid(chapter, masked)
    findings += _tex(chapter, blank(blank(masked, LIQUID), MATH))
    return findings


def blank_blocks(text: str, blocks: list[HtmlBlock]) -> str:
    """The text with these blocks blanked, lines and columns kept."""
    return blank_spans(text, [(block.start, block.end) for block in blocks])


def blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with these (start, end) spans blanked, lines and columns kept."""
    for start, end in spans:
        text = text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]
    return text


def _dialect_figures(chapter: Chapter, manuscript: Path) -> tuple[list[tuple[int, int]], list[Finding]]:
    """Jekyll's figure includes and \\aosafigure macros (text/dialects.py): those whose image is
    in the manuscript folder, which the build reads as figures, each named in a note (R020); for
    the others a warning that says where the image was looked for (R002, R001), since the build
    drops them. Their spans, which the other checks then skip, and the findings."""
    spans, findings = [], []
    found = dialects.figures(chapter.body, chapter.path, manuscript)
    for start, end, label in dialects.references(chapter.body, [f for f in found if f.image is not None]):
        spans.append((start, end))
        message = f"\\aosafigref{{{label}}} read as a link to its figure"
        hint = "nothing to do; in Markdown, label the figure {#fig:name} and write @fig:name"
        findings.append(Finding("R020", chapter.path, *_at(chapter, start), message, hint))
    for figure in found:
        where = _at(chapter, figure.start)
        spans.append((figure.start, figure.end))
        if figure.image is not None:
            shown = figure.image.relative_to(manuscript).as_posix()
            message = f"{figure.what} read as a figure: ![{_short(figure.caption or figure.alt)}]({shown})"
            hint = f"nothing to do; in Markdown it is ![caption]({shown})"
            findings.append(Finding("R020", chapter.path, *where, message, hint))
            if too_big := limits.image_pixels(figure.image):
                findings.append(Finding("Z003", chapter.path, *where, f"{shown}: {too_big}", "scale it down"))
            continue
        looked = ", ".join(_shown(folder, manuscript) for folder in figure.looked) or "nowhere inside the manuscript folder"
        if figure.dialect == "aosa":
            message = f"raw TeX \\aosafigure {figure.name or '(no image)'} dropped: image not found (looked in {looked})"
            hint = "put the image beside the chapter at that path, or write ![caption](path)"
            findings.append(Finding("R001", chapter.path, *where, message, hint))
            continue
        if not figure.name:
            message, hint = "Jekyll figure include with no filename= dropped", "write the figure as ![caption](path)"
        else:
            message = f"Jekyll figure include {figure.name} dropped: image not found (looked in {looked})"
            hint = f"put {figure.name} in images/{chapter.path.stem}/ in the manuscript folder, or write ![caption](path)"
        findings.append(Finding("R002", chapter.path, *where, message, hint))
    return spans, findings


def _shown(path: Path, manuscript: Path) -> str:
    """A folder as the author knows it: from the manuscript folder's parent (the project)."""
    try:
        return path.resolve().relative_to(manuscript.resolve().parent).as_posix() + "/"
    except ValueError:
        return str(path)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


def _read_blocks(chapter: Chapter, masked: str) -> list[Finding]:
    """A note for each HTML block that the build reads as Markdown (its tags are then not scanned
    one by one; an unknown tag in it is still named, R003)."""
    findings = []
    for block in html_blocks(masked):
        elements = readable(masked, block)
        if not elements:
            continue
        shown = ", ".join(f"<{e}>" for e in elements)
        message = f"HTML <{block.name}> block read as Markdown: {shown} became the book's own paragraphs, lists and emphasis"
        hint = "nothing to do; to write it in Markdown yourself, use ::: {.class} for the box"
        findings.append(Finding("R006", chapter.path, *_at(chapter, block.start), message, hint))
        for match in TAG.finditer(masked, block.start, block.end):
            if match[2].lower() not in HTML_ELEMENTS:
                message = f"<{match[1]}{match[2]}> is not an HTML element: the tag is dropped, its content kept"
                where = _at(chapter, match.start())
                findings.append(Finding("R003", chapter.path, *where, message, "remove the tag if it was meant for another tool"))
    return findings


def _at(chapter: Chapter, offset: int) -> tuple[int, int]:
    return chapter.position_of(offset)


def _unclosed_comment(chapter: Chapter, masked: str) -> list[Finding]:
    start = blank(masked, COMMENT).find("<!--")
    if start < 0:
        return []
    hint = "close it with -->, or the rest of the chapter is a comment"
    return [Finding("R004", chapter.path, *_at(chapter, start), "HTML comment <!-- is never closed", hint)]


def _html(chapter: Chapter, masked: str) -> list[Finding]:
    """Each refused tag and attribute outside the blocks read as Markdown. In an HTML block that
    holds a refused element, only what refuses it is named: the rest would be read once it goes."""
    blocks = html_blocks(masked)
    findings = []
    for match in TAG.finditer(masked):
        name = match[2].lower()
        where = _at(chapter, match.start())
        if name not in HTML_ELEMENTS:
            message = f"<{match[1]}{match[2]}> is not an HTML element: the tag is dropped, its content kept"
            findings.append(Finding("R003", chapter.path, *where, message, "remove the tag if it was meant for another tool"))
            continue
        in_block = any(b.start <= match.start() < b.end for b in blocks)
        for offset, message, hint in _tag_problems(match, in_block):
            findings.append(Finding("M004", chapter.path, *_at(chapter, offset), message, hint))
    return findings


def _tag_problems(match: re.Match[str], in_block: bool) -> list[tuple[int, str, str]]:
    """(offset, message, hint) for an HTML tag the book may not hold: an element outside the safe
    list (or, in an HTML block, outside what Markdown can say), or an attribute beyond the plain
    ones (a link's href, in a block, if it is a web address, a #place or a path)."""
    name = match[2].lower()
    allowed = SAFE_ELEMENTS + READABLE_ELEMENTS if in_block else SAFE_ELEMENTS
    if name not in allowed:
        hint = HINTS.get(name, f"write Markdown instead; allowed HTML: {', '.join(f'<{e}>' for e in SAFE_ELEMENTS)}")
        return [(match.start(), f"raw HTML <{match[2]}>", hint)]
    problems = []
    for attribute in ATTRIBUTE.finditer(match[3]):
        key = attribute[1].lower()
        offset = match.start(3) + attribute.start()
        if key in PLAIN_ATTRIBUTES:
            continue
        if name == "a" and key == "href":
            target = (attribute[2] or "").strip("\"'")
            scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", target)
            if scheme and scheme[1].lower() not in ("http", "https", "mailto"):
                problems.append((offset, f"raw HTML <a> with href={target!r}", "a link in a book goes to an https:// address or a #place"))
            elif url_problem(target):
                problems.append((offset, f"raw HTML <a> with href={target!r}: {url_problem(target)}", "correct the URL"))
            continue
        if name == "br":
            hint = f"{HINTS['br']}, or write <br> alone"
        elif key == "style":
            hint = "the stylesheet sets the look: use class="
        else:
            hint = f"only {', '.join(PLAIN_ATTRIBUTES)} are kept on HTML elements"
        problems.append((offset, f"raw HTML <{match[2]}> with {key}=", hint))
    return problems


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def _unbalanced(chapter: Chapter, masked: str) -> list[Finding]:
    """An inline element must close in the paragraph it opens in: Pandoc reads a paragraph at a
    time, and a tag left open there would be dropped with the author's intent."""
    findings = []
    start = 0
    for paragraph in [*PARAGRAPH_BREAK.split(masked)]:
        offset = masked.index(paragraph, start) if paragraph else start
        start = offset + len(paragraph)
        stack: list[re.Match[str]] = []
        for match in TAG.finditer(paragraph):
            name = match[2].lower()
            if name not in SAFE_ELEMENTS or name in ("div", "br", "wbr") or match[4]:
                continue
            if not match[1]:
                stack.append(match)
            elif stack and stack[-1][2].lower() == name:
                stack.pop()
            else:
                where = _at(chapter, offset + match.start())
                hint = f"open it with <{name}> in the same paragraph"
                findings.append(Finding("R005", chapter.path, *where, f"</{name}> closes nothing", hint))
        for match in stack:
            name = match[2].lower()
            where = _at(chapter, offset + match.start())
            hint = f"close it with </{name}> in the same paragraph"
            findings.append(Finding("R005", chapter.path, *where, f"<{name}> is never closed", hint))
    return findings


def _tex(chapter: Chapter, masked: str) -> list[Finding]:
    findings = []
    for match in TEX_ENVIRONMENT.finditer(masked):
        message = f"raw TeX environment {match[1]} dropped (only TeX runs it)"
        findings.append(Finding("R001", chapter.path, *_at(chapter, match.start()), message, "write it in Markdown"))
    for match in TEX_COMMAND.finditer(blank(masked, TEX_ENVIRONMENT)):
        name, offset = match[1], match.end() - len(match[1]) - 1
        if name in PAGE_BREAKS:
            line_start = masked.rfind("\n", 0, offset) + 1
            line_end = masked.find("\n", offset)
            if masked[line_start : line_end if line_end >= 0 else None].strip() == f"\\{name}":
                continue  # a page break in print
            hint = f"put \\{name} on a line of its own, with blank lines around it"
            findings.append(Finding("R001", chapter.path, *_at(chapter, offset), f"raw TeX \\{name} inside a paragraph dropped", hint))
            continue
        hint = "\\newpage and \\pagebreak are the only TeX Folio reads; write the rest in Markdown"
        findings.append(Finding("R001", chapter.path, *_at(chapter, offset), f"raw TeX \\{name} dropped (only TeX runs it)", hint))
    return findings


def _liquid(chapter: Chapter, masked: str) -> list[Finding]:
    """Liquid tags other than figure includes (those are _dialect_figures')."""
    findings = []
    for match in LIQUID.finditer(blank(masked, dialects.JEKYLL_FIGURE)):
        text = " ".join(match[0].split())
        shown = text if len(text) <= 60 else text[:57] + "..."
        hint = "Folio does not run Jekyll"
        findings.append(Finding("R002", chapter.path, *_at(chapter, match.start()), f"Liquid tag {shown} dropped", hint))
    return findings


def _links(chapter: Chapter, masked: str) -> list[Finding]:
    findings = []
    targets = [(m.start(1), m[1]) for m in AUTOLINK.finditer(masked)]
    targets += [(m.start(1), m[1]) for m in DEFINITION.finditer(masked)]
    for match in INLINE_LINK.finditer(masked):
        start = match.end()
        if _is_image(masked, match.start()):
            continue
        target = _destination(chapter.body, start)
        if target:
            targets.append((start + (chapter.body[start] == "<"), target))
    for offset, target in sorted(targets):
        problem = url_problem(target)
        if is_path(target):
            message = f"link to the path {target!r} dropped, its text kept"
            hint = "a reader cannot follow a path out of the book: link to a full https:// address or to a #heading"
            findings.append(Finding("U002", chapter.path, *_at(chapter, offset), message, hint))
        elif problem:
            findings.append(Finding("U001", chapter.path, *_at(chapter, offset), f"link to {target!r}: {problem}", "correct the URL"))
    return findings


def _is_image(text: str, close: int) -> bool:
    """Whether the ']' at `close` ends the description of an image, ![...], whose brackets may
    hold more brackets (a citation in a caption)."""
    depth = 0
    for index in range(close, max(close - 2000, -1), -1):
        if text[index] == "]":
            depth += 1
        elif text[index] == "[":
            depth -= 1
            if depth == 0:
                return index > 0 and text[index - 1] == "!"
    return False


def _destination(body: str, start: int) -> str:
    """The link destination starting at `start`, as Pandoc reads it: <anything> or balanced ()."""
    if body.startswith("<", start):
        end = body.find(">", start)
        return body[start + 1 : end] if end > 0 else ""
    depth, end = 0, start
    while end < len(body) and not body[end].isspace():
        if body[end] == "(":
            depth += 1
        elif body[end] == ")":
            if depth == 0:
                break
            depth -= 1
        end += 1
    return body[start:end]
