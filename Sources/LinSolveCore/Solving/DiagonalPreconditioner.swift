/// A preconditioner that is a diagonal scaling, `M⁻¹ = diag(d)`, and exposes `d`.
///
/// ``ConjugateGradient`` folds `z = d ⊙ r` and `rᵀz` into its residual update, and
/// ``DeflatedCG`` uses the diagonal to fold `M⁻¹` into its fused iteration: `CᵀM⁻¹q` is then
/// accumulated in the same pass that forms `q = A·p̃ − C·ν`, so the block `C` is read once per
/// iteration instead of `C` and `W` once each (see ``DeflatedCG``). A wrapper around a diagonal
/// preconditioner (one that counts applications, say) should conform too, or the solver falls
/// back to its general form.
///
/// ``JacobiPreconditioner`` conforms (`d_i = 1/a_ii`).
public protocol DiagonalPreconditioner: Preconditioner {
  /// `d`, the diagonal of `M⁻¹`, once the preconditioner is set up (its length is the order of
  /// the matrix it was set up for).
  var inverseDiagonal: [Double] { get }
}
