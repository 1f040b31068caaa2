# Two commands on a fresh machine with only python3:  make demo  /  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARAMS := params/hengnan-2020.yaml

.PHONY: demo test install clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/kaohe validate --params $(PARAMS)
	$(BIN)/kaohe score --params $(PARAMS) --out outputs/hengnan-2020/scores.csv

test: $(STAMP)
	$(BIN)/ruff check kaohe tests
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) outputs/*/
