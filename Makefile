# sky-native: the two commands of the README are `make run` and `make test`;
# both set everything up first on a fresh Debian bookworm machine.

SHELL       := /bin/bash
PYTHON      := /usr/bin/python3.11
VENV        := $(CURDIR)/.venv
BUILD_DIR   := $(CURDIR)/build
PRESET      ?= dev
SKY_NATIVE  := $(BUILD_DIR)/sky-native
# sky-native finds the venv as its own python would when it is active.
VENV_ENV    := VIRTUAL_ENV=$(VENV) PATH=$(VENV)/bin:$(PATH)

APT_PACKAGES := build-essential cmake ninja-build python3.11 python3.11-dev \
  python3.11-venv libpython3.11-dev pybind11-dev libssl-dev libzstd-dev catch2 \
  libbenchmark-dev clang-format clang-tidy clang-14 libclang-rt-14-dev \
  ca-certificates procps patchelf zstd umoci debootstrap iproute2 jq chromium \
  socat netcat-openbsd runc skopeo sqlite3 curl liblzma-dev tcl openssl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup apt venv build build-launcher slurm-up slurm-down run test cheap-wheels test-slurm test-cpp test-python test-python-server test-matrix-cheap \
  test-matrix test-asan test-fuzz test-bench-report test-package bench fmt lint clean package package-test \
  package-test-full package-figures glibc-root trixie-root wheels wheel-venvs test-wheels test-wheels-cheap

setup: apt venv

apt:
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(APT_PACKAGES); \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: packaging/requirements.txt | apt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r packaging/requirements.txt
	touch $@

build: apt
	cmake --preset $(PRESET) >/dev/null
	cmake --build --preset $(PRESET)

# The main job: a real task launched on a local one-node Slurm cluster
# through sky-native (tests/slurm/demo/run.sh: launch with a workdir and a
# file mount, logs, exec, queue, status, down, api stop), then the cluster
# stopped. Builds only the launcher.
SLURM_CLUSTER := tests/slurm/cluster.sh
SLURM_CLIENT  := tests/slurm/client.sh
run: setup build-launcher slurm-up
	@echo "==> sky-native: $$($(VENV_ENV) $(SKY_NATIVE) --native-info | head -1)"
	@rm -rf $(BUILD_DIR)/slurm-run-home
	@status=0; $(VENV_ENV) $(SLURM_CLIENT) $(BUILD_DIR)/slurm-run-home \
	  tests/slurm/demo/run.sh $(SKY_NATIVE) || status=$$?; \
	  $(SLURM_CLUSTER) down; exit $$status

build-launcher: apt
	cmake --preset $(PRESET) >/dev/null
	cmake --build --preset $(PRESET) --target sky-native

# The local Slurm cluster of `make run` and the end-to-end tests (one node:
# this machine; tests/slurm/cluster.sh says what it starts). Idempotent.
slurm-up: venv
	$(SLURM_CLUSTER) up

slurm-down:
	$(SLURM_CLUSTER) down

# `make test` (CI's): set up, build and make the bullseye root once; then two
# rounds of two lanes side by side on the two cores (docs/testing.md). In
# each round one lane runs, one after another, the tests that start SkyPilot
# API servers or the Slurm cluster (SkyPilot's `api stop` ends every API
# server on the machine); the other builds and runs what starts none. The
# first round's second lane builds what the second round tests.
ROUND_1_SERVERS := test-cpp test-python test-python-server test-bench-report
ROUND_1_BUILDS  := cheap-wheels package trixie-root
ROUND_2_SERVERS := test-wheels-cheap test-package test-slurm
ROUND_2_BUILDS  := test-asan test-fuzz test-matrix-cheap lint
test: setup build glibc-root
	$(call lanes,$(ROUND_1_SERVERS),ZSTD_LEVEL=3 $(ROUND_1_BUILDS))
	$(call lanes,$(ROUND_2_SERVERS),$(ROUND_2_BUILDS))

