// Writing output files without destroying anything: symlinks are written through, devices
// and FIFOs are written into, and only regular files are replaced (atomically).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an output file could not be written: the path as given and what went wrong.
public struct OutputFileError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The path as given to ``OutputFile/write(_:to:)``.
  public var path: String
  /// What is wrong, in one line of plain text (no trailing period), e.g.
  /// `cannot create a temporary file in /x: No such file or directory`.
  public var reason: String

  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  /// `path: reason`.
  public var description: String { "\(path): \(reason)" }
}

/// Writes output files the way the `solve` CLI does, for any bytes (a solution, a CSV, a saved
/// learner), and tells whether two paths name the same file.
///
/// Where the bytes go depends on what the path names, after following symbolic links:
/// - an existing regular file, or nothing yet (a new name, or a dangling symlink, whose target
///   is created): the bytes go to a new temporary file *in the directory of the resolved
///   target*, which is flushed (`fsync`) and renamed over the target. A failure leaves the
///   target as it was (and no temporary file); a replaced file keeps its permission bits; a
///   symlink at `path` survives and points to the new content.
/// - an existing non-regular file (character device such as `/dev/null`, FIFO, `/dev/stdout`
///   on a pipe or terminal): it is opened `O_WRONLY` (no create, no truncate) and written
///   into directly; a failed write may have written part of the bytes.
/// - a regular file that is this process's standard output or error (`--output /dev/stdout
///   > file`): the bytes are written to that descriptor, after what is already there.
/// - a directory: an error.
public enum OutputFile {
  /// Writes `bytes` to `path` by the rules of ``OutputFile``.
  public static func write(_ bytes: [UInt8], to path: String) throws(OutputFileError) {
    try write(to: path) { fd in
      bytes.withUnsafeBytes { writeAll(fd, $0) }
    }
  }

  /// Whether `a` and `b` name the same file: their resolved paths (symlinks followed, `.`
  /// and `..` removed; for a name that does not exist yet, its resolved directory plus the
  /// name) are equal, or both exist and have the same device and inode (hard links).
  public static func sameFile(_ a: String, _ b: String) -> Bool {
    if let ra = resolvedPath(a), let rb = resolvedPath(b), ra == rb { return true }
    var sa = stat(), sb = stat()
    guard !a.isEmpty, !b.isEmpty, stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
  }

  /// Whether `path` names (after symlinks) an existing file that is neither regular nor a
  /// directory — a device, FIFO or socket, which ``write(_:to:)`` writes into instead of
  /// replacing.
  public static func isStream(_ path: String) -> Bool {
    var info = stat()
    guard !path.isEmpty, stat(path, &info) == 0 else { return false }
    let kind = UInt32(info.st_mode) & 0o170000
    return kind != 0o100000 && kind != 0o040000
  }

  /// The absolute path of the file `path` names, symlinks followed (a dangling one to its
  /// target), or nil if it cannot be resolved (its directory does not exist, a loop, …).
  public static func resolvedPath(_ path: String) -> String? {
    try? resolve(path).path
  }

  // MARK: Internals

  /// Where the bytes for a path go.
  enum Target {
    /// Replace (or create) the regular file at this absolute, resolved path.
    case replace(String)
    /// Open this existing non-regular file and write into it.
    case stream(String)
    /// Write to this open descriptor (standard output or error).
    case descriptor(Int32)

    var path: String {
      switch self {
      case .replace(let p), .stream(let p): p
      case .descriptor(let fd): "/proc/self/fd/\(fd)"
      }
    }
  }

  static func errorText(_ number: Int32 = errno) -> String {
    guard let message = strerror(number) else { return "error \(number)" }
    return String(cString: message)
  }

