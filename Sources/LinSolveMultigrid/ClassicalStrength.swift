import LinSolveCore

/// Classical strength of connection, the measure of Ruge–Stüben AMG (Ruge, Stüben 1987,
/// "Algebraic multigrid", in *Multigrid Methods*, SIAM, §4.2; hypre BoomerAMG's
/// `strong_threshold`): for a row with a positive diagonal, `j ≠ i` is a strong dependence of
/// `i` when `−a_ij ≥ θ · max_{k ≠ i} (−a_ik)`.
///
/// Only negative couplings can be strong (positive ones are "weak" and lumped by the
/// interpolation); a row with no negative off-diagonal entry has no strong dependence. The
/// measure is not symmetric: the graph lists, for each `i`, the points `i` depends on (`S_i`);
/// ``ConnectionGraph/transposed()`` gives the points that depend on `i` (`Sᵀ_i`).
public struct ClassicalStrengthOfConnection: Sendable, Equatable {
  /// The threshold θ ∈ [0, 1]; 0.25 is the classical choice for 2-D problems, 0.5 for 3-D.
  public var theta: Double

  public init(theta: Double = 0.25) {
    self.theta = theta
  }

  /// The strong dependences of each row of the square matrix `a` (positive diagonal assumed).
  public func graph(of a: SparseMatrix) -> ConnectionGraph {
    precondition(a.rows == a.columns, "strength of connection: square matrix")
    let n = a.rows
    var counts = [Int](repeating: 0, count: n + 1)
    let theta = theta
    a.rowPointers.withUnsafeBufferPointer { rp in
      a.columnIndices.withUnsafeBufferPointer { cp in
        a.values.withUnsafeBufferPointer { vp in
          counts.withUnsafeMutableBufferPointer { counts in
            let shared = UncheckedSendable((rp, cp, vp, counts))
            Parallel.forEachChunk(n) { rows in
              let (rp, cp, vp, counts) = shared.value
              for i in rows {
                let largest = Self.largestNegativeCoupling(i, rp, cp, vp)
                guard largest > 0 else { continue }
                let bound = theta * largest
                var c = 0
                for k in rp[i]..<rp[i + 1] where Int(cp[k]) != i && vp[k] < 0 && -vp[k] >= bound { c += 1 }
                counts[i + 1] = c
              }
            }
          }
        }
      }
    }
    for i in 0..<n { counts[i + 1] += counts[i] }
    var neighbours = [Int32](repeating: 0, count: counts[n])
    a.rowPointers.withUnsafeBufferPointer { rp in
      a.columnIndices.withUnsafeBufferPointer { cp in
        a.values.withUnsafeBufferPointer { vp in
          counts.withUnsafeBufferPointer { pointers in
            neighbours.withUnsafeMutableBufferPointer { out in
              let shared = UncheckedSendable((rp, cp, vp, pointers, out))
              Parallel.forEachChunk(n) { rows in
                let (rp, cp, vp, pointers, out) = shared.value
                for i in rows where pointers[i + 1] > pointers[i] {
                  let bound = theta * Self.largestNegativeCoupling(i, rp, cp, vp)
                  var next = pointers[i]
                  for k in rp[i]..<rp[i + 1] where Int(cp[k]) != i && vp[k] < 0 && -vp[k] >= bound {
                    out[next] = cp[k]
                    next += 1
                  }
                }
              }
            }
          }
        }
      }
    }
    return ConnectionGraph(nodes: n, rowPointers: counts, neighbours: neighbours)
  }

  /// `max_{k ≠ i} (−a_ik)`, or 0 when row `i` has no negative off-diagonal entry.
  @inline(__always)
  private static func largestNegativeCoupling(
    _ i: Int, _ rp: UnsafeBufferPointer<Int>, _ cp: UnsafeBufferPointer<Int32>, _ vp: UnsafeBufferPointer<Double>
  ) -> Double {
    var largest = 0.0
    for k in rp[i]..<rp[i + 1] where Int(cp[k]) != i { largest = max(largest, -vp[k]) }
    return largest
  }
}

extension ConnectionGraph {
  /// The reversed graph: `j` lists `i` when `i` lists `j` (for a strength graph `S`, the points
  /// that depend on each point, `Sᵀ`). Neighbours stay ascending.
  public func transposed() -> ConnectionGraph {
    var pointers = [Int](repeating: 0, count: nodes + 1)
    for j in neighbours { pointers[Int(j) + 1] += 1 }
    for i in 0..<nodes { pointers[i + 1] += pointers[i] }
    var next = pointers
    var reversed = [Int32](repeating: 0, count: neighbours.count)
    for i in 0..<nodes {
      for k in rowPointers[i]..<rowPointers[i + 1] {
        let j = Int(neighbours[k])
        reversed[next[j]] = Int32(i)
        next[j] += 1
      }
    }
    return ConnectionGraph(nodes: nodes, rowPointers: pointers, neighbours: reversed)
  }
}
