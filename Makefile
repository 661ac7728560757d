# Folio: `make` builds the book, `make test` runs the tests. Both set up what they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
SYSTEM := $(VENV)/.system
OUT    ?= build
SLUG   := $(shell sed -n 's/^slug: *//p' manuscript/book.yaml)
INPUTS := $(shell find manuscript templates folio -type f -not -name '*.pyc' 2>/dev/null)
FOLIO  := $(BIN)/folio

PDF   := $(OUT)/$(SLUG).pdf
EPUB  := $(OUT)/$(SLUG).epub
DRAFT := $(OUT)/$(SLUG)-draft.pdf

.PHONY: all pdf epub draft check test lint bench clean setup
.DELETE_ON_ERROR:

all: $(PDF) $(EPUB) $(DRAFT)
pdf: $(PDF)
epub: $(EPUB)
draft: $(DRAFT)

$(PDF): $(INPUTS) | $(READY)
	$(FOLIO) build pdf --out $(OUT)
$(EPUB): $(INPUTS) | $(READY)
	$(FOLIO) build epub --out $(OUT)
$(DRAFT): $(INPUTS) | $(READY)
	$(FOLIO) build draft --out $(OUT)

check: | $(READY)
	$(FOLIO) check

test: | $(READY)
	$(BIN)/pytest

lint: | $(READY)
	$(BIN)/ruff check folio tests
	$(BIN)/ruff format --check folio tests
	$(BIN)/mypy

setup: $(READY)

# The virtual environment, with every Python package at the version in requirements.lock.
$(READY): requirements.lock pyproject.toml $(SYSTEM)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# System libraries: HarfBuzz's subsetter (WeasyPrint embeds font subsets with it) and Java
# (EPUBCheck runs on it). Installed with apt when missing and we may; otherwise we say what to do.
$(SYSTEM):
	mkdir -p $(VENV)
	@if ! ldconfig -p | grep -q libharfbuzz-subset.so.0; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libharfbuzz-subset0 >/dev/null; \
	  else echo "Please install HarfBuzz-Subset (Debian: apt-get install libharfbuzz-subset0)"; exit 1; fi; \
	fi
	@command -v java >/dev/null || { echo "Please install Java 17 or newer (EPUBCheck runs on it)"; exit 1; }
	touch $@

clean:
	rm -rf $(OUT)
