"""Citation keys in the text, entries in the bibliography, and the checks that tie them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from folio.checks.findings import Finding, closest
from folio.project import sources
from folio.project.manuscript import Chapter
from folio.text import crossref

# Pandoc's citation key: starts with a letter, digit or _, may hold internal punctuation
# (:.#$%&-+?<>~/); or any text in braces, @{like this}. An @ after a word character is an
# e-mail address, and \@ is an escaped at sign, not a citation.
KEY = re.compile(r"(?<![\w@\\])@(?:\{([^}\n]+)\}|([A-Za-z0-9_](?:[A-Za-z0-9_]|[:.#$%&\-+?<>~/](?=[A-Za-z0-9_]))*))")


@dataclass(frozen=True)
class Citation:
    key: str
    path: Path
    line: int
    col: int


@dataclass(frozen=True)
class Reference:
    id: str
    line: int
    path: Path = Path()
    """The bibliography file the entry is written in."""


def scan(chapter: Chapter) -> list[Citation]:
    """Every citation key in the chapter's body, with its line and column in the file. Cross-references
    (@fig:x, @tbl:x, @eq:x, @sec:x and Quarto's @fig-x) are not citations: see folio/text/crossref.py."""
    found = []
    for match in KEY.finditer(chapter.masked_body):
        key = match[1] or match[2]
        if match[2] and crossref.is_crossref(key):
            continue
        found.append(Citation(key, chapter.path, *chapter.position_of(match.start())))
    return found


def load_references(paths: list[Path]) -> tuple[list[Reference], list[Finding]]:
    """Every entry of every bibliography file (BibTeX, CSL JSON, CSL YAML: see project/sources.py),
    checked: an id defined twice (in one file or across files), an entry without a title or a date."""
    references: list[Reference] = []
    findings: list[Finding] = []
    seen: dict[str, Reference] = {}
    for path in paths:
        entries, problems = sources.read(path)
        findings += [Finding(p.code, p.path, p.line, 1 if p.line else 0, p.message, p.hint) for p in problems]
        for entry in entries:
            if entry.id in seen:
                first = seen[entry.id]
                where = f"line {first.line}" if first.path == path else f"{first.path.name}:{first.line}"
                findings.append(Finding("C002", path, entry.line, 1, f"'{entry.id}' is defined again (first at {where})"))
                continue
            reference = Reference(entry.id, entry.line, path)
            seen[entry.id] = reference
            if not str(entry.data.get("title") or "").strip():
                findings.append(Finding("C003", path, entry.line, 1, f"'{entry.id}' has no title"))
            if not entry.data.get("issued"):
                hint = "add a year or date" if path.suffix.lower() in (".bib", ".bibtex") else "add 'issued: YYYY-MM-DD'"
                findings.append(Finding("C004", path, entry.line, 1, f"'{entry.id}' has no date (issued)", hint))
            references.append(reference)
    return references, findings


# Prefixes that name a kind of citation (the Citation Typing Ontology, as Manubot writes it:
# @cites:key, @usesMethodIn:key) or a persistent identifier (@doi:10.1000/x, @pmid:123): Pandoc's
# citeproc knows neither, it takes the whole thing for an unknown key.
PREFIXED = re.compile(r"([A-Za-z]+):(.+)")
IDENTIFIERS = ("doi", "pmid", "pmcid", "arxiv", "isbn", "url", "wikidata", "raw", "tag")


def unsupported(key: str, known: set[str]) -> tuple[str, str] | None:
    """(message, hint) when an unknown key is syntax Folio does not read, else None."""
    match = PREFIXED.fullmatch(key)
    if not match:
        return None
    prefix, rest = match[1], match[2]
    if prefix.lower() in IDENTIFIERS:
        hint = f"add the source to the bibliography with an id and cite that id, as @{rest.split('/')[-1]}"
        return f"'@{key}': citing by {prefix} identifier is not supported", hint
    if rest in known:
        return f"'@{key}': the citation-typing prefix '{prefix}:' is not supported", f"write @{rest}"
    return None


def check(citations: list[Citation], references: list[Reference], has_bibliography: bool = True) -> list[Finding]:
    """Unknown keys are errors (with the closest key as a hint); unused entries are warnings."""
    ids = [ref.id for ref in references]
    known = set(ids)
    findings = []
    for c in citations:
        if c.key in known:
            continue
        odd = unsupported(c.key, known)
        if odd:
            findings.append(Finding("C008", c.path, c.line, c.col, *odd))
        elif not has_bibliography:
            hint = "name the sources in book.yaml, e.g. 'bibliography: references.bib'; write \\@ for a plain at sign"
            findings.append(Finding("C001", c.path, c.line, c.col, f"citation '@{c.key}' but the book has no bibliography", hint))
        else:
            findings.append(Finding("C001", c.path, c.line, c.col, f"unknown citation key '@{c.key}'", closest(c.key, ids)))
    cited = {c.key for c in citations}
    findings += [Finding("C005", ref.path, ref.line, 1, f"'{ref.id}' is never cited") for ref in references if ref.id not in cited]
    return findings
