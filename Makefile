# amq2api — `make run` starts the daemon from this checkout, `make test` runs every test.
# The real build is CMake; this file installs dependencies and picks build directories.

BUILD      ?= build
TEST_BUILD ?= build-test
BENCH_BUILD ?= build-bench
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
DESTDIR    ?=
SYSCONFDIR ?= /etc
SBINDIR    := $(PREFIX)/sbin
MANDIR     := $(PREFIX)/share/man
DATADIR    := $(PREFIX)/share/amq2api
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DOCDIR     := $(PREFIX)/share/doc/amq2api
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# The group systemd/amq2api.sysusers creates; it may read the configuration.
SERVICE_GROUP ?= amq2api

# Debian 12 packages for building, testing and running. PostgreSQL is the shared store of
# several hosts (the integration tests start a private cluster of their own).
DEB_PACKAGES := build-essential cmake pkg-config libevent-dev libevhtp-dev libonig-dev \
  libcurl4-openssl-dev rapidjson-dev liblmdb-dev libssl-dev zlib1g-dev libcli11-dev \
  libsystemd-dev libsqlite3-dev libqrencode-dev libpq-dev libboost-test-dev python3 mandoc \
  lmdb-utils curl ca-certificates postgresql

# The Claude BPE vocabulary for local token counts, from npm (Debian's npm pulls in nodejs).
TOKENIZER_PREFIX ?= .deps/tokenizer
TOKENIZER_PACKAGE := @anthropic-ai/tokenizer@0.0.4
TOKENIZER_FILE := $(TOKENIZER_PREFIX)/node_modules/@anthropic-ai/tokenizer/claude.json

# npm may come with a nodejs that is not Debian's, which conflicts with Debian's npm package.
HAVE_NPM := $(shell command -v npm 2>/dev/null)

# A Chinese font, so that the zh-CN screenshots of the dashboard show the text.
TEST_DEB_PACKAGES := chromium fonts-wqy-microhei systemd util-linux passwd git
# Drives the browser in the dashboard test (its NODE_PATH is set by tests/integration), and
# checks the page's accessibility there (axe-core).
PLAYWRIGHT_PREFIX ?= .deps/playwright
PLAYWRIGHT_PACKAGES := playwright-core@1.40.1 axe-core@4.10.2
# Real clients the integration tests drive (tests/integration/test_client_sdks.py): the OpenAI
# and Anthropic Node SDKs (CommonJS, the last releases that run on Debian's node 18) and the
# Codex CLI (a static binary in its platform package).
SDK_PREFIX ?= .deps/sdk
SDK_PACKAGES := openai@6.30.1 @anthropic-ai/sdk@0.71.0
CODEX_PREFIX ?= .deps/codex
CODEX_PACKAGE := @openai/codex@0.171.0

.PHONY: all deps test-deps build run test bench clean install uninstall

all: build

# apt-get install of those of the packages $(1) that are not installed yet, so that a machine
# that has everything needs no network.
define apt_install_missing
@missing=$$(for p in $(1); do \
    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
  done); \
if [ -n "$$missing" ]; then \
  echo "installing:" $$missing; \
  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
fi
endef

deps:
	$(call apt_install_missing,$(DEB_PACKAGES) $(if $(or $(wildcard $(TOKENIZER_FILE)),$(HAVE_NPM)),,npm))
	@[ -f $(TOKENIZER_FILE) ] || { echo "installing: $(TOKENIZER_PACKAGE)"; \
	  npm install --no-audit --no-fund --prefix $(TOKENIZER_PREFIX) $(TOKENIZER_PACKAGE); }

# What only the tests use: a headless browser for the dashboard, systemd-analyze for the unit
# files, setpriv and useradd to run installed binaries as a service user, git for Codex's
# working directory.
test-deps: deps
	$(call apt_install_missing,$(TEST_DEB_PACKAGES) $(if $(HAVE_NPM),,npm))
	@[ -d $(PLAYWRIGHT_PREFIX)/node_modules/playwright-core ] && [ -d $(PLAYWRIGHT_PREFIX)/node_modules/axe-core ] || { \
	  echo "installing: $(PLAYWRIGHT_PACKAGES)"; \
	  npm install --no-audit --no-fund --prefix $(PLAYWRIGHT_PREFIX) $(PLAYWRIGHT_PACKAGES); }
	@[ -d $(SDK_PREFIX)/node_modules/openai ] && [ -d $(SDK_PREFIX)/node_modules/@anthropic-ai/sdk ] || { \
	  echo "installing: $(SDK_PACKAGES)"; \
	  npm install --no-audit --no-fund --prefix $(SDK_PREFIX) $(SDK_PACKAGES); }
	@[ -d $(CODEX_PREFIX)/node_modules/@openai/codex ] || { \
	  echo "installing: $(CODEX_PACKAGE)"; \
	  npm install --no-audit --no-fund --prefix $(CODEX_PREFIX) $(CODEX_PACKAGE); }

# Configured on every build so that PREFIX and SYSCONFDIR (which the binaries know their data
# directory and default configuration file by) always match what `make install` uses.
build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMQ_TESTS=OFF \
	  -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DAMQ_SYSCONFDIR=$(SYSCONFDIR) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# Binaries (stripped), man pages, the systemd units, the shell completions and the vocabulary;
