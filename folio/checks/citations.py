"""Citation keys in the text, entries in the bibliography, and the checks that tie them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from folio.checks.findings import Finding, closest
from folio.project import yamlfile
from folio.project.manuscript import Chapter

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


def scan(chapter: Chapter) -> list[Citation]:
    """Every citation key in the chapter's body, with its line and column in the file."""
    return [
        Citation(match[1] or match[2], chapter.path, *chapter.position_of(match.start())) for match in KEY.finditer(chapter.masked_body)
    ]


def load_references(path: Path) -> tuple[list[Reference], list[Finding]]:
    """The CSL YAML bibliography: a list of entries (or a mapping with `references:`)."""
    try:
        data = yamlfile.load(path)
    except yamlfile.YamlError as exc:
        return [], [Finding("C007", path, exc.line, 0, exc.message)]
    if isinstance(data, dict) and "references" in data:
        data = data["references"]
    if not isinstance(data, list):
        return [], [Finding("C007", path, 1, 1, "the bibliography must be a list of entries, each with an id")]
    references: list[Reference] = []
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    for entry in data:
        if not isinstance(entry, yamlfile.LineDict):
            findings.append(Finding("C007", path, 1, 1, f"entry is not a mapping: {entry!r}"))
            continue
        ref_id = entry.get("id")
        if not isinstance(ref_id, str | int) or str(ref_id).strip() == "":
            findings.append(Finding("C006", path, entry.line, 1, "entry has no id"))
            continue
        ref_id = str(ref_id)
        if ref_id in seen:
            findings.append(Finding("C002", path, entry.line_of("id"), 1, f"'{ref_id}' is defined again (first at line {seen[ref_id]})"))
            continue
        seen[ref_id] = entry.line_of("id")
        if not str(entry.get("title") or "").strip():
            findings.append(Finding("C003", path, entry.line, 1, f"'{ref_id}' has no title"))
        if not entry.get("issued"):
            hint = "add 'issued: YYYY-MM-DD'"
            findings.append(Finding("C004", path, entry.line, 1, f"'{ref_id}' has no date (issued)", hint))
        references.append(Reference(ref_id, entry.line_of("id")))
    return references, findings


def check(citations: list[Citation], references: list[Reference], bibliography: Path) -> list[Finding]:
    """Unknown keys are errors (with the closest key as a hint); unused entries are warnings."""
    ids = [ref.id for ref in references]
    known = set(ids)
    findings = [
        Finding("C001", c.path, c.line, c.col, f"unknown citation key '@{c.key}'", closest(c.key, ids))
        for c in citations
        if c.key not in known
    ]
    cited = {c.key for c in citations}
    findings += [Finding("C005", bibliography, ref.line, 1, f"'{ref.id}' is never cited") for ref in references if ref.id not in cited]
    return findings
