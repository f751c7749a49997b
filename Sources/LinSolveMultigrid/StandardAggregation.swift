/// A partition of (some of) the nodes of a level into aggregates: the coarse nodes.
public struct Aggregation: Sendable, Equatable {
  /// The aggregate of each node, `0 ..< count`, or `nil` for an isolated node (no strong
  /// neighbours): like pyamg, an isolated node belongs to no aggregate; its row of the
  /// tentative prolongator is zero and the smoother alone handles it.
  public let aggregateOf: [Int32?]
  /// Number of aggregates (coarse nodes).
  public let count: Int
  /// The node each aggregate grew from (its root), by aggregate.
  public let roots: [Int]
}

/// Standard aggregation (Vaněk, Mandel, Brezina 1996, §3; pyamg's `standard_aggregation`),
/// greedy over the nodes in order, in three passes over the strength graph:
///
/// 1. a node whose strong neighbours are all still unaggregated becomes the root of a new
///    aggregate made of it and those neighbours;
/// 2. a node left over joins the aggregate of pass 1 of its first aggregated neighbour (in
///    ascending order of the neighbour);
/// 3. a node still left over becomes the root of a new aggregate with its still unaggregated
///    neighbours.
///
/// Nodes without strong neighbours stay out of every aggregate (``Aggregation/aggregateOf`` is
/// `nil`). Deterministic: it depends only on the graph.
public enum StandardAggregation {
  /// Aggregates the nodes of `graph`.
  public static func aggregate(_ graph: ConnectionGraph) -> Aggregation {
    let n = graph.nodes
    let unassigned: Int32 = -1
    var aggregate = [Int32](repeating: unassigned, count: n)
    var roots: [Int] = []
    let rp = graph.rowPointers, nb = graph.neighbours
    // Pass 1: seeds whose whole neighbourhood is free.
    for i in 0..<n where aggregate[i] == unassigned {
      let start = rp[i], end = rp[i + 1]
      guard start < end else { continue }  // isolated
      var free = true
      for k in start..<end where aggregate[Int(nb[k])] != unassigned {
        free = false
        break
      }
      guard free else { continue }
      let a = Int32(roots.count)
      roots.append(i)
      aggregate[i] = a
      for k in start..<end { aggregate[Int(nb[k])] = a }
    }
    // Pass 2: attach leftovers to a neighbouring aggregate of pass 1 (decided on the state
    // after pass 1, so a node attached here does not pull others in).
    let afterFirstPass = aggregate
    for i in 0..<n where afterFirstPass[i] == unassigned {
      for k in rp[i]..<rp[i + 1] {
        let j = Int(nb[k])
        if afterFirstPass[j] != unassigned {
          aggregate[i] = afterFirstPass[j]
          break
        }
      }
    }
    // Pass 3: leftovers (with neighbours) seed new aggregates with their free neighbours.
    for i in 0..<n where aggregate[i] == unassigned {
      let start = rp[i], end = rp[i + 1]
      guard start < end else { continue }  // isolated
      let a = Int32(roots.count)
      roots.append(i)
      aggregate[i] = a
      for k in start..<end where aggregate[Int(nb[k])] == unassigned { aggregate[Int(nb[k])] = a }
    }
    return Aggregation(
      aggregateOf: aggregate.map { $0 == unassigned ? nil : $0 }, count: roots.count, roots: roots)
  }
}
