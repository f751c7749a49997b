# LinSolve — build, test, demo and experiments.
#   make demo   solve the bundled Data/ matrices and print a report (installs what is missing)
#   make test   run the test suite (swift test), then make test-mpi
#   make test-mpi  the PETSc engine under mpirun (installs petsc-dev, Open MPI; builds with --traits PETSc)
SWIFT        ?= swift
DEB_PACKAGES := libopenblas-dev liblapacke-dev libsuitesparse-dev
MPI_DEB_PACKAGES := petsc-dev libopenmpi-dev openmpi-bin
# The PETSc-trait build lives apart, so neither build invalidates the other.
PETSC_SCRATCH := .build-petsc
MPIRUN       := mpirun --allow-run-as-root --oversubscribe
RELEASE_BIN  := .build/release
SUDO         := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps mpi-deps test-mpi plot-deps build test demo experiments-build poisson recycle sequence portfolio portfolio-large learned sketch fuzz test-asan test-tsan clean help

all: build

help:
	@echo "make deps    install the Debian packages LinSolve links (apt-get, only when missing)"
	@echo "make build   release build of the library and the solve CLI"
	@echo "make test    run the test suite, then make test-mpi"
	@echo "make test-mpi  install petsc-dev + Open MPI when missing, build solve --traits PETSc, run the MPI tests (mpirun -np 2)"
	@echo "make mpi-deps  install petsc-dev libopenmpi-dev openmpi-bin (apt-get, only when missing)"
	@echo "make demo    solve the bundled Data/ matrices and print a report"
	@echo "make fuzz    fuzz the Matrix Market reader for FUZZ_SECONDS (60) seconds"
	@echo "make test-asan / make test-tsan   the test suite under AddressSanitizer / ThreadSanitizer"
	@echo "make poisson iterations/time of every method on 2-D and 3-D Poisson; CSV + SVG in results/"
	@echo "make recycle Krylov recycling (deflated CG, GCRO-DR, Fischer) vs PCG/GMRES/Cholesky on Darcy sequences; CSV + SVG in results/"
	@echo "make sequence  Learning to Relax: bandit-tuned ω for SOR and SSOR-PCG over sequences of systems; CSV + SVG in results/"
	@echo "make portfolio            fixed strategies vs the one learned by wall time (solve sequence --tune auto) on Darcy, heat, shifted-Laplacian and 3-D heat sequences; CSV + SVG + Markdown in results/"
	@echo "make portfolio-large      the same on 3-D heat with n = 10^6 over the portfolio's arms (about 8 minutes); results/portfolio-large/"
	@echo "make learned              a network correcting IC(0) trained on solved systems vs IC(0), AMG and the untrained network on Poisson, Darcy and heat families; CSV + SVG in results/"
	@echo "make sketch  randomized sketching: tall least squares vs dgels, stability, Kaczmarz vs Krylov, KKT, Nyström PCG (about 8 minutes); CSV + SVG in results/"
	@echo "make experiments-build   release build of the experiments executable (make poisson, recycle, sequence, sketch run it)"
	@echo "make plot-deps           install matplotlib (pip, only when missing) for the figures"
	@echo "make bench-quick         benchmark against C, Eigen, SciPy, CHOLMOD: small sizes, under a minute once built"
	@echo "make bench               the full benchmark table (about 15 minutes on a quiet 2-core machine); results/bench.{csv,md,svg}"
	@echo "make bench-amg           multigrid against pyamg, hypre BoomerAMG, PETSc GAMG, IC(0), CHOLMOD: 256² / 128² / 32³ (a minute)"
	@echo "make bench-amg-full      the same at 1024² / 512² / 100³ (the README's auto table)"
	@echo "make bench-amg-scaling   AMG iterations and time against N: 2-D Poisson 256² … 2048² with hypre"
	@echo "make bench-scaleout      solve --engine petsc on 1 and 2 ranks against PETSc's own driver (2-D Poisson 256², 512²), then a sequence: one process vs spread over ranks vs --engine petsc"
	@echo "make bench-deps / bench-amg-deps / bench-build / bench-swift / bench-peers   the benchmarks' dependencies and builds"
	@echo "make bench-clean         remove the benchmark peers' build directory"
	@echo "make clean               remove .build and results/"
	@echo "make all                 the same as make build"

