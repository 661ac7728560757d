"""Cross-references: `@fig:id`, `@tbl:id`, `@eq:id`, `@sec:id` (pandoc-crossref's syntax) and
Quarto's `@fig-id`, resolved to numbered, linked references ("Figure 3.2", "Equation (2.4)").

Pandoc would take `@fig:x` for a citation key (a note in a note style, "???" and a warning in an
in-text one), so the references are rewritten in the Markdown *before* Pandoc reads it, from
numbers found by scanning the labels of every chapter first:

    labels = collect(chapters)            # every {#fig:x} {#tbl:x} {#eq:x} {#sec:x}, numbered
    findings = check(chapters, labels)    # unknown labels (X001), labels defined twice (X002)
    text = rewrite(text, labels, lang)    # "@fig:x" -> "[Figure 3.2](#fig:x)"; $$..$$ {#eq:x} numbered
    fragments = finish(fragments, labels, lang)  # after Pandoc: caption labels, section numbers

Numbering (the one place it is decided; a styling helper may restyle, not renumber):
- figures count per chapter in reading order, every captioned one, labelled or not, so that a
  reference and `figures: numbered` captions (text/figures.py) agree; tables and equations count
  labelled ones only, as pandoc-crossref does: `<chapter number>.<n>` ("3.2"), or `<n>` in an
  unnumbered chapter;
- sections take the number the fragment gives their heading (35.1, 35.2.1); `rewrite` writes the
  number it expects and `finish` replaces it with the fragment's, so the two cannot disagree;
- `Target.number` is the bare number; `Target.text(language)` the words ("Figure 3.2",
  "Equation (2.4)"), whose words come from folio/text/words.py.

Forms: `@fig:x`, `+@fig:x` and `@Fig:x` give "Figure 3.2"; `-@fig:x` the number alone ("3.2");
`[@fig:a; @fig:b]` gives "Figures 3.1 and 3.2", each number its own link.
Ids keep the author's spelling (`fig:x`); Pandoc prefixes them with the chapter's id like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from folio.checks.findings import Finding, closest
from folio.project.manuscript import Chapter, mask_code
from folio.text import dialects
from folio.text.words import word

if TYPE_CHECKING:
    from folio.text.fragment import Fragment

KINDS = {"fig": "figure", "tbl": "table", "eq": "equation", "sec": "section"}
# A label is a citation key (Pandoc's grammar) that starts with a kind and ':' or '-'.
REST = r"[:-][A-Za-z0-9_](?:[A-Za-z0-9_]|[:.#$%&\-+?<>~/](?=[A-Za-z0-9_]))*"
NAME = rf"(?:fig|tbl|eq|sec){REST}"
# A reference may capitalise its kind (pandoc-crossref's @Fig:x): the label is the same.
REF_NAME = rf"(?:[Ff]ig|[Tt]bl|[Ee]q|[Ss]ec){REST}"
IS_LABEL = re.compile(REF_NAME)
REF = re.compile(rf"(?<![\w@\\])([-+]?)@({REF_NAME})")
ITEM = rf"[-+]?@{REF_NAME}"
GROUP = re.compile(rf"\[\s*({ITEM}(?:\s*;\s*{ITEM})*)\s*\](?![(\[{{])")
# A label is defined by an id in an attribute block: ![..](..){#fig:x}, Table: .. {#tbl:x},
# $$..$$ {#eq:x}, ## Heading {#sec:x}.
ATTRIBUTES = re.compile(r"\{([^{}\n]*)\}")
LABEL_ID = re.compile(rf"(?:^|\s)#({NAME})(?=\s|$)")
# Display math, pair by pair (a pair never holds "$$"), and the label that may follow it.
DISPLAY_MATH = re.compile(r"\$\$((?:(?!\$\$).)+?)\$\$", re.S)
EQUATION_LABEL = re.compile(rf"[ \t]*\{{[ \t]*#({NAME})[ \t]*\}}")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*$", re.M)


def is_crossref(key: str) -> bool:
    """A key that names a label, not a source: the citation gate leaves it to this module."""
    return IS_LABEL.fullmatch(key) is not None


@dataclass(frozen=True)
class Target:
    label: str
    kind: str
    """figure, table, equation or section."""
    number: str
    chapter: Chapter
    line: int
    col: int
    title: str = ""
    """A section's heading, which stands for it where it has no number (an unnumbered chapter)."""

    def text(self, language: str, *, bare: bool = False) -> str:
        if not self.number:
            return self.title
        number = f"({self.number})" if self.kind == "equation" else self.number
        return number if bare else f"{word(self.kind, language)}\u00a0{number}"


def kind_of(label: str) -> str:
    return KINDS[re.split(r"[:-]", label, maxsplit=1)[0].lower()]


def _label(reference: str) -> str:
    """The label a reference names: @Fig:x names #fig:x."""
    return reference[0].lower() + reference[1:]