# $(call lanes,A,B): two `make IN_LANES=1 -j1` side by side, one for each
# list; fails when either does. Plain shell jobs, no jobserver: a sub-make
# forced to -j1 under a -j2 one can leave the parent waiting for a token.
# A shell starts a background job with SIGINT and SIGQUIT ignored, and the
# tests that send them need them as a terminal's process has them.
LANE  = env --default-signal=INT,QUIT $(MAKE) IN_LANES=1 -j1
lanes = $(LANE) $(1) & a=$$!; $(LANE) $(2) & b=$$!; \
  wait $$a; status_a=$$?; wait $$b; status_b=$$?; \
  [ $$status_a = 0 ] && [ $$status_b = 0 ]

# In the lanes everything is built already: no target there builds again
# (both lanes would, in the same directory, at once).
ifdef IN_LANES
BUILT          :=
LAUNCHER_BUILT :=
WHEELS_BUILT   :=
PACKAGE_BUILT  :=
else
BUILT          := build
LAUNCHER_BUILT := build-launcher
WHEELS_BUILT   := cheap-wheels
PACKAGE_BUILT  := package
endif

test-cpp:
	ctest --preset $(PRESET)

test-python:
	$(VENV_ENV) $(SKY_NATIVE) -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup tests/python

# The CLI parity suite again (in `make test`), every sky-native command
# through a command server (tests/python/test_command_server.py runs in
# test-python).
test-python-server:
	SKY_NATIVE_TEST_SERVER=1 $(VENV_ENV) $(SKY_NATIVE) -m pytest -q -p no:cacheprovider \
	  tests/python/test_cli_parity.py

# End-to-end on the local Slurm cluster (tests/slurm/test_slurm.py): the
# same launch / logs / exec / queue / down through `sky` and sky-native.
test-slurm: setup $(LAUNCHER_BUILT)
	$(SLURM_CLUSTER) up
	@status=0; $(VENV_ENV) $(SKY_NATIVE) -m pytest -q -p no:cacheprovider \
	  --basetemp=$(BUILD_DIR)/slurm-test tests/slurm || \
	  status=$$?; $(SLURM_CLUSTER) down; exit $$status

# Every SkyPilot release of the matrix (tests/matrix/run.py): replaced
# exactly where the code is verified, the differential tests against the
# releases' own functions, the fingerprint table up to date. Cheap (in
# `make test`): each release's wheel --no-deps over the pinned venv; full: a
# venv per release with its own dependencies (build/matrix-venvs/).
test-matrix-cheap: setup $(BUILT)
	$(VENV)/bin/python tests/matrix/run.py --cheap $(VENV) $(SKY_NATIVE)

test-matrix: setup build
	$(VENV)/bin/python tests/matrix/run.py --full $(PYTHON) $(SKY_NATIVE)

# The wheel for each CPython of WHEEL_PYTHONS (pyenv's, ~/.pyenv/versions),
# in build/wheels (docs/wheel.md). test-wheels: each in a venv of its
# Python with the pinned SkyPilot, the whole Python test suite under plain
# python; test-wheels-cheap (in `make test`): for the oldest and newest
# (the C-API shims' two ends), the install check, the flags, `sky --help`
# and a short differential sample.
WHEEL_PYTHONS       := 3.9 3.10 3.11 3.12 3.13
CHEAP_WHEEL_PYTHONS := 3.9 3.13
WHEELS_DIR    := $(BUILD_DIR)/wheels
wheels: setup glibc-root
	PATH=$(VENV)/bin:$$PATH SKY_NATIVE_SYSROOT=$(GLIBC_ROOT) \
	  packaging/build_wheels.sh $(WHEELS_DIR) $(WHEEL_PYTHONS)

# The oldest glibc the artefacts support (docs/single-file.md#the-glibc-floor):
# a Debian bullseye root (glibc 2.31), the --sysroot of the wheels and the
# single file, where the cp39 wheel is tested with bullseye's own python3
# and the single file with bullseye's ssh and rsync. The trixie root (glibc
# 2.41): the single file on a newer glibc than the build machine's.
GLIBC_ROOT  := $(BUILD_DIR)/roots/bullseye
TRIXIE_ROOT := $(BUILD_DIR)/roots/trixie
ROOT_TOOLS  := openssh-client,rsync,ca-certificates
glibc-root: apt
	packaging/debian_root.sh bullseye $(GLIBC_ROOT) \
	  libc6-dev,linux-libc-dev,python3,python3-venv,$(ROOT_TOOLS)
