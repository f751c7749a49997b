import LinSolveCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A small message-passing network over the graph of `A` that corrects the IC(0) factor: the
/// learned preconditioner is `P = L Lᵀ` with `L` on IC(0)'s lower pattern.
///
/// The model follows Li, Chen, Du, Matusik, *Learning Preconditioner for Conjugate Gradient PDE
/// Solvers* (ICML 2023: a graph network over `A` outputs `L` on `A`'s lower pattern, trained
/// with `‖L Lᵀ xᵢ − bᵢ‖` over solved systems) in the form of PreCorrector (Trifonov et al.,
/// *Learning from linear algebra: a graph neural network approach to preconditioner design for
/// conjugate gradient solvers*, 2024): the network outputs a correction of IC(0), so a network
/// whose outputs are zero is IC(0) and training only has to improve on it. Sizes as NeuralIF
/// (Häusner et al., *Neural incomplete factorization*, TMLR 2024: about 10³ parameters, trained
/// on a CPU).
///
/// On the scaled matrix `Ã = D^{-1/2} A D^{-1/2}` with IC(0) factor `L̃` (``FactorGraph``), with
/// `H` hidden units and `tanh` activations:
///
///     h_i = tanh(W₁ u_i + b₁)                       node features u_i (4)
///     m_i = Σ_{j≠i} |ã_ij| h_j                      one round of messages
///     g_i = tanh(W₂ [h_i; m_i] + b₂)
///     l_ii = √a_ii · l̃_ii · exp(v_d·g_i + c_d)      positive for any parameters
///     q_ij = tanh(W₃ [g_i; g_j; ã_ij; l̃_ij] + b₃)  each lower edge j < i
///     l_ij = √a_ii · l̃_ij · (1 + v_e·q_ij + c_e)
///
/// The model is invariant to a symmetric diagonal scaling of `A` (the features are those of
/// `Ã`), and `L` has a positive diagonal, so `P` is symmetric positive definite. With `H = 8`
/// it has 346 parameters (``parameterCount(hidden:)``).
///
/// A trained model records the ``PatternSignature`` of its training matrices in ``pattern`` and
/// refuses other patterns (``LearnedModelError/patternMismatch(expected:found:)``).
public struct LearnedFactorModel: Sendable, Equatable {
  /// Features per node: `l̃_ii`, `Σ|ã_ij|`, the row sum of `Ã`, the row sum of IC(0)'s error.
  public static let nodeFeatureCount = 4
  /// Features per lower edge: `ã_ij`, `l̃_ij`.
  public static let edgeFeatureCount = 2

  /// Hidden units `H` of every layer.
  public let hidden: Int
  /// Every weight and bias, in the order `W₁ b₁ W₂ b₂ v_d c_d W₃ b₃ v_e c_e` (matrices by rows).
  public var parameters: [Double]
  /// The pattern of the training matrices, or `nil` before training.
  public var pattern: PatternSignature?

  /// The number of parameters of a network with `hidden` units:
  /// `H(F + 1) + H(2H + 1) + (H + 1) + H(2H + E + 1) + (H + 1)`.
  public static func parameterCount(hidden h: Int) -> Int { Layout(hidden: h).count }

  /// An untrained network: weights drawn uniformly in `±√(6/(fan_in + fan_out))` (Glorot) from
  /// `SeededGenerator(seed:)`, the two output layers scaled by 0.1 and their biases zero, so the
  /// factor starts close to IC(0).
  ///
  /// - Precondition: `1 ≤ hidden ≤ 256`.
  public init(hidden: Int = 8, seed: UInt64 = 1) {
    precondition(hidden >= 1 && hidden <= 256, "LearnedFactorModel: hidden \(hidden) is not in 1…256")
    self.hidden = hidden
    let layout = Layout(hidden: hidden)
    var generator = SeededGenerator(seed: seed)
    var p = [Double](repeating: 0, count: layout.count)
    func fill(_ start: Int, _ count: Int, fanIn: Int, fanOut: Int, scale: Double = 1) {
      let bound = scale * (6 / Double(fanIn + fanOut)).squareRoot()
      for k in start..<(start + count) { p[k] = bound * (2 * generator.uniform() - 1) }
    }
    let h = hidden, f = Self.nodeFeatureCount, e = Self.edgeFeatureCount
    fill(layout.w1, h * f, fanIn: f, fanOut: h)
    fill(layout.w2, h * 2 * h, fanIn: 2 * h, fanOut: h)
    fill(layout.vd, h, fanIn: h, fanOut: 1, scale: 0.1)
    fill(layout.w3, h * (2 * h + e), fanIn: 2 * h + e, fanOut: h)
    fill(layout.ve, h, fanIn: h, fanOut: 1, scale: 0.1)
    parameters = p
    pattern = nil
  }

