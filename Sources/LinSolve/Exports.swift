// `import LinSolve` is all most users write: the umbrella re-exports every library module
// (see docs/ARCHITECTURE.md for the module graph).
@_exported import LinSolveCore
@_exported import LinSolveDirect
@_exported import LinSolveKrylov
@_exported import LinSolveLearned
@_exported import LinSolveMultigrid
@_exported import LinSolveProblems
@_exported import LinSolveRecycling
@_exported import LinSolveSequences
@_exported import LinSolveSketching
@_exported import LinSolveTuning
