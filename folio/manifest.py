"""The record of a build: what it was asked for, a key of everything it read, and what it wrote.

A build with nothing changed must take well under a second and rewrite nothing: authors rebuild
many times an hour, and `make` and editors watch the outputs' modification times. So before
anything heavy is imported (Pandoc's wrapper, WeasyPrint, ziamath), build() asks `recorded()`
whether the last successful build of the same request still holds: its key must equal the key of
the inputs as they are now, and every output must be on disk with the bytes it wrote. Then the
build replays that build's report (its warnings included) instead of running.

The key is a hash of every input that can shape a product, taken wide on purpose (a needless
rebuild costs seconds; a stale book costs a reprint):
- every file in the project folder (chapters, bibliographies, CSL, images, the project's own
  templates and anything a chapter names), except the output folders (this build's and build/)
  and hidden folders;
- Folio's own code and templates, the versions of the packages it runs on (WeasyPrint, Pandoc's
  wheel, the font packages... and what they need in turn; a test tool installed beside them does
  not count), the system libraries WeasyPrint draws text with, Python's version;
- the time the outputs are stamped with (SOURCE_DATE_EPOCH or the newest input's mtime), the CMYK
  profile the press file names, the formats asked for and the build's options.

Hashing every file's bytes on every build would not stay under a second for a large book, so each
file's hash is remembered with its size and mtime (as git's index does) and the file is read again
only when either changed. A file modified in the last seconds is not remembered: its mtime may not
yet tell a later edit apart.

Each request (formats and options) keeps its own record in OUT/.cache/, so `make`, which asks for
the PDF, the EPUB and the draft one by one, finds each of them up to date.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from folio import __version__
from folio.checks.findings import Finding
from folio.formats import Options
from folio.formats.output import write_atomic
from folio.project.config import Project

VERSION = 1
"""The manifest's own format: a record written by another version is not read."""
SKIPPED = {"__pycache__", "node_modules"}
"""Folders that are never inputs (besides hidden ones and the output folder)."""
FRESH_NS = 2_000_000_000
"""A file modified this recently (ns) is hashed again next time, whatever its size and mtime say."""
LIBRARIES = ("libpango-1.0", "libpangoft2-1.0", "libharfbuzz", "libharfbuzz-subset", "libfontconfig", "libfreetype", "libcairo")
"""The system libraries WeasyPrint lays text out and subsets fonts with: their versions shape the pages."""
LIBRARY_FOLDERS = ("/usr/lib/*/", "/usr/lib/", "/usr/local/lib/")


@dataclass
class Record:
    """The last successful build of one request, as written to OUT/.cache/build-<request>.json."""

    key: str
    outputs: list[dict[str, Any]]
    """Each output: format, path, bytes, pages, sha256."""
    warnings: list[Finding]
    silenced: list[Finding]
    report: dict[str, Any] = field(default_factory=dict)
    """What else the build reported (chapters, stages, cache): replayed as it was."""
    files: dict[str, list[Any]] = field(default_factory=dict)
    """The input files' [size, mtime_ns, sha256], to hash only what changed next time."""
    packages: list[str] = field(default_factory=list)
    """The distributions Folio runs on (its requirements, followed down), to key on their versions."""


@dataclass
class Key:
    """The key of the inputs as they are now, and the file hashes it was made from."""

    digest: str
    files: dict[str, list[Any]]
    packages: list[str]


def manifest_path(out: Path, wanted: list[str], options: Options) -> Path:
    """Where the record of this request is kept: one per set of formats and options."""
    request = json.dumps([wanted, _shaping(options)], sort_keys=True, default=str)
    return out / ".cache" / f"build-{hashlib.sha256(request.encode()).hexdigest()[:16]}.json"


