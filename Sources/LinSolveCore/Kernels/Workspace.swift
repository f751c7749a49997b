/// Scratch vectors for an iterative method, sized once and reused across solves.
///
/// A method asks for `k` vectors of length `n` at the start of a solve; the storage is
/// (re)allocated only when it is too small, so a sequence of solves of one size allocates
/// nothing after the first (``allocations`` counts the times storage was allocated, which
/// tests check). Not thread-safe: one workspace per concurrent solve.
public final class Workspace {
  private var storage: UnsafeMutableBufferPointer<Double>
  /// How many times storage was allocated.
  public private(set) var allocations = 0

  /// An empty workspace; storage comes with the first solve.
  public init() {
    storage = UnsafeMutableBufferPointer(start: nil, count: 0)
  }

  deinit { storage.deallocate() }

  /// `count` zero-filled vectors of `length` entries, valid until the next call.
  public func vectors(_ count: Int, length: Int) -> [UnsafeMutableBufferPointer<Double>] {
    let needed = count * length
    if storage.count < needed {
      storage.deallocate()
      storage = .allocate(capacity: needed)
      allocations += 1
    }
    guard let base = storage.baseAddress else {
      return [UnsafeMutableBufferPointer<Double>](repeating: .init(start: nil, count: 0), count: count)
    }
    base.update(repeating: 0, count: needed)
    return (0..<count).map { UnsafeMutableBufferPointer(start: base + $0 * length, count: length) }
  }
}