def collect(chapters: list[Chapter], manuscript: Path | None = None) -> tuple[dict[str, Target], list[Finding]]:
    """Every label in the book, numbered; a label defined twice is an error (X002). With the
    manuscript folder, the figures written in another tool's dialect that the build reads as
    figures (text/dialects.py) are counted too."""
    labels: dict[str, Target] = {}
    findings: list[Finding] = []
    for chapter in chapters:
        text = chapter.masked_body
        sections = _section_numbers(chapter, text)
        counts = dict.fromkeys(KINDS.values(), 0)
        figures = _captioned_figures(text)
        # Every captioned figure counts, labelled or not, so that "Figure 3.2" in a reference is
        # the figure whose caption says "Figure 3.2" (text/figures.py numbers them all alike).
        unlabelled = {start for start, _ in figures}
        events: list[tuple[int, int, re.Match[str] | None]] = []
        for block in ATTRIBUTES.finditer(text):
            for match in LABEL_ID.finditer(block[1]):
                if kind_of(match[1]) == "figure":
                    unlabelled -= {start for start, end in figures if start <= block.start() < end}
                events.append((block.start(1) + match.start(1), block.start(), match))
        if manuscript is not None:  # HOOK(dialects): a Jekyll include or \\aosafigure is a figure too
            unlabelled |= {f.start for f in dialects.figures(chapter.body, chapter.path, manuscript) if f.image and (f.caption or f.alt)}
        events += [(start, start, None) for start in unlabelled]
        for offset, block_start, labelled in sorted(events, key=lambda event: event[0]):
            if labelled is None:
                counts["figure"] += 1
                continue
            label, kind = labelled[1], kind_of(labelled[1])
            line, col = chapter.position_of(offset)
            if label in labels:
                first = labels[label]
                where = f"line {first.line}" if first.chapter is chapter else f"{first.chapter.path.name}:{first.line}"
                findings.append(Finding("X002", chapter.path, line, col, f"label '#{label}' is defined again (first at {where})"))
                continue
            counts[kind] += 1
            title = ""
            if kind == "section":
                number, title = sections.get(block_start, ("", label))
            else:
                number = f"{chapter.number}.{counts[kind]}" if chapter.number is not None else str(counts[kind])
            labels[label] = Target(label, kind, number, chapter, line, col, title)
    return labels, findings


FIGURE_START = re.compile(r"(?:\A|\n[ \t]*\n)[ \t]{0,3}(!\[)")


def _captioned_figures(text: str) -> list[tuple[int, int]]:
    """(start, end) of each image that Pandoc makes a figure with a caption: alone in its
    paragraph, its description not empty; the end takes in its attribute block."""
    found = []
    for match in FIGURE_START.finditer(text):
        start = match.start(1)
        close = _closing(text, start + 1, "[", "]")
        if close < 0 or not text[start + 2 : close].strip() or not text.startswith("(", close + 1):
            continue
        end = _closing(text, close + 1, "(", ")")
        if end < 0:
            continue
        end += 1
        if text.startswith("{", end):
            brace = text.find("}", end)
            end = brace + 1 if brace > 0 else end
        rest = text[end:]
        if re.match(r"[ \t]*(?:\n[ \t]*\n|\n?[ \t]*\Z)", rest):
            found.append((start, end))
    return found


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """The offset of the bracket that closes the one at `start` (nested pairs counted), or -1."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == opening:
            depth += 1
        elif text[index] == closing:
            depth -= 1
            if depth == 0:
                return index
        elif text[index] == "\n" and text[index - 1 : index + 1] == "\n\n":
            return -1
    return -1


def _section_numbers(chapter: Chapter, text: str) -> dict[int, tuple[str, str]]:
    """The number each heading will have (as fragment._number_sections gives it) and its title,
    keyed by the offset of the heading's attribute block."""
    numbers: dict[int, tuple[str, str]] = {}
    counters = [0] * 7
    for match in HEADING.finditer(text):
        level = len(match[1])
        counters[level] += 1
        counters[level + 1 :] = [0] * (7 - level - 1)
        attributes = re.search(r"\{[^{}\n]*\}\s*$", match[2])
        if attributes:
            numbered = chapter.number is not None and level >= 2
            number = ".".join(str(n) for n in [chapter.number, *counters[2 : level + 1]]) if numbered else ""
            numbers[match.start(2) + attributes.start()] = (number, match[2][: attributes.start()].strip())
    return numbers


def check(chapters: list[Chapter], labels: dict[str, Target]) -> list[Finding]:
    """A reference to a label that is nowhere in the book is an error, with a did-you-mean (X001)."""
    findings = []
    for chapter in chapters:
        for match in REF.finditer(chapter.masked_body):
            name = _label(match[2])
            if name not in labels:
                kind = kind_of(name)
                same_kind = [label for label, target in labels.items() if target.kind == kind]
                hint = closest(name, same_kind) or f"label the {kind}: {{#{name}}}"
                where = chapter.position_of(match.start(2) - 1)
                findings.append(Finding("X001", chapter.path, *where, f"cross-reference to '{name}', which is not in the book", hint))
    return findings


