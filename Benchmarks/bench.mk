# Benchmarks: LinSolve against hand-written C, Eigen, SciPy and CHOLMOD from C, side by side.
# Included at the end of the top-level Makefile (uses its SWIFT, RELEASE_BIN, SUDO and deps).
#   make bench-quick   small sizes, well under a minute once built (development)
#   make bench         the full table (2-D N = 256, 512, 1024; 3-D N = 64, 100); about 15 minutes on a quiet machine
# Both write results/bench.csv, results/bench.md (also printed) and results/bench.svg.
# See Benchmarks/README.md.

BENCH_BUILD        := .build-bench-peers
BENCH_CC           ?= gcc
BENCH_CXX          ?= g++
BENCH_CFLAGS       ?= -O3 -march=native -fopenmp
BENCH_DEB_PACKAGES := libeigen3-dev
BENCH_EIGEN_INC    ?= /usr/include/eigen3
BENCH_PEERS        := $(BENCH_BUILD)/cg_bench $(BENCH_BUILD)/stream_bench \
                      $(BENCH_BUILD)/cholmod_bench $(BENCH_BUILD)/eigen_bench
BENCH_COMMON       := Benchmarks/c/bench_common.h

.PHONY: bench-scaleout bench bench-quick bench-amg bench-amg-full bench-amg-scaling bench-amg-deps bench-deps bench-build bench-swift bench-peers bench-clean

## Eigen (Debian) and SciPy + matplotlib (pip), each installed only when missing.
bench-deps: deps
	@missing=""; \
	for p in $(BENCH_DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi
	@python3 -c "import scipy, matplotlib" 2>/dev/null || python3 -m pip install --quiet scipy matplotlib

## LinSolve's side: the linsolve-bench executable (Benchmarks/Swift), release build.
bench-swift: deps
	$(SWIFT) build -c release --product linsolve-bench

## The C and C++ peers (gcc/g++ -O3 -march=native -fopenmp), into $(BENCH_BUILD)/.
bench-peers: $(BENCH_PEERS)

$(BENCH_BUILD)/cg_bench: Benchmarks/c/cg.c $(BENCH_COMMON)
	@mkdir -p $(BENCH_BUILD)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $< -lm

$(BENCH_BUILD)/stream_bench: Benchmarks/c/stream.c $(BENCH_COMMON)
	@mkdir -p $(BENCH_BUILD)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $<

$(BENCH_BUILD)/cholmod_bench: Benchmarks/c/cholmod_bench.c $(BENCH_COMMON) | deps
	@mkdir -p $(BENCH_BUILD)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $< -lcholmod -lsuitesparseconfig -lm

$(BENCH_BUILD)/eigen_bench: Benchmarks/eigen/eigen_cg.cpp $(BENCH_COMMON) | bench-deps
	@mkdir -p $(BENCH_BUILD)
	$(BENCH_CXX) $(BENCH_CFLAGS) -DNDEBUG -w -I$(BENCH_EIGEN_INC) -o $@ $<

bench-build: bench-deps bench-swift bench-peers

bench: bench-build
	python3 Benchmarks/run.py --mode full --peers $(BENCH_BUILD) \
	  --swift $(RELEASE_BIN)/linsolve-bench --out results
	$(call publish,bench.svg)

bench-quick: bench-build
	python3 Benchmarks/run.py --mode quick --peers $(BENCH_BUILD) \
	  --swift $(RELEASE_BIN)/linsolve-bench --out results

## Multigrid against pyamg (SA, RS), IC(0), CHOLMOD and auto on the same matrices, same run:
## results/amg.csv, amg.md, amg.svg. bench-amg: 256² / 128² / 32³ (a minute); bench-amg-full: 1024² / 512² / 100³;
## bench-amg-scaling: iterations and time against N for 2-D Poisson 256² … 2048² (results/amg_scaling.*).
## PETSc's peers (hypre BoomerAMG, GAMG, block-Jacobi ICC on 1 and 2 ranks) run under Debian's python3.
BENCH_AMG_DEB_PACKAGES := python3-petsc4py-real openmpi-bin

bench-amg-deps: bench-deps
	@python3 -c "import pyamg" 2>/dev/null || python3 -m pip install --quiet pyamg
	@missing=""; \
	for p in $(BENCH_AMG_DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi

bench-amg: build bench-amg-deps
	python3 Benchmarks/amg.py --solve $(RELEASE_BIN)/solve --mode quick --out results

bench-amg-full: build bench-amg-deps
	python3 Benchmarks/amg.py --solve $(RELEASE_BIN)/solve --mode full --out results
	$(call publish,amg.svg)

bench-amg-scaling: build bench-amg-deps
	python3 Benchmarks/amg.py --solve $(RELEASE_BIN)/solve --mode scaling --out results
	$(call publish,amg_scaling.svg)

## Scale-out (issue 18): 2-D Poisson 256² and 512² on 1 and 2 ranks, solve --engine petsc against
## PETSc's own ex-style driver (Benchmarks/c/petsc_ksp.c) and the native solve; results/scaleout.{csv,md}.
$(BENCH_BUILD)/petsc_ksp: Benchmarks/c/petsc_ksp.c
	@mkdir -p $(BENCH_BUILD)
	mpicc -O2 $$(pkg-config --cflags PETSc) -o $@ $< $$(pkg-config --libs PETSc)

bench-scaleout: deps mpi-deps bench-deps $(BENCH_BUILD)/petsc_ksp
	$(SWIFT) build -c release --traits PETSc --scratch-path $(PETSC_SCRATCH) --product solve
	python3 Benchmarks/scaleout.py --solve $(PETSC_SCRATCH)/release/solve --driver $(BENCH_BUILD)/petsc_ksp --out results

## Removes the peers' build directory (results/ goes with `make clean`).
bench-clean:
	rm -rf $(BENCH_BUILD)