trixie-root: apt
	packaging/debian_root.sh trixie $(TRIXIE_ROOT) $(ROOT_TOOLS)

# The test venvs (build/wheel-venvs) are made while the wheels build.
wheel-venvs: setup
	$(VENV)/bin/python tests/wheel/run.py --venvs $(WHEELS_DIR) $(WHEEL_PYTHONS)

cheap-wheels: setup
	$(MAKE) -j2 wheels wheel-venvs WHEEL_PYTHONS="$(CHEAP_WHEEL_PYTHONS)"

test-wheels: setup
	$(MAKE) -j2 wheels wheel-venvs
	$(VENV)/bin/python tests/wheel/run.py --full --old-glibc $(GLIBC_ROOT) $(WHEELS_DIR) \
	  $(WHEEL_PYTHONS)

test-wheels-cheap: setup $(WHEELS_BUILT)
	$(VENV)/bin/python tests/wheel/run.py --cheap --old-glibc $(GLIBC_ROOT) $(WHEELS_DIR) \
	  $(CHEAP_WHEEL_PYTHONS)

# Under AddressSanitizer and UBSan: every C++ test (leaks checked, CPython's
# own suppressed: tests/lsan.supp), then the differential tests run by the
# sanitized launcher. There leaks are not checked: CPython does not free its
# heap at exit, and its stacks end at the allocator.
DIFFERENTIAL_TESTS := $(wildcard tests/python/test_diff_*.py)
test-asan: setup
	cmake --preset asan >/dev/null
	cmake --build --preset asan
	ctest --preset asan
	$(VENV_ENV) ASAN_OPTIONS=detect_leaks=0 $(CURDIR)/build-asan/sky-native \
	  -m pytest -q -p no:cacheprovider $(DIFFERENTIAL_TESTS)

# Bad input: every parser's libFuzzer target for a fixed, seeded time (a
# crash fails).
FUZZ_SECONDS ?= 15
test-fuzz: apt
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz
	cd $(CURDIR)/build-fuzz && for fuzzer in tests/fuzz/fuzz_*; do \
	  [ -x "$$fuzzer" ] || continue; \
	  echo "$$fuzzer: $(FUZZ_SECONDS) s"; \
	  "$$fuzzer" -seed=1 -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -artifact_prefix=$(CURDIR)/build-fuzz/ -print_final_stats=1 2>&1 | tail -4; \
	  [ "$${PIPESTATUS[0]}" = 0 ] || exit 1; \
	done

# The benchmark report's page in headless Chromium (table and chart there),
# built from a one-repetition run of `make bench`'s report (its figures mean
# nothing; about a minute).
test-bench-report: setup $(BUILT)
	$(VENV_ENV) $(SKY_NATIVE) -m pytest -q -p no:cacheprovider tests/bench/test_report_page.py

# Benchmarks are commands, never timed tests: the core alone; the report
# (tests/bench/report.py: each function's floor, native against SkyPilot's
# Python in one process, a METH_FASTCALL no-op, --help and status against
# sky) in build/bench/report.{json,html}; start-up with the flag on and off;
# the command server.
BENCH_WHEEL_PYTHON := 3.12
bench: setup build wheels
	$(VENV)/bin/python tests/wheel/run.py --install $(WHEELS_DIR) $(BENCH_WHEEL_PYTHON)
	$(BUILD_DIR)/tests/bench/sky_native_core_bench
	$(VENV_ENV) $(PYTHON) tests/bench/report.py --build $(BUILD_DIR) --venv $(VENV) \
	  --wheel-python $(BUILD_DIR)/wheel-venvs/cp$(subst .,,$(BENCH_WHEEL_PYTHON))/bin/python
	$(VENV_ENV) $(PYTHON) tests/bench/startup.py $(SKY_NATIVE) $(VENV)/bin/sky
	$(VENV_ENV) $(PYTHON) tests/bench/server.py $(SKY_NATIVE) $(VENV)/bin/sky
	$(PYTHON) tests/bench/zygote.py $(SKY_NATIVE) $(VENV)

