/// A partition of a level's points into coarse (C) points, which become the next level's
/// unknowns, and fine (F) points, interpolated from them — the coarsening of Ruge–Stüben AMG.
public struct CoarseFineSplitting: Sendable, Equatable {
  /// `isCoarse[i]`: whether point `i` is a C point.
  public let isCoarse: [Bool]
  /// The index of each C point on the coarse level (ascending with `i`); `-1` for F points.
  public let coarseIndex: [Int32]
  /// The number of C points.
  public let coarseCount: Int

  init(isCoarse: [Bool]) {
    self.isCoarse = isCoarse
    var index = [Int32](repeating: -1, count: isCoarse.count)
    var count = 0
    for i in isCoarse.indices where isCoarse[i] {
      index[i] = Int32(count)
      count += 1
    }
    coarseIndex = index
    coarseCount = count
  }

  /// The classical Ruge–Stüben splitting (Ruge, Stüben 1987, §4.2; the first pass of hypre's
  /// `coarsen_type` 1 and of pyamg's `RS`), with the second pass's rule for fine points.
  ///
  /// First pass: each undecided point's measure is the number of undecided points that depend
  /// on it strongly (`|Sᵀ_i|`, plus 1 for each of them that has become F). The undecided point
  /// of largest measure becomes C, the undecided points that depend on it become F, and the
  /// measures are updated: points the new F points depend on gain, points the new C point
  /// depends on lose. Ties go to the point found first in a fixed order, so the splitting is
  /// deterministic. Points with no strong connection at all (Dirichlet rows, isolated
  /// unknowns) are F with nothing to interpolate from: the smoother solves them.
  ///
  /// Second pass (`secondPass`): a pair of F points `i`, `j ∈ S_i` with no common strong C point
  /// leaves `i` without a path to `j`'s coarse neighbours in classical interpolation; `j`
  /// becomes C (Ruge, Stüben 1987, §4.2; their second pass, simplified: `j` is made C at once).
  ///
  /// - Parameters:
  ///   - strength: `S`, the strong dependences of each point.
  ///   - dependents: `Sᵀ`, the points that depend on each point.
  public static func rugeStuben(strength s: ConnectionGraph, dependents st: ConnectionGraph, secondPass: Bool = true) -> CoarseFineSplitting {
    let n = s.nodes
    let undecided: UInt8 = 0, coarse: UInt8 = 1, fine: UInt8 = 2
    var state = [UInt8](repeating: undecided, count: n)
    var measure = [Int](repeating: 0, count: n)
    for i in 0..<n {
      measure[i] = st.degree(of: i)
      if measure[i] == 0 && s.degree(of: i) == 0 { state[i] = fine }
    }
    let buckets = MeasureBuckets(measure: measure, capacity: 2 * n + 2)
    defer { buckets.deallocate() }
    s.rowPointers.withUnsafeBufferPointer { sp in
      s.neighbours.withUnsafeBufferPointer { sn in
        st.rowPointers.withUnsafeBufferPointer { tp in
          st.neighbours.withUnsafeBufferPointer { tn in
            state.withUnsafeMutableBufferPointer { state in
              while let i = buckets.popLargest() {
                guard state[i] == undecided else { continue }
                state[i] = coarse
                for q in tp[i]..<tp[i + 1] {
                  let j = Int(tn[q])
                  guard state[j] == undecided else { continue }
                  state[j] = fine
                  for r in sp[j]..<sp[j + 1] {
                    let k = Int(sn[r])
                    if state[k] == undecided { buckets.increment(k) }
                  }
                }
                for q in sp[i]..<sp[i + 1] {
                  let j = Int(sn[q])
                  if state[j] == undecided { buckets.decrement(j) }
                }
              }
            }
          }
        }
      }
    }
    var isCoarse = state.map { $0 == coarse }
    if secondPass { enforceCommonCoarsePoints(&isCoarse, strength: s) }
    return CoarseFineSplitting(isCoarse: isCoarse)
  }

