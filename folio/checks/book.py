"""`folio check` and the first step of every build: the manuscript and its sources, checked whole."""

from __future__ import annotations

from dataclasses import dataclass

from folio.checks import citations
from folio.checks.findings import Finding
from folio.errors import ManuscriptError
from folio.project.config import Project
from folio.project.manuscript import Chapter, lint_markup, load_chapters
from folio.text import critic, headings


@dataclass(frozen=True)
class Checked:
    chapters: list[Chapter]
    references: list[citations.Reference]
    citations: list[citations.Citation]
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    def fails(self, strict: bool) -> bool:
        # HOOK(headings): notes (M012) are reported with the warnings but never fail --strict
        return bool(self.errors or (strict and any(not f.is_note for f in self.warnings)))

    @property
    def unresolved_marks(self) -> list[Finding]:
        return [f for f in self.findings if f.code == "K001"]

    def raise_if_failing(self, strict: bool, release: bool = False) -> None:
        """Errors stop a build; so do warnings with --strict, and editorial marks with --release."""
        if self.fails(strict):
            raise ManuscriptError(self.findings)
        if release and self.unresolved_marks:
            count = len(self.unresolved_marks)
            raise ManuscriptError(self.unresolved_marks, f"--release: {count} editorial mark(s) still to resolve (accept or reject them)")


def check_book(project: Project) -> Checked:
    chapters, findings = load_chapters(project)
    references, reference_findings = citations.load_references(project.bibliography_path)
    cited = [c for chapter in chapters for c in citations.scan(chapter)]
    findings += reference_findings
    findings += [f for chapter in chapters for f in lint_markup(chapter, project.manuscript_dir)]
    findings += [f for chapter in chapters for f in critic.lint(chapter)]
    findings += headings.lint_book(project, chapters)  # HOOK(headings): heading levels and running heads
    if not any(f.code == "C007" for f in reference_findings):
        findings += citations.check(cited, references, project.bibliography_path)
    findings.sort(key=lambda f: (str(f.path), f.line, f.col, f.code))
    return Checked(chapters, references, cited, findings)
