"""The checks that need no layout, in one place: `folio check` runs them, and every build starts
with them. The manuscript and its sources are checked first; when they hold no error, the book's
text is converted (Pandoc, cached) and the links between its chapters checked too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from folio.checks import citations, links, marks
from folio.checks.findings import Finding, silence
from folio.errors import ManuscriptError
from folio.project.config import Project
from folio.project.manuscript import Chapter, lint_markup, load_chapters
from folio.text import crossref, headings
from folio.text.convert import book_text, convert
from folio.text.fragment import Fragment


@dataclass(frozen=True)
class Checked:
    chapters: list[Chapter]
    references: list[citations.Reference]
    citations: list[citations.Citation]
    findings: list[Finding]
    fragments: list[Fragment] = field(default_factory=list)
    """The book's fragments (editorial changes resolved), made when the manuscript has no error."""
    silenced: list[Finding] = field(default_factory=list)
    """Findings whose codes book.yaml allows: not reported, but counted."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    def fails(self, strict: bool) -> bool:
        return any(f.fails(strict) for f in self.findings)

    @property
    def unresolved_marks(self) -> list[Finding]:
        return [f for f in self.findings + self.silenced if f.code == "K001"]

    def raise_if_failing(self, strict: bool, release: bool = False) -> None:
        """Errors stop a build; so do warnings with --strict, and editorial marks with --release."""
        if self.fails(strict):
            raise ManuscriptError(self.findings)
        if release and self.unresolved_marks:
            count = len(self.unresolved_marks)
            raise ManuscriptError(self.unresolved_marks, f"--release: {count} editorial mark(s) still to resolve (accept or reject them)")


def check_book(
    project: Project,
    cache_dir: Path | None = None,
    *,
    strict: bool = False,
    release: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> Checked:
    """Every check of the manuscript, its sources, its marks and its links. `cache_dir` keeps
    Pandoc's output for the next run (None: nothing is written). The book is converted, and its
    links checked, only when the manuscript's own checks pass as a build with `strict` and
    `release` asks: a build that will fail converts nothing and writes nothing. `meanwhile` is run
    while Pandoc converts (the build imports WeasyPrint then), only when the book is converted."""
    chapters, findings = load_chapters(project)
    references, reference_findings = citations.load_references(project.bibliographies)
    cited = [c for chapter in chapters for c in citations.scan(chapter)]
    findings += reference_findings
    findings += [f for chapter in chapters for f in lint_markup(chapter, project.manuscript_dir)]
    findings += [f for chapter in chapters for f in marks.lint(chapter)]
    findings += headings.lint_book(project, chapters)
    labels, label_findings = crossref.collect(chapters, project.manuscript_dir)  # HOOK(dialects): dialect figures count
    findings += label_findings + crossref.check(chapters, labels)
    if not any(f.code == "C007" for f in reference_findings):
        findings += citations.check(cited, references, bool(project.bibliographies))
    findings, silenced = silence(findings, project.config.allow)
    checked = Checked(chapters, references, cited, findings, [], silenced)
    if not checked.fails(strict) and not (release and checked.unresolved_marks):
        fragments, warnings = convert(project, chapters, cache_dir, book_text(project), meanwhile)
        kept, more = silence(warnings + links.check(fragments), project.config.allow)
        checked = Checked(chapters, references, cited, findings + kept, fragments, silenced + more)
    checked.findings.sort(key=lambda f: (str(f.path), f.line, f.col, f.code))
    return checked
