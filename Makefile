# ipfin — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: demo test test-fast lint bench browser install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipfin.common.pdf  # the PDFs' font instances, made once (ipfin.common.pdf)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ipfin migrate --noinput
	$(BIN)/ipfin load_demo
	IPFIN_DEMO=1 IPFIN_DUAL_CONTROL_ABOVE=$${IPFIN_DUAL_CONTROL_ABOVE-50000000} $(BIN)/ipfin runserver 127.0.0.1:8000

# The browser test drives Debian's Chromium; install it when we can (as root), else it is skipped
# with a reason (under CI=true a missing browser is a failure).
browser:
	@if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium and a CJK font for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else echo "chromium not installed and not root: browser tests will be skipped"; fi

# The suite runs in PYTEST_WORKERS processes (pytest-xdist; default 2, the machines' two cores),
# each on a test database of its own (pytest-django suffixes its name: _gw0, _gw1). 0: one process.
PYTEST_WORKERS ?= 2

test: $(STAMP) browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not e2e" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var