  /// A network with the given parameters (as read from a model file).
  ///
  /// - Throws: ``LearnedModelError/shapeMismatch(_:)`` when the count is not
  ///   ``parameterCount(hidden:)`` or a value is not finite.
  public init(hidden: Int, parameters: [Double], pattern: PatternSignature?) throws {
    guard hidden >= 1 && hidden <= 256 else { throw LearnedModelError.shapeMismatch("hidden \(hidden) is not in 1…256") }
    let expected = Self.parameterCount(hidden: hidden)
    guard parameters.count == expected else {
      throw LearnedModelError.shapeMismatch("\(parameters.count) parameters, a network with \(hidden) hidden units has \(expected)")
    }
    guard parameters.allSatisfy(\.isFinite) else { throw LearnedModelError.shapeMismatch("a parameter is not finite") }
    self.hidden = hidden
    self.parameters = parameters
    self.pattern = pattern
  }

  /// Refuses a matrix whose pattern is not the training matrices'.
  ///
  /// - Throws: ``LearnedModelError/patternMismatch(expected:found:)``.
  public func check(_ signature: PatternSignature) throws {
    if let pattern, pattern != signature {
      throw LearnedModelError.patternMismatch(expected: pattern, found: signature)
    }
  }

  /// Where each block of ``parameters`` starts.
  struct Layout {
    let h, w1, b1, w2, b2, vd, cd, w3, b3, ve, ce, count: Int
    /// Columns of `W₃`: `[g_i; g_j; ã_ij; l̃_ij]`.
    var edgeInputs: Int { 2 * h + LearnedFactorModel.edgeFeatureCount }

    init(hidden: Int) {
      h = hidden
      w1 = 0
      b1 = w1 + h * LearnedFactorModel.nodeFeatureCount
      w2 = b1 + h
      b2 = w2 + h * 2 * h
      vd = b2 + h
      cd = vd + h
      w3 = cd + 1
      b3 = w3 + h * (2 * h + LearnedFactorModel.edgeFeatureCount)
      ve = b3 + h
      ce = ve + h
      count = ce + 1
    }
  }

  var layout: Layout { Layout(hidden: hidden) }
}

// MARK: - Forward and backward passes

/// `tanh(x)` as `1 − 2/(e^{2x} + 1)`: one `exp` instead of libm's `tanh` (its `expm1` took a
/// quarter of the training time), correct to a few ulps of 1 (so `1 − v²` stays its derivative to
/// that accuracy); ±1 where `e^{2x}` overflows or underflows.
@inline(__always)
private func activation(_ x: Double) -> Double {
  1 - 2 / (exp(2 * x) + 1)
}

/// The values of one forward pass kept for the backward pass.
package struct FactorActivations {
  /// `h`, `m`, `g`: `n × H` each; `rowPart = W₃[:, 0..<H]·g`, `columnPart = W₃[:, H..<2H]·g`.
  var h: [Double], m: [Double], g: [Double]
  var rowPart: [Double], columnPart: [Double]
  /// `q`: `nnz(L) × H`.
  var q: [Double]
  /// The corrected scaled factor `L̃_new`: strict lower part and diagonal.
  package var lower: [Double]
  package var diagonal: [Double]
}

