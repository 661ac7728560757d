"""Folio's own exceptions, each mapped to the exit code the command line returns."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from folio.checks.findings import Finding

EXIT_OK = 0
EXIT_MANUSCRIPT = 1  # problems in the manuscript: fix the text, the sources or the markup
EXIT_USAGE = 2  # bad command line or bad book.yaml
EXIT_TOOL = 3  # an external tool (pandoc, WeasyPrint) failed in a way Folio did not foresee


class FolioError(Exception):
    """Base class of every fatal problem Folio reports without a traceback."""

    exit_code = EXIT_TOOL


class ConfigError(FolioError):
    """book.yaml (or the command line) is wrong. The message lists every problem."""

    exit_code = EXIT_USAGE


class ManuscriptError(FolioError):
    """The manuscript has errors; `findings` holds every one of them."""

    exit_code = EXIT_MANUSCRIPT

    def __init__(self, findings: list[Finding], reason: str = ""):
        self.findings = findings
        self.reason = reason
        super().__init__("\n".join([*(str(f) for f in findings), reason]).strip())

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.findings, self.reason))  # layouts run in worker processes


class ToolError(FolioError):
    """An external tool failed: the message names the command, its exit code and its stderr."""

    def __init__(self, command: list[str], returncode: int, stderr: str):
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        shown = " ".join(command)
        super().__init__(f"command failed (exit {returncode}): {shown}\n{stderr.strip()}")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.command, self.returncode, self.stderr))


class UnreadableFileError(FolioError):
    """A file given on the command line is missing or is not what it claims to be."""

    exit_code = EXIT_USAGE
