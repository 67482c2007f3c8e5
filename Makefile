# Stride: `make run` serves the course, `make test` runs every test (browser tests included).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast bench lenet weights clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and by itself, from the versions this machine keeps on disk where it has them.
	$(BIN)/python -m pip install --quiet "torch>=2.6" "torchvision>=0.21"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# Offline, the fetch fails with one line saying what is missing, and the course runs without those models.
run: $(STAMP)
	@$(BIN)/stride weights fetch --default --quiet || true
	$(BIN)/stride serve --host $(HOST) --port $(PORT)

weights: $(STAMP)
	$(BIN)/stride weights fetch --default

# Debian's Chromium drives the browser tests; as root we install it when it is missing.
$(CHROMIUM):
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
		echo "Chromium is missing: install Debian's 'chromium' package (or set CHROMIUM=/path/to/chromium)."; \
		if [ "$$CI" = "true" ]; then exit 1; fi; \
	fi

test: $(STAMP) $(CHROMIUM)
	STRIDE_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser"

bench: $(STAMP)
	$(BIN)/python -m bench

lenet: $(STAMP)
	$(BIN)/python scripts/train_lenet.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
