import Foundation
import Testing

@testable import LinSolve

#if canImport(Glibc)
import Glibc
#endif

/// ``OutputFile``: symlinks written through, non-regular files written into, regular files
/// replaced atomically; ``OutputFile/sameFile(_:_:)`` through every spelling of a path.
@Suite("OutputFile")
struct OutputFileTests {
  /// A fresh directory under /tmp, removed (recursively) by `cleanUp`.
  struct Directory {
    let path: String

    init() {
      var template = Array("/tmp/linsolve-out-XXXXXX".utf8CString)
      let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
      precondition(made != nil, "mkdtemp failed")
      path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func names(_ sub: String = "") -> [String] {
      guard let dir = opendir(sub.isEmpty ? path : file(sub)) else { return [] }
      defer { closedir(dir) }
      var names: [String] = []
      while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
          $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
      }
      return names.sorted()
    }

    func cleanUp() {
      try? FileManager.default.removeItem(atPath: path)
    }
  }

  static func contents(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
      if n <= 0 { break }
      out.append(contentsOf: buffer[0..<n])
    }
    return out
  }

  static func kind(_ path: String) -> UInt32? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return UInt32(info.st_mode) & 0o170000
  }

  static func linkTarget(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buffer, 4095)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  @Test("Writes a new file, then replaces it completely, keeping its permission bits")
  func regularFile() throws {
    let dir = Directory()
    defer { dir.cleanUp() }
    let path = dir.file("out.txt")
    try OutputFile.write(Array("a longer first version\n".utf8), to: path)
    #expect(chmod(path, 0o600) == 0)
    try OutputFile.write(Array("short\n".utf8), to: path)
    #expect(Self.contents(path) == Array("short\n".utf8))
    var info = stat()
    #expect(stat(path, &info) == 0 && UInt32(info.st_mode) & 0o777 == 0o600)
    #expect(dir.names() == ["out.txt"])
  }

  @Test("A symlink (relative, absolute, chained) survives; its target gets the bytes")
  func throughSymlinks() throws {
    let dir = Directory()
    defer { dir.cleanUp() }
    #expect(mkdir(dir.file("real"), 0o755) == 0)
    let target = dir.file("real/x.txt")
    try OutputFile.write(Array("old\n".utf8), to: target)
    #expect(symlink("real/x.txt", dir.file("relative")) == 0)
    #expect(symlink(target, dir.file("absolute")) == 0)
    #expect(symlink("relative", dir.file("chained")) == 0)
    for (k, name) in ["relative", "absolute", "chained"].enumerated() {
      let bytes = Array("new \(k)\n".utf8)
      try OutputFile.write(bytes, to: dir.file(name))
      #expect(Self.kind(dir.file(name)) == 0o120000, "\(name) is no longer a symlink")
      #expect(Self.contents(target) == bytes, "\(name)")
    }
    #expect(Self.linkTarget(dir.file("relative")) == "real/x.txt")
    #expect(dir.names("real") == ["x.txt"])  // no temporary file left next to the target
    #expect(dir.names() == ["absolute", "chained", "real", "relative"])
  }

  @Test("A dangling symlink: the file it names is created and the link kept")
  func danglingSymlink() throws {
    let dir = Directory()
    defer { dir.cleanUp() }
    #expect(mkdir(dir.file("real"), 0o755) == 0)
    #expect(symlink("real/new.txt", dir.file("link")) == 0)
    try OutputFile.write(Array("hello\n".utf8), to: dir.file("link"))
    #expect(Self.linkTarget(dir.file("link")) == "real/new.txt")
    #expect(Self.contents(dir.file("real/new.txt")) == Array("hello\n".utf8))
    // Matrix Market writes go through the same code.
    #expect(symlink("real/v.mtx", dir.file("v.mtx")) == 0)
    try MatrixMarket.write(vector: [1, 2], to: dir.file("v.mtx"))
    #expect(Self.kind(dir.file("v.mtx")) == 0o120000)
    #expect(try MatrixMarket.readVector(path: dir.file("real/v.mtx")) == [1, 2])
  }

  @Test("A character device is written into, not replaced")
  func device() throws {
    try OutputFile.write(Array("discarded\n".utf8), to: "/dev/null")
    try MatrixMarket.write(vector: [1, 2, 3], to: "/dev/null")
    #expect(Self.kind("/dev/null") == 0o020000)
    #expect(OutputFile.isStream("/dev/null"))
    #expect(!OutputFile.isStream("/tmp"))
  }

  @Test("Errors: a directory, a missing directory")
  func errors() throws {
    let dir = Directory()
    defer { dir.cleanUp() }
    let isDirectory = #expect(throws: OutputFileError.self) { try OutputFile.write([1], to: dir.path) }
    #expect(isDirectory?.reason == "cannot write: is a directory")
    let missing = #expect(throws: OutputFileError.self) { try OutputFile.write([1], to: dir.file("no/such/x")) }
    #expect(missing?.path == dir.file("no/such/x"))
    #expect(missing?.reason.hasPrefix("cannot create a temporary file in") == true)
    #expect(dir.names() == [])
  }

  @Test("sameFile: spellings, symlinks and hard links of one file; names not yet created")
  func sameFile() throws {
    let dir = Directory()
    defer { dir.cleanUp() }
    #expect(mkdir(dir.file("sub"), 0o755) == 0)
    let a = dir.file("a.mtx")
    try OutputFile.write(Array("a\n".utf8), to: a)
    try OutputFile.write(Array("a\n".utf8), to: dir.file("copy.mtx"))
    #expect(link(a, dir.file("hard.mtx")) == 0)
    #expect(symlink("a.mtx", dir.file("soft.mtx")) == 0)
    #expect(symlink("sub", dir.file("subLink")) == 0)
    for b in [a, dir.path + "/./a.mtx", dir.path + "/sub/../a.mtx", dir.path + "/subLink/../a.mtx",
              dir.file("hard.mtx"), dir.file("soft.mtx")] {
      #expect(OutputFile.sameFile(a, b), "\(b)")
      #expect(OutputFile.sameFile(b, a), "\(b)")
    }
    #expect(!OutputFile.sameFile(a, dir.file("copy.mtx")))  // equal bytes, another file
    // Names that do not exist yet.
    #expect(OutputFile.sameFile(dir.file("new.csv"), dir.path + "/sub/../new.csv"))
    #expect(OutputFile.sameFile(dir.file("new.csv"), dir.file("subLink/../new.csv")))  // .. after the link
    #expect(!OutputFile.sameFile(dir.file("new.csv"), dir.file("other.csv")))
    // A dangling symlink and the name it points to.
    #expect(symlink("later.txt", dir.file("dangling")) == 0)
    #expect(OutputFile.sameFile(dir.file("dangling"), dir.file("later.txt")))
    #expect(OutputFile.resolvedPath(dir.file("soft.mtx")) == OutputFile.resolvedPath(a))
    #expect(!OutputFile.sameFile("", a))
  }
}