  /// Splits a path into its directory (`.` for none, `/` for the root) and last component.
  static func split(_ path: String) -> (directory: String, base: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = slash == path.startIndex ? "/" : String(path[..<slash])
    return (directory, String(path[path.index(after: slash)...]))
  }

  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// Decides where the bytes for `path` go (see ``OutputFile``).
  static func resolve(_ path: String) throws(OutputFileError) -> Target {
    func fail(_ reason: String, _ number: Int32 = errno) -> OutputFileError {
      OutputFileError(path: path, reason: "\(reason): \(errorText(number))")
    }
    guard !path.isEmpty, !path.utf8.contains(0), path.last != "/" else {
      throw OutputFileError(path: path, reason: "cannot write: invalid file path")
    }
    var info = stat()
    if stat(path, &info) == 0 {  // an existing file, symlinks followed
      switch UInt32(info.st_mode) & 0o170000 {
      case 0o040000:
        throw OutputFileError(path: path, reason: "cannot write: is a directory")
      case 0o100000:
        for fd: Int32 in [1, 2] {
          var standard = stat()
          if fstat(fd, &standard) == 0 && standard.st_dev == info.st_dev && standard.st_ino == info.st_ino {
            return .descriptor(fd)
          }
        }
        guard let resolved = realPath(path) else { throw fail("cannot resolve the path") }
        return .replace(resolved)
      default:
        return .stream(path)  // open(2) follows the links, /proc/self/fd/N ones included
      }
    }
    guard errno == ENOENT else { throw fail("cannot write") }
    // Nothing there yet: a new name, or a chain of symlinks ending at one.
    var name = path
    for _ in 0..<40 {
      var link = stat()
      if lstat(name, &link) == 0 {
        guard UInt32(link.st_mode) & 0o170000 == 0o120000 else { break }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(name, &buffer, buffer.count - 1)
        guard count > 0 else { throw fail("cannot read the symbolic link \(name)") }
        let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let directory = split(name).directory
        name = target.hasPrefix("/") ? target : (directory == "/" ? "" : directory) + "/" + target
        guard name.last != "/" else {
          throw OutputFileError(path: path, reason: "cannot write: the symbolic link points to a directory name")
        }
        continue
      }
      let (directory, base) = split(name)
      guard let resolved = realPath(directory) else {
        throw fail("cannot create a temporary file in \(directory)")
      }
      if base == "." || base == ".." {
        throw OutputFileError(path: path, reason: "cannot write: is a directory")
      }
      return .replace((resolved == "/" ? "" : resolved) + "/" + base)
    }
    throw fail("cannot write", ELOOP)
  }

  /// Writes all of `buffer` to `fd`; returns 0, or the `errno` of the failed `write(2)`.
  static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
    var offset = 0
    while offset < buffer.count {
      let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        return errno
      }
      offset += n
    }
    return 0
  }

  /// Writes the output for `path` by the rules of ``OutputFile``: `produce` writes the bytes
  /// to the descriptor it is given and returns 0, or the `errno` of a failed write.
  static func write(to path: String, _ produce: (Int32) -> Int32) throws(OutputFileError) {
    func fail(_ reason: String, _ number: Int32 = errno) -> OutputFileError {
      OutputFileError(path: path, reason: "\(reason): \(errorText(number))")
    }
    switch try resolve(path) {
    case .descriptor(let fd):
      _ = fflush(nil)  // what stdio holds for this descriptor comes first
      let number = produce(fd)
      if number != 0 { throw fail("cannot write", number) }

    case .stream(let target):
      var fd: Int32
      repeat { fd = open(target, O_WRONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
      if fd < 0 { throw fail("cannot open") }
      let number = produce(fd)
      if close(fd) != 0 && number == 0 && errno != EINTR { throw fail("cannot write") }
      if number != 0 { throw fail("cannot write", number) }

    case .replace(let target):
      let (directory, base) = split(target)
      var temporary = ""
      var fd: Int32 = -1
      for _ in 0..<16 {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        temporary = (directory == "/" ? "" : directory) + "/." + base + ".\(getpid()).\(tag).tmp"
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd >= 0 || errno != EEXIST { break }
      }
      if fd < 0 { throw fail("cannot create a temporary file in \(directory)") }
      var existing = stat()
      if stat(target, &existing) == 0 && UInt32(existing.st_mode) & 0o170000 == 0o100000 {
        _ = fchmod(fd, mode_t(UInt32(existing.st_mode) & 0o7777))
      }
      var failure: OutputFileError? = nil
      let number = produce(fd)
      if number != 0 {
        failure = fail("cannot write", number)
      } else if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
        failure = fail("cannot write")
      }
      if close(fd) != 0 && failure == nil { failure = fail("cannot write") }
      if failure == nil && rename(temporary, target) != 0 { failure = fail("cannot replace the file") }
      if let failure {
        _ = unlink(temporary)
        throw failure
      }
    }
  }
}

/// `write(2)` (inside ``OutputFile`` the name is its own `write`).
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  write(fd, bytes, count)
}