extension LearnedFactorModel {
  /// The forward pass on `graph`: the corrected scaled factor and the activations.
  package func forward(_ graph: FactorGraph) -> FactorActivations {
    let n = graph.order, hh = hidden, f = Self.nodeFeatureCount, nl = graph.lowerCount
    let l = layout
    var act = FactorActivations(
      h: [Double](repeating: 0, count: n * hh), m: [Double](repeating: 0, count: n * hh),
      g: [Double](repeating: 0, count: n * hh), rowPart: [Double](repeating: 0, count: n * hh),
      columnPart: [Double](repeating: 0, count: n * hh), q: [Double](repeating: 0, count: nl * hh),
      lower: [Double](repeating: 0, count: nl), diagonal: [Double](repeating: 0, count: n))
    parameters.withUnsafeBufferPointer { w in
      graph.nodeFeatures.withUnsafeBufferPointer { u in
        act.h.withUnsafeMutableBufferPointer { h in
          for i in 0..<n {
            for k in 0..<hh {
              var s = w[l.b1 + k]
              for c in 0..<f { s += w[l.w1 + k * f + c] * u[i * f + c] }
              h[i * hh + k] = activation(s)
            }
          }
        }
      }
      graph.adjacencyPointers.withUnsafeBufferPointer { ap in
        graph.adjacencyColumns.withUnsafeBufferPointer { ac in
          graph.adjacencyWeights.withUnsafeBufferPointer { aw in
            act.h.withUnsafeBufferPointer { h in
              act.m.withUnsafeMutableBufferPointer { m in
                for i in 0..<n {
                  for p in ap[i]..<ap[i + 1] {
                    let j = Int(ac[p]), weight = aw[p]
                    for k in 0..<hh { m[i * hh + k] += weight * h[j * hh + k] }
                  }
                }
              }
            }
          }
        }
      }
      act.h.withUnsafeBufferPointer { h in
        act.m.withUnsafeBufferPointer { m in
          act.g.withUnsafeMutableBufferPointer { g in
            act.rowPart.withUnsafeMutableBufferPointer { rowPart in
              act.columnPart.withUnsafeMutableBufferPointer { columnPart in
                act.diagonal.withUnsafeMutableBufferPointer { diagonal in
                  let e = l.edgeInputs
                  let diagonalIC = graph.diagonalIC
                  for i in 0..<n {
                    var d = w[l.cd]
                    for k in 0..<hh {
                      var s = w[l.b2 + k]
                      let row = l.w2 + k * 2 * hh
                      for c in 0..<hh { s += w[row + c] * h[i * hh + c] + w[row + hh + c] * m[i * hh + c] }
                      let v = activation(s)
                      g[i * hh + k] = v
                      d += w[l.vd + k] * v
                    }
                    diagonal[i] = diagonalIC[i] * exp(d)
                    for k in 0..<hh {
                      var r = 0.0, c = 0.0
                      let row = l.w3 + k * e
                      for t in 0..<hh {
                        r += w[row + t] * g[i * hh + t]
                        c += w[row + hh + t] * g[i * hh + t]
                      }
                      rowPart[i * hh + k] = r
                      columnPart[i * hh + k] = c
                    }
                  }
                }
              }
            }
          }
        }
      }
      graph.lowerPointers.withUnsafeBufferPointer { lp in
        graph.lowerColumns.withUnsafeBufferPointer { lc in
          act.rowPart.withUnsafeBufferPointer { rowPart in
            act.columnPart.withUnsafeBufferPointer { columnPart in
              act.q.withUnsafeMutableBufferPointer { q in
                act.lower.withUnsafeMutableBufferPointer { lower in
                  let couplings = graph.lowerCoupling, factor = graph.lowerIC
                  let e = l.edgeInputs
                  for i in 0..<n {
                    for p in lp[i]..<lp[i + 1] {
                      let j = Int(lc[p])
                      let coupling = couplings[p], ic = factor[p]
                      var o = w[l.ce]
                      for k in 0..<hh {
                        let row = l.w3 + k * e
                        let s = rowPart[i * hh + k] + columnPart[j * hh + k] + w[row + 2 * hh] * coupling
                          + w[row + 2 * hh + 1] * ic + w[l.b3 + k]
                        let v = activation(s)
                        q[p * hh + k] = v
                        o += w[l.ve + k] * v
                      }
                      lower[p] = ic * (1 + o)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return act
  }

  /// Adds to `gradient` the derivative of a loss with respect to the parameters, given the
  /// loss's derivatives `lowerGradient` and `diagonalGradient` with respect to the values of
  /// `L̃_new` (``FactorActivations/lower`` and ``FactorActivations/diagonal``).
  package func backward(
    _ graph: FactorGraph, _ act: FactorActivations, lowerGradient: [Double], diagonalGradient: [Double],
    into gradient: inout [Double]
  ) {
    let n = graph.order, hh = hidden, f = Self.nodeFeatureCount
    let l = layout, e = l.edgeInputs
    var deltaRow = [Double](repeating: 0, count: n * hh)  // ∂/∂rowPart
    var deltaColumn = [Double](repeating: 0, count: n * hh)  // ∂/∂columnPart
    var deltaG = [Double](repeating: 0, count: n * hh)
    var deltaH = [Double](repeating: 0, count: n * hh)
    var deltaM = [Double](repeating: 0, count: n * hh)
    parameters.withUnsafeBufferPointer { w in
      gradient.withUnsafeMutableBufferPointer { dw in
        // Edges: l_p = l̃_p (1 + o_p), o_p = v_e·q_p + c_e, q_p = tanh(s_p).
        graph.lowerPointers.withUnsafeBufferPointer { lp in
          graph.lowerColumns.withUnsafeBufferPointer { lc in
            act.q.withUnsafeBufferPointer { q in
              deltaRow.withUnsafeMutableBufferPointer { deltaRow in
                deltaColumn.withUnsafeMutableBufferPointer { deltaColumn in
                  let couplings = graph.lowerCoupling, factor = graph.lowerIC
                  for i in 0..<n {
                    for p in lp[i]..<lp[i + 1] {
                      let j = Int(lc[p])
                      let coupling = couplings[p], ic = factor[p]
                      let deltaO = lowerGradient[p] * ic
                      if deltaO == 0 { continue }
                      dw[l.ce] += deltaO
                      for k in 0..<hh {
                        let v = q[p * hh + k]
                        dw[l.ve + k] += deltaO * v
                        let deltaS = deltaO * w[l.ve + k] * (1 - v * v)
                        dw[l.b3 + k] += deltaS
                        let row = l.w3 + k * e
                        dw[row + 2 * hh] += deltaS * coupling
                        dw[row + 2 * hh + 1] += deltaS * ic
                        deltaRow[i * hh + k] += deltaS
                        deltaColumn[j * hh + k] += deltaS
                      }
                    }
                  }
                }
              }
            }
          }
        }
        // Nodes: rowPart = W₃[:, :H] g, columnPart = W₃[:, H:2H] g; d = v_d·g + c_d,
        // l_ii = l̃_ii exp(d); g = tanh(W₂ [h; m] + b₂).
        act.g.withUnsafeBufferPointer { g in
          act.h.withUnsafeBufferPointer { h in
            act.m.withUnsafeBufferPointer { m in
              deltaG.withUnsafeMutableBufferPointer { deltaG in
                deltaH.withUnsafeMutableBufferPointer { deltaH in
                  deltaM.withUnsafeMutableBufferPointer { deltaM in
                    for i in 0..<n {
                      let deltaD = diagonalGradient[i] * act.diagonal[i]
                      dw[l.cd] += deltaD
                      for k in 0..<hh {
                        let dr = deltaRow[i * hh + k], dc = deltaColumn[i * hh + k]
                        let row = l.w3 + k * e
                        for t in 0..<hh {
                          let gt = g[i * hh + t]
                          dw[row + t] += dr * gt
                          dw[row + hh + t] += dc * gt
                          deltaG[i * hh + t] += dr * w[row + t] + dc * w[row + hh + t]
                        }
                        dw[l.vd + k] += deltaD * g[i * hh + k]
                        deltaG[i * hh + k] += deltaD * w[l.vd + k]
                      }
                      for k in 0..<hh {
                        let v = g[i * hh + k]
                        let deltaT = deltaG[i * hh + k] * (1 - v * v)
                        if deltaT == 0 { continue }
                        dw[l.b2 + k] += deltaT
                        let row = l.w2 + k * 2 * hh
                        for c in 0..<hh {
                          dw[row + c] += deltaT * h[i * hh + c]
                          dw[row + hh + c] += deltaT * m[i * hh + c]
                          deltaH[i * hh + c] += deltaT * w[row + c]
                          deltaM[i * hh + c] += deltaT * w[row + hh + c]
                        }
                      }
                    }
                    // m_i = Σ_j w_ij h_j with symmetric weights: δh_j += Σ_i w_ij δm_i.
                    graph.adjacencyPointers.withUnsafeBufferPointer { ap in
                      graph.adjacencyColumns.withUnsafeBufferPointer { ac in
                        graph.adjacencyWeights.withUnsafeBufferPointer { aw in
                          for i in 0..<n {
                            for p in ap[i]..<ap[i + 1] {
                              let j = Int(ac[p]), weight = aw[p]
                              for k in 0..<hh { deltaH[j * hh + k] += weight * deltaM[i * hh + k] }
                            }
                          }
                        }
                      }
                    }
                    // h = tanh(W₁ u + b₁).
                    graph.nodeFeatures.withUnsafeBufferPointer { u in
                      for i in 0..<n {
                        for k in 0..<hh {
                          let v = h[i * hh + k]
                          let deltaS = deltaH[i * hh + k] * (1 - v * v)
                          dw[l.b1 + k] += deltaS
                          for c in 0..<f { dw[l.w1 + k * f + c] += deltaS * u[i * f + c] }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
