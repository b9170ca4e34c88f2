# Mắt Thần — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup browser demo admin freeze clean-runtime

## run: set up, prepare the embedded demo on first run, serve dashboard + scheduler
run: setup
	YOLO_OFFLINE=1 $(PY) app.py

## test: set up, make sure headless Chromium is there, run the whole suite
test: setup browser
	YOLO_OFFLINE=1 $(PY) -m pytest

setup: $(STAMP)

# Re-created when requirements.txt changes (newer than the stamp) or .venv is missing.
$(STAMP): requirements.txt
	@echo ">> creating $(VENV) from requirements.txt"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

browser:
	@bash scripts/ensure_browser.sh

demo: setup
	$(PY) cli.py demo prepare

## admin: create the first administrator (asks for the password; stop `make run` first)
ADMIN ?= admin
admin: setup
	$(PY) cli.py users create-admin $(ADMIN)

## freeze: re-pin requirements.txt from the current .venv
freeze:
	{ head -n 2 requirements.txt; $(PY) -m pip freeze --exclude-editable; } > requirements.txt.new
	mv requirements.txt.new requirements.txt

clean-runtime:
	rm -rf data/runtime
