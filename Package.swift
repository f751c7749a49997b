// swift-tools-version:6.1
import PackageDescription

let package = Package(
  name: "LinSolve",
  products: [
    .library(name: "LinSolve", targets: ["LinSolve"]),
    .executable(name: "solve", targets: ["solve"]),
  ],
  // `swift build --traits PETSc` (or `make test-mpi`) adds the distributed engine: `LinSolvePETSc`
  // and `solve --engine petsc` under `mpirun`. Without the trait nothing of MPI or PETSc is
  // compiled or linked (docs/SCALE_OUT.md).
  traits: [
    .trait(name: "PETSc", description: "MPI and PETSc: LinSolvePETSc and solve --engine petsc (Debian: petsc-dev, libopenmpi-dev)")
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // `swift package generate-documentation --target LinSolve` (the DocC catalog in Sources/LinSolve).
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
  ],
  targets: [
    // MARK: - System libraries (Debian: libopenblas-dev, liblapacke-dev, libsuitesparse-dev)
    // OpenBLAS and LAPACKE ship pkg-config files (openblas.pc, lapacke.pc) on Debian: their flags
    // are used when pkg-config finds them, the module maps' defaults (/usr/include, -lopenblas,
    // -llapacke) otherwise. SuiteSparse ships none.
    .systemLibrary(
      name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CLAPACKE", path: "Sources/CLAPACKE", pkgConfig: "lapacke",
      providers: [.apt(["liblapacke-dev"])]),
    .systemLibrary(
      name: "CSuiteSparse", path: "Sources/CSuiteSparse",
      providers: [.apt(["libsuitesparse-dev"])]),
    // Only with the PETSc trait (Debian: libopenmpi-dev, petsc-dev 3.18). Debian's PETSc.pc has no
    // MPI include path, so whatever imports CPETSc depends on CMPI too.
    .systemLibrary(
      name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev"])]),
    .systemLibrary(
      name: "CPETSc", path: "Sources/CPETSc", pkgConfig: "PETSc",
      providers: [.apt(["petsc-dev"])]),

    // MARK: - The library: modules whose imports point one way (docs/ARCHITECTURE.md)
    // Matrices, kernels (the one BLAS/LAPACK layer), Matrix Market I/O, the solver contracts,
    // results, stopping, monitors, random generators.
    .target(name: "LinSolveCore", dependencies: ["COpenBLAS", "CLAPACKE"]),
    // CHOLMOD, UMFPACK, dense least squares.
    .target(name: "LinSolveDirect", dependencies: ["LinSolveCore", "CSuiteSparse"]),
    // CG, GMRES, MINRES, BiCGSTAB, LSQR, LSMR, SOR/SSOR and the preconditioners.
    .target(name: "LinSolveKrylov", dependencies: ["LinSolveCore", "LinSolveDirect"]),
    // Deflated CG, GCRO-DR, Fischer's projection, system ordering.
    .target(name: "LinSolveRecycling", dependencies: ["LinSolveCore", "LinSolveKrylov"]),
    // Sketch-and-precondition, iterative sketching, row action, Nyström.
    .target(name: "LinSolveSketching", dependencies: ["LinSolveCore", "LinSolveKrylov"]),
    // Bandits over a grid of parameter values: they know no matrices.
    .target(name: "LinSolveTuning", dependencies: ["LinSolveCore"]),
    // Test and experiment problems: Poisson, diffusion, Darcy, heat, shifted Laplacians.
    .target(name: "LinSolveProblems", dependencies: ["LinSolveCore", "LinSolveDirect"]),
    // Algebraic multigrid: smoothed aggregation (strength, aggregation, prolongation, Galerkin, V-cycle).
    .target(name: "LinSolveMultigrid", dependencies: ["LinSolveCore", "LinSolveDirect"]),
    // Learned preconditioners: a small graph network correcting IC(0), trained on solved systems.
    .target(name: "LinSolveLearned", dependencies: ["LinSolveCore", "LinSolveKrylov"]),
    // Drivers: one configuration for every method (`PreparedSolver`), `auto`'s choice, and the
    // loops over a sequence of systems (ω tuned by a bandit, a carried recycle space).
    .target(
      name: "LinSolveSequences",
      dependencies: [
        "LinSolveCore", "LinSolveDirect", "LinSolveKrylov", "LinSolveRecycling", "LinSolveSketching", "LinSolveTuning",
        "LinSolveMultigrid",
      ]),
    // One system across MPI ranks on PETSc (MATMPIAIJ, KSP/PC); its sources are `#if PETSc`, and
    // the C modules are dependencies only with the trait, so without it the module is empty.
    .target(
      name: "LinSolvePETSc",
      dependencies: [
        "LinSolveCore",
        .target(name: "CMPI", condition: .when(traits: ["PETSc"])),
        .target(name: "CPETSc", condition: .when(traits: ["PETSc"])),
      ]),
    // The umbrella: `import LinSolve` re-exports every module and adds `solve(A, b)`.
    .target(
      name: "LinSolve",
      dependencies: [
        "LinSolveCore", "LinSolveDirect", "LinSolveKrylov", "LinSolveRecycling", "LinSolveSketching",
        "LinSolveTuning", "LinSolveProblems", "LinSolveSequences", "LinSolveMultigrid", "LinSolveLearned",
      ]),

    // MARK: - Command-line tool
    .executableTarget(
      name: "solve",
      dependencies: [
        "LinSolve",
        .target(name: "LinSolvePETSc", condition: .when(traits: ["PETSc"])),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Experiments (make poisson, …)
    .executableTarget(
      name: "experiments",
      dependencies: [
        "LinSolve",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/Experiments",
      exclude: [
        "plot_poisson.py", "plot_sequence.py", "plot_sketch.py", "plot_recycle.py", "plot_portfolio.py", "plot_learned.py",
      ]),

    // MARK: - Benchmarks (make bench, make bench-quick; peers and runner in Benchmarks/)
    .executableTarget(
      name: "linsolve-bench",
      dependencies: ["LinSolve"],
      path: "Benchmarks/Swift"),

    // MARK: - Tests
    .testTarget(name: "LinSolveTests", dependencies: ["LinSolve", "LinSolvePETSc"], exclude: ["FuzzRegressions"]),
    .testTarget(name: "SolveCLITests", dependencies: ["solve", "LinSolve"]),
  ]
)
