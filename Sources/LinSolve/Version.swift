/// The version of LinSolve (semantic versioning): the one value `solve --version`, the
/// `"version"` of `solve --json` and the newest release in CHANGELOG.md all show.
///
/// ```swift
/// import LinSolve
/// print(LinSolve.version)  // e.g. 0.7.0
/// ```
public let version = "0.7.0"
