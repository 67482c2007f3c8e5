# Stride: `make run` serves the course, `make test` runs every test (browser tests included).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
REDIS_SERVER ?= /usr/bin/redis-server
NGINX ?= /usr/sbin/nginx
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast bench bench-gpu bench-wheels bench-load lenet weights clean

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

# Debian's redis-server (live sessions shared by replicas) and nginx (the proxy in front of them) run in the
# tests of several processes; as root we install them when they are missing, as Chromium.
$(REDIS_SERVER) $(NGINX):
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(notdir $@); \
	else \
		echo "$(notdir $@) is missing: install Debian's '$(notdir $@)' package."; \
		if [ "$$CI" = "true" ]; then exit 1; fi; \
	fi

test: $(STAMP) $(CHROMIUM) $(REDIS_SERVER) $(NGINX)
	STRIDE_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser"

bench: $(STAMP)
	$(BIN)/python -m bench

# On a GPU machine with Python 3.12, torch and torchvision only: unpacks bench/wheels/ into .bench-site/ and runs
# every benchmark on the GPU within 5 minutes (bench/gpu.sh). bench-wheels fetches those wheels where PyPI answers.
bench-gpu:
	bash bench/gpu.sh --device cuda

bench-wheels: $(STAMP)
	$(BIN)/python -m pip download --quiet --only-binary=:all: --python-version 3.12 \
		--platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
		-d bench/wheels -r bench/wheels.txt

# 10 minutes of mixed traffic against a fresh server, then requests, errors and memory at start and end; not a test
# and not part of `make bench`. STRIDE_SOAK_SECONDS=60 for a quick look (STRIDE_SOAK_URL: a server already running).
.PHONY: soak
soak: $(STAMP)
	$(BIN)/python -m bench.soak

# 50 simultaneous first visits to each heavy lesson on a fresh server: page latency, 503s, memory peak.
bench-load: $(STAMP)
	$(BIN)/python -m bench.heavy_lessons

lenet: $(STAMP)
	$(BIN)/python scripts/train_lenet.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