def rewrite(text: str, labels: dict[str, Target], language: str) -> str:
    """The Markdown Pandoc reads: references as links with their numbers, labelled equations numbered.
    Code is left alone. An unknown label is escaped (`\\@fig:x`) so that citeproc never sees it; the
    check has already reported it."""
    masked = mask_code(text)
    edits: list[tuple[int, int, str]] = []
    for match in DISPLAY_MATH.finditer(masked):
        label = EQUATION_LABEL.match(masked, match.end())
        target = labels.get(label[1]) if label else None
        if label is not None and target is not None:
            number = target.text(language, bare=True)
            math = text[match.start() : match.end()]
            edits.append((match.start(), label.end(), f"[{math} [{number}]{{.eqno}}]{{#{target.label} .equation}}"))
    taken = [(start, end) for start, end, _ in edits]
    for match in GROUP.finditer(masked):
        items = [(sign, _label(name)) for sign, name in REF.findall(match[1])]
        if all(label in labels for _, label in items):
            edits.append((match.start(), match.end(), _links([(sign, labels[label]) for sign, label in items], language)))
            taken.append((match.start(), match.end()))
    for match in REF.finditer(masked):
        if any(start <= match.start() < end for start, end in taken):
            continue
        target = labels.get(_label(match[2]))
        if target is None:
            edits.append((match.start(2) - 1, match.start(2) - 1, "\\"))
        else:
            edits.append((match.start(), match.end(), _links([(match[1], target)], language)))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _links(items: list[tuple[str, Target]], language: str) -> str:
    """One reference or a run of them: "Figure 3.2"; "Figures 3.1 and 3.2"; "Figure 3.1; Table 1.2"."""
    runs: list[list[tuple[str, Target]]] = []
    for item in items:
        if runs and runs[-1][0][1].kind == item[1].kind and item[0] != "-":
            runs[-1].append(item)
        else:
            runs.append([item])
    parts = []
    for run in runs:
        if len(run) == 1:
            sign, target = run[0]
            parts.append(f"[{_number_markup(target, language, bare=sign == '-')}](#{target.label})")
            continue
        numbers = [f"[{_number_markup(t, language, bare=True)}](#{t.label})" for _, t in run]
        listed = ", ".join(numbers[:-1]) + f" {word('and', language)} " + numbers[-1]
        parts.append(f"{word(run[0][1].kind + 's', language)}\u00a0{listed}")
    return "; ".join(parts)


def _number_markup(target: Target, language: str, *, bare: bool) -> str:
    """The reference's words. A section's number is the fragment's to give (the heading scheme
    decides it): mark the words so that `finish` can put them right."""
    text = target.text(language, bare=bare)
    if target.kind != "section":
        return text
    flag = " bare=1" if bare else ""
    return f'[{text}]{{.xref-section label="{target.label}"{flag}}}'


CAPTIONED = re.compile(r'(<(figure|table) id="([^"]+)"[^>]*>(?:(?!</\2>).)*?<(?:figcaption|caption)[^>]*>)', re.S)
SECTION_REF = re.compile(r'<span class="xref-section" data-label="([^"]+)"( data-bare="1")?>(.*?)</span>', re.S)


def finish(fragments: list[Fragment], labels: dict[str, Target], language: str) -> list[Fragment]:
    """After Pandoc: each labelled figure's and table's caption starts with its label ("Figure 3.2."),
    and a reference to a section carries the number the section's heading was given."""
    owners = {label: _owner(fragments, target) for label, target in labels.items()}
    by_id = {f"{owner.chapter.id}-{label}": labels[label] for label, owner in owners.items() if owner}
    heading_numbers = {heading.id: heading.number for fragment in fragments for heading in fragment.headings}

    def caption(match: re.Match[str]) -> str:
        target = by_id.get(match[3])
        if target is None or target.kind not in ("figure", "table"):
            return match[0]
        if match.string.startswith('<span class="caption-label"', match.end()):
            return match[0]  # `figures: numbered` has labelled every caption already (text/figures.py)
        return f'{match[1]}<span class="caption-label">{target.text(language)}.</span> '

    def section(match: re.Match[str]) -> str:
        target = labels.get(match[1])
        fragment = _owner(fragments, target) if target else None
        number = heading_numbers.get(f"{fragment.chapter.id}-{match[1]}", "") if fragment else ""
        if target is None or not number:
            return match[3]
        return replace(target, number=number).text(language, bare=bool(match[2]))

    return [replace(f, html=SECTION_REF.sub(section, CAPTIONED.sub(caption, f.html))) for f in fragments]


def _owner(fragments: list[Fragment], target: Target) -> Fragment | None:
    return next((f for f in fragments if f.chapter.path == target.chapter.path), None)