def recorded(project: Project, wanted: list[str], out: Path, options: Options) -> tuple[Record | None, Key | None]:
    """(the record of the last build of this request if it still holds, the key of the inputs now).
    The key is None when this build cannot be keyed (a git revision that does not resolve): then it
    runs, and reports the problem itself."""
    path = manifest_path(out, wanted, options)
    previous = load(path)
    if previous is None:
        return None, input_key(project, wanted, out, options, {}, requirements())
    key = input_key(project, wanted, out, options, previous.files, previous.packages)
    if key is None or previous.key != key.digest:
        # The build runs: its record keys on the packages Folio needs now, found afresh.
        return None, input_key(project, wanted, out, options, key.files if key else previous.files, requirements())
    return (previous if all(_intact(output) for output in previous.outputs) else None), key


def input_key(
    project: Project, wanted: list[str], out: Path, options: Options, memo: dict[str, list[Any]], packages: list[str]
) -> Key | None:
    """A hash of everything that can shape the products (see the module's docstring); `memo` holds
    the files' hashes as last recorded, `packages` the distributions whose versions count."""
    against = _revision(project.root, options.against) if options.against else None
    if options.against and against is None:
        return None
    files = input_files(project, out, memo)
    parts = {
        "manifest": VERSION,
        "folio": __version__,
        "python": sys.version,
        "packages": installed(packages),
        "libraries": libraries(),
        "stamp": project.build_time().seconds,
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
        "formats": wanted,
        "options": _shaping(options) | {"against": against},
        "out": str(out),
        "files": {name: entry[2] for name, entry in sorted(files.items())},
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return Key(digest, files, packages)


def input_files(project: Project, out: Path, memo: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The input files as they are now, as a key reads them: [size, mtime_ns, sha256] by path
    (`memo`: as last seen, so that only a file whose size or mtime changed is read again)."""
    return {str(path): _file_hash(path, memo.get(str(path))) for path in _input_files(project, out)}


def files_digest(files: dict[str, list[Any]]) -> str:
    """A hash of the input files' contents (`input_files`, or a Key's files): what a check of the
    manuscript was made from. `folio serve` hands its check to the PDF worker under it, and the
    build uses that check only while the files still hash the same (build.py)."""
    contents = {name: entry[2] for name, entry in sorted(files.items())}
    return hashlib.sha256(json.dumps(contents, sort_keys=True).encode()).hexdigest()


def record(path: Path, key: Key, record: Record) -> None:
    """Write the record of a build that succeeded (atomically: a crash leaves the old one or none)."""
    data = {
        "version": VERSION,
        "key": key.digest,
        "outputs": record.outputs,
        "warnings": [_finding_json(f) for f in record.warnings],
        "silenced": [_finding_json(f) for f in record.silenced],
        "report": record.report,
        "files": key.files,
        "packages": key.packages,
    }
    write_atomic(path, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))


def load(path: Path) -> Record | None:
    """The record at `path`; None when there is none, or it is unreadable or from another version
    (a record that cannot be trusted is the same as none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
            return None
        return Record(
            data["key"],
            list(data["outputs"]),
            [_finding(f) for f in data["warnings"]],
            [_finding(f) for f in data["silenced"]],
            dict(data["report"]),
            dict(data["files"]),
            list(data["packages"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def output_entry(fmt: str, path: Path, data: bytes, pages: int) -> dict[str, Any]:
    """How an output is recorded (and reported by --json)."""
    return {"format": fmt, "path": str(path), "bytes": len(data), "pages": pages, "sha256": hashlib.sha256(data).hexdigest()}


def _shaping(options: Options) -> dict[str, Any]:
    """The options that can change what a build makes (the number of workers cannot)."""
    return {name: value for name, value in dataclasses.asdict(options).items() if name != "jobs"}


def _intact(output: dict[str, Any]) -> bool:
    """The output is on disk with the bytes the build wrote (a file changed or cut short is rebuilt)."""
    path = Path(output["path"])
    try:
        if path.stat().st_size != output["bytes"]:
            return False
        return _sha256(path) == output["sha256"]
    except OSError:
        return False


# What goes into the key ----------------------------------------------------------------------


def _input_files(project: Project, out: Path) -> list[Path]:
    """Every file that may be read: the project's (not its outputs, not hidden folders), Folio's
    code and templates, and the CMYK profile the press file names."""
    package = Path(__file__).resolve().parent
    # Folio's templates, found as render/templates.py finds them (importing it would load Jinja).
    roots = [project.root, package, package / "templates", package.parent / "templates"]
    skipped = {out.resolve(), (project.root / "build").resolve()}  # outputs, wherever they are written this time
    files: set[Path] = set()
    for root in roots:
        files.update(_walk(root.resolve(), skipped))
    profile = Path(project.config.print.cmyk_profile)
    if profile.is_file():
        files.add(profile.resolve())
    return sorted(files)


def _walk(folder: Path, skipped: set[Path]) -> list[Path]:
    found: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        if entry.name.startswith(".") or entry.name in SKIPPED:
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if path not in skipped:
                found += _walk(path, skipped)
        elif entry.is_file():
            found.append(path)
    return found


def _file_hash(path: Path, remembered: list[Any] | None) -> list[Any]:
    """[size, mtime_ns, sha256] of a file, hashed again only when its size or mtime changed."""
    try:
        stat = path.stat()
    except OSError:
        return [-1, 0, "missing"]
    if remembered and remembered[0] == stat.st_size and remembered[1] == stat.st_mtime_ns and stat.st_mtime_ns:
        return remembered
    digest = _sha256(path)
    fresh = time.time_ns() - stat.st_mtime_ns < FRESH_NS
    return [stat.st_size, 0 if fresh else stat.st_mtime_ns, digest]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def requirements() -> list[str]:
    """The distributions Folio runs on: its requirements and theirs, followed down (names
    normalised). Folio's own are read from pyproject.toml in a source checkout (an editable
    install's metadata is as old as the install), else from its installed metadata; with neither,
    every installed distribution counts (an empty list). Reading the metadata takes a good part of
    a second, so a record keeps the list and an up-to-date check only looks up their versions."""
    import importlib.metadata as metadata
    import tomllib

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        todo = list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    except (OSError, ValueError, KeyError):
        try:
            todo = list(metadata.distribution("folio").requires or [])
        except metadata.PackageNotFoundError:
            return []
    found: set[str] = set()
    while todo:
        requirement = todo.pop()
        if "extra ==" in requirement:
            continue
        name = _normal(re.split(r"[^A-Za-z0-9._-]", requirement, maxsplit=1)[0])
        if name in found:
            continue
        found.add(name)
        try:
            todo += metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue  # reported as not installed by installed()
    return sorted(found)


def installed(packages: list[str]) -> list[str]:
    """The installed versions of these distributions (every distribution's when the list is empty),
    from their metadata folders' names: name-version.dist-info."""
    folders: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                folders.setdefault(_normal(name.split("-", 1)[0]), name)
    wanted = packages or sorted(folders)
    return [folders.get(name, f"{name}: not installed") for name in wanted]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def libraries(folders: tuple[str, ...] = LIBRARY_FOLDERS) -> list[str]:
    """The system libraries' versioned files (libpango-1.0.so.0.5000.12, ...), their links followed,
    from each library folder listed once (a pattern for each library listed them all again: 0.03 s
    of every build)."""
    versioned = tuple(f"{name}.so." for name in LIBRARIES)
    found: set[str] = set()
    for folder in (path for pattern in folders for path in glob.glob(pattern)):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found.update(os.path.realpath(folder + name) for name in names if name.startswith(versioned))
    return sorted(found)


def _revision(root: Path, revision: str) -> str | None:
    """The commit a git revision names now (a branch moves), or None when it names none."""
    try:
        command = ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {name: str(value) if isinstance(value, Path) else value for name, value in dataclasses.asdict(finding).items()}


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(**(data | {"path": Path(data["path"])}))