## Install the system libraries when dpkg does not list them (fresh machines, CI).
deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi

## matplotlib draws the experiments' figures from their CSV files.
plot-deps:
	@python3 -c "import matplotlib" 2>/dev/null || python3 -m pip install --quiet matplotlib

build: deps
	$(SWIFT) build -c release --product solve

test: deps
	$(SWIFT) test
	$(MAKE) test-mpi

## MPI and PETSc (issue 18): Debian's petsc-dev (3.18, with hypre) and Open MPI, only when missing.
mpi-deps:
	@missing=""; \
	for p in $(MPI_DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi

## solve with the PETSc trait (its own scratch path), a 2-rank smoke run, then the MPI tests
## (PETScEngineCLITests, which run that solve under mpirun) from the ordinary test build.
test-mpi: deps mpi-deps
	$(SWIFT) build --traits PETSc --scratch-path $(PETSC_SCRATCH) --product solve
	$(MPIRUN) -np 2 $(PETSC_SCRATCH)/debug/solve Data/poisson2d_32.mtx --engine petsc --method cg --preconditioner amg
	$(SWIFT) build --build-tests
	LINSOLVE_PETSC_SOLVE=$(CURDIR)/$(PETSC_SCRATCH)/debug/solve $(SWIFT) test --skip-build --filter 'PETScEngineCLITests|PETScSequenceCLITests|PETScEngineSequenceCLITests'

demo: build
	@echo "== Cholesky (CHOLMOD) on a 2-D Poisson matrix with a bundled right-hand side"
	$(RELEASE_BIN)/solve Data/poisson2d_32.mtx Data/rhs_poisson2d_32.mtx --method cholesky
	@echo
	@echo "== LU (UMFPACK) on a nonsymmetric convection-diffusion matrix, b = A·1"
	$(RELEASE_BIN)/solve Data/convdiff_20.mtx --method lu
	@echo
	@echo "== auto on a finite-element matrix, as JSON"
	$(RELEASE_BIN)/solve Data/fem_spd.mtx --json
	@echo
	@echo "== PCG with an IC(0) preconditioner on the Poisson matrix"
	$(RELEASE_BIN)/solve Data/poisson2d_32.mtx Data/rhs_poisson2d_32.mtx --method pcg --preconditioner ic0
	@echo
	@echo "== A sequence of 8 shifted Laplacians, ω learned by ChebCB from the shifts (Learning to Relax)"
	$(RELEASE_BIN)/solve sequence Data/sequence/shifted_*.mtx --tune omega --context Data/sequence/contexts.txt

## Experiments: each writes CSV files under results/ and draws SVG figures from them; the one
## the README shows is copied to docs/figures/ (committed, so the figures are seen without a run).
FIGURES := docs/figures
publish = @mkdir -p $(FIGURES) && cp results/$(1) $(FIGURES)/ && echo "published $(FIGURES)/$(1)"

experiments-build: deps
	$(SWIFT) build -c release --product experiments

poisson: experiments-build plot-deps
	$(RELEASE_BIN)/experiments poisson
	python3 Examples/Experiments/plot_poisson.py results
	$(call publish,poisson_iterations.svg)

## Krylov recycling on Darcy sequences (SKR, ICLR 2024, and the baselines it omits); heavier settings:
## .build/release/experiments recycle --help (--grid 200, --steps 100, --all-strategies, --gmres-systems 0).
recycle: experiments-build plot-deps
	$(RELEASE_BIN)/experiments recycle
	python3 Examples/Experiments/plot_recycle.py results
	$(call publish,recycle_darcy-spd_jacobi.svg)

## Randomized sketching (about 8 minutes on 2 cores; the full grid: .build/release/experiments sketch --full).
sketch: experiments-build plot-deps
	$(RELEASE_BIN)/experiments sketch
	python3 Examples/Experiments/plot_sketch.py results
	$(call publish,sketch_tall_time.svg)

## Learning to Relax (Khodak et al., ICLR 2024): shifted Laplacian (SOR), heat equation and larger
## SSOR-PCG sequences (heavier settings: .build/release/experiments sequence --large, --help).
sequence: experiments-build plot-deps
	$(RELEASE_BIN)/experiments sequence
	python3 Examples/Experiments/plot_sequence.py results
	$(call publish,sequence_overview.svg)

## Sequence portfolio (issue 16): every fixed strategy over Darcy, 2-D heat, shifted-Laplacian and
## 3-D heat sequences against --tune auto (under a minute on 2 cores; --help for sizes, --arms,
## --margin). portfolio-large: 3-D heat with n = 10^6 (m = 100), where Cholesky runs out of time,
## over the portfolio's arms (about 8 minutes); results/portfolio-large/.
portfolio: experiments-build plot-deps
	$(RELEASE_BIN)/experiments portfolio
	python3 Examples/Experiments/plot_portfolio.py results
	$(call publish,portfolio.svg)

PORTFOLIO_ARMS = cholesky,pcg+amg-sa+warm,pcg+amg+warm,pcg+ic0+warm,pcg+jacobi+warm,pcg+ssor(1.5)+warm
portfolio-large: experiments-build plot-deps
	$(RELEASE_BIN)/experiments portfolio --workload heat3d --large --repeats 2 --arms "$(PORTFOLIO_ARMS)" --output results/portfolio-large
	python3 Examples/Experiments/plot_portfolio.py results/portfolio-large
	@mkdir -p $(FIGURES) && cp results/portfolio-large/portfolio.svg $(FIGURES)/portfolio_large.svg && echo "published $(FIGURES)/portfolio_large.svg"

## Learned preconditioners (issue 19): a network correcting IC(0), trained on the solved systems of
## variable-coefficient Poisson, Darcy and heat sequences, against IC(0), AMG and the untrained
## network (a few minutes on 2 cores; .build/release/experiments learned --help for sizes).
learned: experiments-build plot-deps
	$(RELEASE_BIN)/experiments learned
	python3 Examples/Experiments/plot_learned.py results
	$(call publish,learned.svg)

## Hardening: fuzz the Matrix Market reader (libFuzzer + AddressSanitizer), sanitizer test runs.
FUZZ_SECONDS ?= 60
FUZZ_SOURCES := $(shell find Sources/LinSolveCore -name '*.swift') Fuzz/MatrixMarketFuzzer.swift

.build-fuzz/mmfuzz: $(FUZZ_SOURCES)
	@mkdir -p .build-fuzz
	swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name LinSolveCore -package-name LinSolve \
	  -I Sources/COpenBLAS -I Sources/CLAPACKE $(FUZZ_SOURCES) -lopenblas -llapacke -o $@ 2>&1 | grep -v "Cannot export local symbol" || true
	@test -x $@

## Runs the fuzzer for FUZZ_SECONDS (default 60); a crash is saved in .build-fuzz/crashes/:
## copy it to Tests/LinSolveTests/FuzzRegressions/ so the test suite keeps checking it.
fuzz: .build-fuzz/mmfuzz
	@mkdir -p .build-fuzz/corpus .build-fuzz/crashes
	.build-fuzz/mmfuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=5 -rss_limit_mb=4096 \
	  -artifact_prefix=.build-fuzz/crashes/ .build-fuzz/corpus Fuzz/corpus Tests/LinSolveTests/FuzzRegressions

test-asan: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/.lsan-suppressions:print_suppressions=0 \
	  $(SWIFT) test --sanitize=address --scratch-path .build-asan

test-tsan: deps
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

clean:
	rm -rf .build $(PETSC_SCRATCH) results

include Benchmarks/bench.mk