  /// The second pass: for each F point `i` and each strong F neighbour `j`, if `j` has no strong
  /// dependence on a C point that `i` also depends on strongly, `j` becomes C.
  private static func enforceCommonCoarsePoints(_ isCoarse: inout [Bool], strength s: ConnectionGraph) {
    let n = s.nodes
    // marker[k] == i: k is a strong C neighbour of the F point i being checked.
    var marker = [Int](repeating: -1, count: n)
    for i in 0..<n where !isCoarse[i] {
      let row = s.rowPointers[i]..<s.rowPointers[i + 1]
      for q in row where isCoarse[Int(s.neighbours[q])] { marker[Int(s.neighbours[q])] = i }
      for q in row {
        let j = Int(s.neighbours[q])
        guard !isCoarse[j] else { continue }
        var shared = false
        for r in s.rowPointers[j]..<s.rowPointers[j + 1] where marker[Int(s.neighbours[r])] == i {
          shared = true
          break
        }
        if !shared && s.degree(of: j) > 0 {
          isCoarse[j] = true
          marker[j] = i
        }
      }
    }
  }
}

/// The points of the Ruge–Stüben first pass sorted by measure, in buckets of equal measure laid
/// out in one array: increments, decrements and taking the largest are O(1) swaps at bucket
/// boundaries. Points decided F stay in place with their last measure (the caller skips them
/// when they come up), as in the classical implementation.
private struct MeasureBuckets {
  /// Points in ascending measure over `0 ..< live`; taken points are above it.
  private let order: UnsafeMutableBufferPointer<Int>
  private let position: UnsafeMutableBufferPointer<Int>
  private let measure: UnsafeMutableBufferPointer<Int>
  /// First position and size of each measure's bucket (only meaningful while the size is > 0).
  private let start: UnsafeMutableBufferPointer<Int>
  private let size: UnsafeMutableBufferPointer<Int>
  private let live: UnsafeMutablePointer<Int>

  /// Buckets for `measure` (each value below `capacity`); free them with ``deallocate()``.
  init(measure initial: [Int], capacity: Int) {
    let n = initial.count
    measure = .allocate(capacity: n)
    _ = measure.initialize(from: initial)
    size = .allocate(capacity: capacity)
    size.initialize(repeating: 0)
    for m in initial { size[m] += 1 }
    start = .allocate(capacity: capacity)
    start[0] = 0
    for m in 1..<capacity { start[m] = start[m - 1] + size[m - 1] }
    order = .allocate(capacity: n)
    position = .allocate(capacity: n)
    var next = Array(start)
    for i in 0..<n {
      let m = initial[i]
      order[next[m]] = i
      position[i] = next[m]
      next[m] += 1
    }
    live = .allocate(capacity: 1)
    live.pointee = n
  }

  func deallocate() {
    for buffer in [order, position, measure, start, size] { buffer.deallocate() }
    live.deallocate()
  }

  /// The point of largest measure (the last live one), taken out; `nil` when none is left.
  @inline(__always)
  func popLargest() -> Int? {
    guard live.pointee > 0 else { return nil }
    live.pointee -= 1
    let i = order[live.pointee]
    size[measure[i]] -= 1
    return i
  }

  @inline(__always)
  func increment(_ i: Int) {
    let m = measure[i]
    swapAt(position[i], start[m] + size[m] - 1)
    size[m] -= 1
    start[m + 1] = position[i]
    size[m + 1] += 1
    measure[i] = m + 1
  }

  @inline(__always)
  func decrement(_ i: Int) {
    let m = measure[i]
    guard m > 0 else { return }
    swapAt(position[i], start[m])
    if size[m - 1] == 0 { start[m - 1] = start[m] }
    size[m - 1] += 1
    start[m] += 1
    size[m] -= 1
    measure[i] = m - 1
  }

  @inline(__always)
  private func swapAt(_ p: Int, _ q: Int) {
    let a = order[p], b = order[q]
    order[p] = b
    order[q] = a
    position[b] = p
    position[a] = q
  }
}
