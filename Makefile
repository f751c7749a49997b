# LinSolve — build, test, demo and experiments.
#   make demo   solve the bundled Data/ matrices and print a report (installs what is missing)
#   make test   run the test suite (swift test)
SWIFT        ?= swift
DEB_PACKAGES := libopenblas-dev liblapacke-dev libsuitesparse-dev
RELEASE_BIN  := .build/release
SUDO         := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build test demo clean help

all: build

help:
	@echo "make deps    install the Debian packages LinSolve links (apt-get, only when missing)"
	@echo "make build   release build of the library and the solve CLI"
	@echo "make test    run the test suite"
	@echo "make demo    solve the bundled Data/ matrices and print a report"

## Install the system libraries when dpkg does not list them (fresh machines, CI).
deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product solve

test: deps
	$(SWIFT) test

demo: build
	@echo "== Cholesky (CHOLMOD) on a 2-D Poisson matrix with a bundled right-hand side"
	$(RELEASE_BIN)/solve Data/poisson2d_32.mtx Data/rhs_poisson2d_32.mtx --method cholesky
	@echo
	@echo "== LU (UMFPACK) on a nonsymmetric convection-diffusion matrix, b = A·1"
	$(RELEASE_BIN)/solve Data/convdiff_20.mtx --method lu
	@echo
	@echo "== auto on a finite-element matrix, as JSON"
	$(RELEASE_BIN)/solve Data/fem_spd.mtx --json

clean:
	rm -rf .build results
