# Two commands: `make run` (set up and serve the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 8050

.PHONY: run test db clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $(VENV)/.installed $@

# axe-core for the accessibility tests and plotly's basic bundle (checked against assets/vendor), from
# the npm registry as package-lock.json pins them.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

db: $(VENV)/.installed
	$(BIN)/flask --app app init-db --demo

run: db
	@echo "Mở http://127.0.0.1:$(PORT) — tài khoản mẫu trong README.md (mật khẩu LaoCai@2026)"
	PORT=$(PORT) CDS_DEMO_MODE=1 $(BIN)/gunicorn -c gunicorn.conf.py app:server

test: $(VENV)/.test-installed node_modules/.installed
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis node_modules
