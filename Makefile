# amq2api — `make run` starts the daemon from this checkout, `make test` runs every test.
# The real build is CMake; this file installs dependencies and picks build directories.

BUILD      ?= build
TEST_BUILD ?= build-test
BENCH_BUILD ?= build-bench
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local

# Debian 12 packages for building, testing and running (see shared/docs/pitfalls.md).
DEB_PACKAGES := build-essential cmake pkg-config libevent-dev libevhtp-dev libonig-dev \
  libcurl4-openssl-dev rapidjson-dev liblmdb-dev libssl-dev zlib1g-dev libcli11-dev \
  libsystemd-dev libboost-test-dev python3 mandoc lmdb-utils curl ca-certificates

# The Claude BPE vocabulary for local token counts, from npm (Debian's npm pulls in nodejs).
TOKENIZER_PREFIX ?= .deps/tokenizer
TOKENIZER_PACKAGE := @anthropic-ai/tokenizer@0.0.4
TOKENIZER_FILE := $(TOKENIZER_PREFIX)/node_modules/@anthropic-ai/tokenizer/claude.json

.PHONY: all deps build run test bench clean

all: build

# Installs only what is missing, so a machine that has everything needs no network.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	  done); \
	if [ ! -f $(TOKENIZER_FILE) ] && ! command -v npm >/dev/null; then missing="$$missing npm"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@[ -f $(TOKENIZER_FILE) ] || { echo "installing: $(TOKENIZER_PACKAGE)"; \
	  npm install --no-audit --no-fund --prefix $(TOKENIZER_PREFIX) $(TOKENIZER_PACKAGE); }

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMQ_TESTS=OFF

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Foreground daemon on 127.0.0.1:8080, state in ./data, control socket in ./run.
run: deps build
	@echo "amq2apid: http://127.0.0.1:8080 — state in ./data, control socket ./run/control.sock"
	@echo "  first admin key (created on first start): ./data/initial-admin-key"
	@echo "  try: $(BUILD)/ctl/amq2apictl --socket ./run/control.sock status"
	$(BUILD)/daemon/amq2apid --listen 127.0.0.1:8080 --state-dir ./data \
	  --control-socket ./run/control.sock --tokenizer-file $(TOKENIZER_FILE)

# Tests build separately with AddressSanitizer + UndefinedBehaviorSanitizer and -Werror.
test: deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAMQ_SANITIZE=ON -DAMQ_WERROR=ON
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

# Throughput, added latency and RSS against tests/fake_upstream (tests/bench/README.md).
# An optimised build of its own without sanitizers; never part of `make test`.
bench: deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DAMQ_TESTS=ON
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target amq2apid amq2apictl fake_upstream
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk; }
	python3 tests/bench/bench.py --build $(BENCH_BUILD) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
