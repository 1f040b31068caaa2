# Two commands on a fresh machine with only python3:  make demo  /  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARAMS := params/hengnan-2020.yaml

.PHONY: demo compare bench test lab install clean browser office docs
# Root installs system packages itself; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(STAMP)

install: $(STAMP)

# Every report of the sample run; the last line printed is the path of index.html.
demo: $(STAMP)
	$(BIN)/kaohe validate --params $(PARAMS)
	$(BIN)/kaohe run $(PARAMS) --jobs 2

# The two built-in rubric comparisons on the sample data; each prints the path of its compare.html.
compare: $(STAMP)
	$(BIN)/kaohe compare params/hengnan-2020.yaml --a hengnan-2020-township@1 --b hengnan-2020-township@2
	$(BIN)/kaohe compare params/langxi-2019.yaml --a langxi-2019@1 --b langxi-2019@2

# JupyterLab on the notebooks; each runs top to bottom with its default parameters (the sample).
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

# Headless Chromium (browser tests, `kaohe run --pdf`) and poppler's pdfinfo/pdftotext/pdftoppm (to check the
# PDFs): Debian's chromium and poppler-utils packages, installed once when missing.
browser:
	@{ command -v chromium && command -v pdftotext; } >/dev/null 2>&1 || { \
	  echo "安装 Chromium 与 poppler-utils（Debian 软件包），供浏览器与 PDF 测试使用"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends chromium poppler-utils; }

# LibreOffice (Writer, no GUI) to turn scores.docx into pages that a test can look at: Debian's
# libreoffice-writer-nogui package, installed once when missing.
office:
	@command -v soffice >/dev/null 2>&1 || { echo "安装 LibreOffice Writer（Debian 软件包），供 Word 通报的测试使用"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends libreoffice-writer-nogui; }

# The documentation site (mkdocs.yml, docs/) into site/; open site/index.html. `make test` builds it strict too.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

test: $(STAMP) browser office
	$(BIN)/ruff check kaohe tests bench
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) outputs/*/ site/

# The benchmark (bench/run.py): score() at scale, kaohe run against the strong papermill loop (Python API, one
# process per core) and the command loop, peak memory, where a report's time goes, and kaohe run --pdf.
# Writes bench/results.json; takes long at 2,000 units (a quick run: see bench/run.py's docstring).
bench: $(STAMP) browser
	$(BIN)/python -m bench.run