# the configuration file only when there is none yet (an admin's edits are never overwritten),
# readable by the service's group. Nothing is built or downloaded here: run `make` as yourself
# first, then `make install` as root copies what it built.
install:
	@for f in $(BUILD)/daemon/amq2apid $(BUILD)/ctl/amq2apictl; do \
	  [ -x $$f ] || { echo "make install: $$f is missing: run 'make' (as yourself) first" >&2; exit 1; }; \
	done
	@[ -f $(TOKENIZER_FILE) ] || { \
	  echo "make install: $(TOKENIZER_FILE) is missing: run 'make deps' (as yourself) first" >&2; exit 1; }
	@# The binaries know their data directory and configuration file from when they were built.
	@for v in CMAKE_INSTALL_PREFIX:PATH=$(PREFIX) AMQ_SYSCONFDIR:PATH=$(SYSCONFDIR); do \
	  grep -qx "$$v" $(BUILD)/CMakeCache.txt || { \
	    echo "make install: $(BUILD) was not built for $$v: run 'make PREFIX=$(PREFIX) SYSCONFDIR=$(SYSCONFDIR)' first" >&2; \
	    exit 1; }; \
	done
	install -D -s -m 0755 $(BUILD)/daemon/amq2apid $(DESTDIR)$(SBINDIR)/amq2apid
	install -D -s -m 0755 $(BUILD)/ctl/amq2apictl $(DESTDIR)$(SBINDIR)/amq2apictl
	install -D -m 0644 man/amq2apid.8 $(DESTDIR)$(MANDIR)/man8/amq2apid.8
	install -D -m 0644 man/amq2apictl.8 $(DESTDIR)$(MANDIR)/man8/amq2apictl.8
	install -D -m 0644 man/amq2api.conf.5 $(DESTDIR)$(MANDIR)/man5/amq2api.conf.5
	install -D -m 0644 $(TOKENIZER_FILE) $(DESTDIR)$(DATADIR)/claude-tokenizer.json
	install -D -m 0644 LICENSE $(DESTDIR)$(DOCDIR)/LICENSE
	install -D -m 0644 CHANGELOG.md $(DESTDIR)$(DOCDIR)/CHANGELOG.md
	install -D -m 0644 contrib/bash-completion/amq2api $(DESTDIR)$(COMPLETIONDIR)/amq2apid
	install -D -m 0644 contrib/bash-completion/amq2api $(DESTDIR)$(COMPLETIONDIR)/amq2apictl
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/amq2apid.service > $(DESTDIR)$(UNITDIR)/amq2apid.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/amq2apid.service
	install -m 0644 systemd/amq2apid.socket $(DESTDIR)$(UNITDIR)/amq2apid.socket
	install -D -m 0644 systemd/amq2api.sysusers $(DESTDIR)$(SYSUSERSDIR)/amq2api.conf
	install -D -m 0644 systemd/amq2api.tmpfiles $(DESTDIR)$(TMPFILESDIR)/amq2api.conf
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/amq2api/amq2api.conf ]; then \
	  echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/amq2api/amq2api.conf"; \
	else \
	  install -D -m 0640 etc/amq2api.conf $(DESTDIR)$(SYSCONFDIR)/amq2api/amq2api.conf; \
	fi
	@# Until systemd-tmpfiles runs, the service's group (when it exists) gets read access here.
	@if getent group $(SERVICE_GROUP) >/dev/null; then \
	  chgrp $(SERVICE_GROUP) $(DESTDIR)$(SYSCONFDIR)/amq2api $(DESTDIR)$(SYSCONFDIR)/amq2api/amq2api.conf && \
	  chmod 0750 $(DESTDIR)$(SYSCONFDIR)/amq2api; \
	fi
	@echo "installed; then: systemd-sysusers && systemd-tmpfiles --create && systemctl daemon-reload && systemctl enable --now amq2apid"

# Leaves the configuration and the state (accounts, keys, usage) in place.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/amq2apid $(DESTDIR)$(SBINDIR)/amq2apictl
	rm -f $(DESTDIR)$(MANDIR)/man8/amq2apid.8 $(DESTDIR)$(MANDIR)/man8/amq2apictl.8
	rm -f $(DESTDIR)$(MANDIR)/man5/amq2api.conf.5
	rm -f $(DESTDIR)$(DATADIR)/claude-tokenizer.json
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null
	rm -f $(DESTDIR)$(DOCDIR)/LICENSE $(DESTDIR)$(DOCDIR)/CHANGELOG.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	rm -f $(DESTDIR)$(COMPLETIONDIR)/amq2apid $(DESTDIR)$(COMPLETIONDIR)/amq2apictl
	rm -f $(DESTDIR)$(UNITDIR)/amq2apid.service $(DESTDIR)$(UNITDIR)/amq2apid.socket
	rm -f $(DESTDIR)$(SYSUSERSDIR)/amq2api.conf $(DESTDIR)$(TMPFILESDIR)/amq2api.conf

# Foreground daemon on 127.0.0.1:8080, state in ./data, control socket in ./run; --no-config,
# so that this machine's /etc/amq2api/amq2api.conf stays out of it.
run: deps build
	@echo "amq2apid: http://127.0.0.1:8080 — state in ./data, control socket ./run/control.sock"
	@echo "  first admin key (created on first start): ./data/initial-admin-key"
	@echo "  try: $(BUILD)/ctl/amq2apictl --socket ./run/control.sock status"
	$(BUILD)/daemon/amq2apid --no-config --listen 127.0.0.1:8080 --state-dir ./data \
	  --control-socket ./run/control.sock --tokenizer-file $(TOKENIZER_FILE)

# Tests build separately with AddressSanitizer + UndefinedBehaviorSanitizer and -Werror.
test: test-deps
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
