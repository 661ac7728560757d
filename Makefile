# Folio: `make` builds the book, `make test` runs the tests. Both set up what they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
COMPILED := $(VENV)/.compiled
SYSTEM := $(VENV)/.system
OUT    ?= build
SLUG   := $(shell sed -n 's/^slug: *//p' manuscript/book.yaml)
INPUTS := $(shell find manuscript templates folio -type f -not -name '*.pyc' 2>/dev/null)
FOLIO  := $(BIN)/folio

PDF   := $(OUT)/$(SLUG).pdf
PRESS := $(OUT)/$(SLUG)-press.pdf
EPUB  := $(OUT)/$(SLUG).epub
DRAFT := $(OUT)/$(SLUG)-draft.pdf
ONIX  := $(OUT)/$(SLUG)-onix.xml
DOCX  := $(OUT)/$(SLUG)-review.docx
NODE_READY := node_modules/.ready

.PHONY: all pdf press epub onix draft docx check preflight proof accessibility test lint bench fuzz clean setup
.DELETE_ON_ERROR:

all: $(PDF) $(PRESS) $(EPUB) $(ONIX) $(DRAFT)
pdf: $(PDF)
press: $(PRESS)
epub: $(EPUB)
onix: $(ONIX)
draft: $(DRAFT)
docx: $(DOCX)

# The print PDF and the printer's file are laid out in one run (book.yaml: print.press).
$(PDF) $(PRESS) &: $(INPUTS) | $(READY) $(COMPILED)
	$(FOLIO) build pdf --press --out $(OUT)
$(EPUB): $(INPUTS) | $(READY) $(COMPILED)
	$(FOLIO) build epub --out $(OUT)
$(ONIX): $(INPUTS) | $(READY) $(COMPILED)
	$(FOLIO) build onix --out $(OUT)
$(DRAFT): $(INPUTS) | $(READY) $(COMPILED)
	$(FOLIO) build draft --out $(OUT)
$(DOCX): $(INPUTS) | $(READY) $(COMPILED)
	$(FOLIO) build docx --out $(OUT)

check: | $(READY)
	$(FOLIO) check

preflight: $(PDF) $(PRESS)
	$(FOLIO) preflight $(PDF) --project .
	$(FOLIO) preflight $(PRESS) --project . --press

proof: $(PDF)
	$(FOLIO) proof $(PDF) -o $(OUT)/$(SLUG)-proof.png

# Ace by DAISY, the accessibility checker distributors use, run on the EPUB.
accessibility: $(EPUB) | $(NODE_READY)
	$(BIN)/python -c "from pathlib import Path; from folio.tools.ace import run_ace; r = run_ace(Path('$(EPUB)'), Path('$(OUT)/ace')); print(r.outcome, len(r.violations), 'violation(s)'); raise SystemExit(not r.ok)"

test: | $(READY) $(NODE_READY)
	$(BIN)/pytest

lint: | $(READY)
	$(BIN)/ruff check folio tests bench
	$(BIN)/ruff format --check folio tests bench
	$(BIN)/mypy

setup: $(READY)

# The virtual environment, with every Python package at the version in requirements.lock.
$(READY): requirements.lock pyproject.toml $(SYSTEM)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Folio's modules compiled ahead, as an installed package's are: where PYTHONDONTWRITEBYTECODE
# keeps Python from writing them, each run compiled them again (0.05 s of every build).
$(COMPILED): $(shell find folio -name '*.py') | $(READY)
	$(BIN)/python -m compileall -q folio
	touch $@

# System packages: HarfBuzz's subsetter (WeasyPrint embeds font subsets with it), a CMYK ICC
# profile for the printer's PDF/X file (Ghostscript's, in libgs-common), poppler's pdfinfo (the
# tests read a joined PDF's structure tree with `pdfinfo -struct`) and Java (EPUBCheck).
# Installed with apt when missing and we may; otherwise we say what to do.
APT_PACKAGES := libharfbuzz-subset0 libgs-common poppler-utils
$(SYSTEM):
	mkdir -p $(VENV)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $$missing"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "Please install: $$missing (Debian package names)"; exit 1; fi; \
	fi
	@command -v java >/dev/null || { echo "Please install Java 17 or newer (EPUBCheck runs on it)"; exit 1; }
	touch $@

# Node tools (Ace), at the versions in package-lock.json, and Debian's Chromium for them to drive.
$(NODE_READY): package.json package-lock.json
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "Please install Chromium (Debian: apt-get install chromium)"; exit 1; fi; }
	@command -v npm >/dev/null || { echo "Please install Node.js 20 and npm (Ace runs on them)"; exit 1; }
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-fund --no-audit --loglevel=error
	touch $@

# Hostile input at length: 200 generated manuscripts (make test runs 10).
fuzz: | $(READY)
	FOLIO_FUZZ_EXAMPLES=200 $(BIN)/pytest -q tests/test_fuzz.py --hypothesis-show-statistics

# Speed and memory on books of 1 to 160 chapters, beside the naive Pandoc + WeasyPrint pipeline
# and the preview's waits in Chromium (folio bench; `make bench CHAPTERS=1,10` for a quick run).
# Writes $(OUT)/bench.json.
CHAPTERS ?= 1,10,40,160
bench: | $(READY) $(NODE_READY) $(COMPILED)
	$(FOLIO) bench --project . --chapters $(CHAPTERS) --out $(OUT)/bench.json

clean:
	rm -rf $(OUT)