# Shipping: the single file build/dist/sky-native (the launcher of the
# `package` preset with its payload), the OCI image layout build/dist/oci,
# and the .deb / .tar.gz CPack makes of the single file.
# ZSTD_LEVEL: the payload's zstd level (multithreaded, 128 MiB window). 12
# by measurement: 74 MiB of payload against 76 at 9 and 86 at 3, in about
# 3x level 9's time; 15 and above took over 7 minutes on 2 cores. CI builds
# with 3 (seconds): the tests do not depend on the level.
# EXTRAS: SkyPilot's extras in the payload, comma-separated; unset, those of
# packaging/requirements.txt (kubernetes,aws,gcp,ssh,slurm); `EXTRAS=all`
# every cloud; `EXTRAS=` SkyPilot alone.
PACKAGE_DIR := $(CURDIR)/build-package
DIST_DIR    := $(BUILD_DIR)/dist
ZSTD_LEVEL  ?= 12
EXTRAS_ARG  := $(if $(filter undefined,$(origin EXTRAS)),,--extras '$(EXTRAS)')
package: apt glibc-root
	nice cmake --preset package >/dev/null
	nice cmake --build --preset package
	nice $(PYTHON) packaging/build_single_file.py --launcher $(PACKAGE_DIR)/sky-native \
	  --requirements packaging/requirements.txt $(EXTRAS_ARG) --glibc-root $(GLIBC_ROOT) \
	  --work $(PACKAGE_DIR) --out $(DIST_DIR)/sky-native --level $(ZSTD_LEVEL)
	cd $(PACKAGE_DIR) && cpack -B $(DIST_DIR) >/dev/null && rm -rf $(DIST_DIR)/_CPack_Packages
	packaging/build_image.sh $(DIST_DIR)/sky-native $(PACKAGE_DIR) $(DIST_DIR)/oci

# CHART_TEST: how much of packaging/test_chart.sh (SkyPilot's Helm chart
# running the image) package-test runs: `quick` (the chart's container
# against the venv's server) or `full` (also kill -9 and restart, a killed
# worker, zombies, uid 1000 with the pre-deploy hook's pip, skopeo).
CHART_TEST ?= quick
package-test: $(PACKAGE_BUILT) venv trixie-root
	$(SLURM_CLUSTER) up
	@status=0; CHART_TEST=$(CHART_TEST) DISTRIBUTION_ROOTS="$(GLIBC_ROOT) $(TRIXIE_ROOT)" \
	  packaging/test_package.sh $(DIST_DIR) $(PACKAGE_DIR)/test $(VENV) || status=$$?; \
	  $(SLURM_CLUSTER) down; exit $$status

# package-test with the whole chart test (not in `make test`).
package-test-full:
	$(MAKE) package-test CHART_TEST=full

# In `make test`: package-test with a payload that compresses in seconds.
test-package:
	$(MAKE) package-test ZSTD_LEVEL=3

# Sizes, and first / warm start of --help against `sky` and a PyInstaller
# --onefile build of the same SkyPilot (not part of CI).
package-figures: package setup
	$(PYTHON) packaging/figures.py --dist $(DIST_DIR) --sky $(VENV)/bin/sky --work $(PACKAGE_DIR)

fmt:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

# Any formatting difference, clang-tidy finding or ruff finding (every
# Python file in git: the embedded files, packaging, tests) fails (configs
# checked in: .clang-format, .clang-tidy, .ruff.toml).
lint: $(BUILT) venv
	git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror
	git ls-files '*.cc' | xargs -P $(shell nproc) -n 4 clang-tidy -p $(BUILD_DIR) --quiet
	git ls-files '*.py' | xargs $(VENV)/bin/ruff check --no-cache --quiet

# Every preset's build directory (CMakePresets.json: build, build-release,
# build-package, build-asan, build-fuzz), as .gitignore names them.
clean:
	rm -rf $(BUILD_DIR) $(CURDIR)/build-*
