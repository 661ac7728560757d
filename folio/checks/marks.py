"""Editorial marks (CriticMarkup) as findings: each unresolved mark a warning, a mark left open or
placed where it cannot work an error (text/critic.py finds them)."""

from __future__ import annotations

from folio.checks.findings import Finding
from folio.project.manuscript import Chapter
from folio.text import critic


def lint(chapter: Chapter) -> list[Finding]:
    """A warning for every unresolved mark; errors for marks left open or placed where they cannot work."""
    marks, problems = critic.parse(chapter.body, chapter.masked_body)
    findings = [Finding("K001", chapter.path, *chapter.position_of(m.start), f'unresolved {m.kind}: "{m.excerpt}"') for m in marks]
    findings += [Finding(p.code, chapter.path, *chapter.position_of(p.offset), p.message, p.hint) for p in problems]
    return sorted(findings, key=lambda f: (f.line, f.col, f.code))
