"""Ace by DAISY: the EPUB accessibility checker, run on a built EPUB and its report read back.

Ace is a Node program (`@daisy/ace-cli`, pinned in package.json and package-lock.json) that drives
Chromium through Puppeteer. The set-up installs both: `PUPPETEER_SKIP_DOWNLOAD=1 npm ci` (Puppeteer
must not download a browser of its own) and Debian's `chromium`. Ace 1.4 always launches Chromium
with --no-sandbox and --disable-setuid-sandbox (ace-axe-runner-puppeteer), so it runs as root.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from folio.errors import FolioError, ToolError

CHECKOUT = Path(__file__).resolve().parents[2]
ACE_CLI = CHECKOUT / "node_modules" / ".bin" / "ace-cli"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_ACE = f"cd {CHECKOUT} && PUPPETEER_SKIP_DOWNLOAD=1 npm ci"
INSTALL_CHROMIUM = "apt-get install -y --no-install-recommends chromium"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class AceViolation:
    rule: str
    """Ace's or axe's rule id, e.g. 'image-alt', 'metadata-accessibilitysummary'."""
    impact: str
    """critical, serious, moderate or minor."""
    file: str
    """The document it is in, as Ace names it (relative to the package document), or the OPF."""
    location: str
    """Where in that document: a CSS selector (and EPUB CFI) when Ace gives one."""
    message: str
    help_url: str = ""

    def __str__(self) -> str:
        where = f"{self.file} {self.location}".strip()
        return f"{where}: {self.impact}: {self.rule} {self.message}"


@dataclass
class AceResult:
    outcome: str
    """Ace's verdict: 'pass' or 'fail'."""
    violations: list[AceViolation]
    report_json: Path
    report_html: Path
    ace_version: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    """The package metadata Ace read (dc:*, schema:accessibility*, ...)."""
    missing_metadata: list[str] = field(default_factory=list)
    """Accessibility metadata Ace looked for and did not find (dcterms:conformsTo, a11y:certifiedBy, ...)."""
    properties: dict[str, bool] = field(default_factory=dict)
    """What the content uses: hasMathML, hasPageBreaks, hasFormElements, ..."""
    toc: str = ""
    """The navigation document's table of contents, as Ace's report shows it (HTML)."""
    headings: str = ""
    """The heading outline of the spine documents, as Ace's report shows it (HTML)."""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.violations


def run_ace(epub: Path, report_dir: Path, timeout: float = 120) -> AceResult:
    """Check `epub` with Ace, writing report.json and report.html into `report_dir`."""
    ace = Path(os.environ.get("FOLIO_ACE_CLI", ACE_CLI))
    chromium = Path(os.environ.get("PUPPETEER_EXECUTABLE_PATH", CHROMIUM))
    if not ace.is_file():
        raise FolioError(f"Ace by DAISY is not installed ({ace} is missing); install it with: {INSTALL_ACE}")
    if not chromium.is_file():
        raise FolioError(f"Ace needs Chromium and {chromium} is missing; install it with: {INSTALL_CHROMIUM}")
    if not epub.is_file():
        raise FolioError(f"{epub}: no such EPUB to check")
    command = [str(ace), "--force", "--outdir", str(report_dir), str(epub)]
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": str(chromium), "PUPPETEER_SKIP_DOWNLOAD": "1"}
    if report_dir.exists():
        shutil.rmtree(report_dir)  # never read a report left by an earlier run
    started = time.perf_counter()
    returncode, stdout, stderr = _run(command, env, timeout)
    seconds = time.perf_counter() - started
    report_json = report_dir / "report.json"
    if returncode != 0 or not report_json.is_file():
        raise ToolError(command, returncode, ANSI.sub("", stderr or stdout))
    result = parse_report(report_json)
    result.seconds = seconds
    return result


def _run(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # Puppeteer starts Chromium in a process group of its own, so killing node's group would
        # orphan it; on SIGTERM, Puppeteer's own handler kills Chromium. SIGKILL only if that hangs.
        process.terminate()
        try:
            stdout, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        hint = "a <script> that waits (alert, an endless loop) stops Ace until its page timeout"
        raise ToolError(command, process.returncode, f"Ace did not finish within {timeout:g} s ({hint})\n{ANSI.sub('', stderr)}") from None
    return process.returncode, stdout, stderr


def parse_report(path: Path) -> AceResult:
    """Read Ace's report.json: one violation per failed rule and document."""
    report = json.loads(path.read_text(encoding="utf-8"))
    violations = []
    for document in report.get("assertions", []):
        file = document.get("earl:testSubject", {}).get("url", "")
        for assertion in document.get("assertions", []):
            result = assertion.get("earl:result", {})
            if result.get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            violations.append(
                AceViolation(
                    rule=test.get("dct:title", ""),
                    impact=test.get("earl:impact", ""),
                    file=file,
                    location=_location(result.get("earl:pointer", {})),
                    message="; ".join(line.strip() for line in str(result.get("dct:description", "")).splitlines() if line.strip()),
                    help_url=test.get("help", {}).get("url", ""),
                )
            )
    subject = report.get("earl:testSubject", {})
    outlines = report.get("outlines", {})
    return AceResult(
        outcome=report.get("earl:result", {}).get("earl:outcome", ""),
        violations=violations,
        report_json=path,
        report_html=path.with_name("report.html"),
        ace_version=report.get("earl:assertedBy", {}).get("doap:release", {}).get("doap:revision", ""),
        metadata=subject.get("metadata", {}),
        missing_metadata=report.get("a11y-metadata", {}).get("missing", []),
        properties=report.get("properties", {}),
        toc=outlines.get("toc", ""),
        headings=outlines.get("headings", ""),
    )


def _location(pointer: dict[str, list[str]]) -> str:
    # Ace lists each pointer once per node that failed, often twice over: keep the first of each kind.
    css = list(dict.fromkeys(pointer.get("css", [])))
    cfi = list(dict.fromkeys(pointer.get("cfi", [])))
    parts = [", ".join(css)] if css else []
    if cfi:
        parts.append(f"(epubcfi {', '.join(cfi)})")
    return " ".join(parts)
