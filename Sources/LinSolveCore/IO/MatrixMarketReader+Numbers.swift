// The Matrix Market reader's number scanner. Plain decimal forms with at most 19 significant
// digits and a power of ten within ±22 are converted exactly by Clinger's fast path (one
// multiplication or division of two exactly representable doubles, hence correctly rounded);
// everything else that is syntactically a decimal number goes to the standard library's
// correctly rounded, locale-independent `Double(_: String)`.

extension MatrixMarketReader {
  /// Exact powers of ten 10⁰ … 10²² (all exactly representable in binary64).
  static let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
  ]

  /// Reads a number at `p` (a real, or an integer when `integer`), followed by a separator.
  @inline(__always)
  mutating func readValue(integer: Bool) throws(MatrixMarketError) -> Double {
    let start = p
    var negative = false
    if p < end && (base[p] == 45 || base[p] == 43) {  // - +
      negative = base[p] == 45
      p &+= 1
    }
    var s = Significand()
    scanDigits(into: &s, fraction: false)
    if !integer {
      if p < end && base[p] == 46 {  // .
        p &+= 1
        scanDigits(into: &s, fraction: true)
      }
      if s.digits > 0 && p < end && base[p] | 0x20 == 101 {  // e E
        p &+= 1
        var negativeExponent = false
        if p < end && (base[p] == 45 || base[p] == 43) {
          negativeExponent = base[p] == 45
          p &+= 1
        }
        let exponentStart = p
        var e = 0
        while p < end {
          let digit = base[p] &- 48
          if digit > 9 { break }
          if e < 1_000_000 { e = e &* 10 &+ Int(digit) }
          p &+= 1
        }
        if p == exponentStart { return try invalidNumber(start, integer: integer) }
        s.exponent = negativeExponent ? s.exponent &- e : s.exponent &+ e
      }
    }
    guard s.digits > 0, atSeparator else { return try invalidNumber(start, integer: integer) }
    if s.mantissa == 0 { return negative ? -0.0 : 0.0 }
    if s.exact && s.mantissa <= 1 << 53 && s.exponent >= -22 && s.exponent <= 22 {
      let m = Double(s.mantissa)
      let magnitude = s.exponent < 0 ? m / pow10[-s.exponent] : m * pow10[s.exponent]
      return negative ? -magnitude : magnitude
    }
    return try slowNumber(start)
  }

  /// The decimal significand scanned so far: its first 19 significant digits as an integer
  /// and the power of ten that scales them.
  struct Significand {
    var mantissa: UInt64 = 0
    /// Significant digits in `mantissa`.
    var kept = 0
    /// All digits of the significand.
    var digits = 0
    var exponent = 0
    /// Whether `mantissa` holds every significant digit.
    var exact = true
  }

  /// Scans decimal digits at `p` into `s` (after the point when `fraction`: each kept digit
  /// then lowers the exponent).
  @inline(__always)
  private mutating func scanDigits(into s: inout Significand, fraction: Bool) {
    while p < end {
      let digit = base[p] &- 48
      if digit > 9 { break }
      s.digits &+= 1
      if s.kept < 19 {
        s.mantissa = s.mantissa &* 10 &+ UInt64(digit)
        if s.mantissa != 0 { s.kept &+= 1 }
        if fraction { s.exponent &-= 1 }
      } else {
        s.exact = false
      }
      p &+= 1
    }
  }

  /// Converts a syntactically valid decimal token the fast path cannot do exactly.
  private func slowNumber(_ start: Int) throws(MatrixMarketError) -> Double {
    let text = String(decoding: UnsafeBufferPointer(start: base + start, count: p - start), as: UTF8.self)
    guard let value = Double(text) else { throw fail("invalid number '\(token(at: start))'") }
    guard value.isFinite else { throw fail("non-finite value '\(token(at: start))'") }
    return value
  }

  /// The error for a token that is not a number: non-finite spellings get their own reason.
  private func invalidNumber(_ start: Int, integer: Bool) throws(MatrixMarketError) -> Double {
    let word = token(at: start).lowercased()
    let unsigned = word.hasPrefix("-") || word.hasPrefix("+") ? String(word.dropFirst()) : word
    if unsigned == "nan" || unsigned == "inf" || unsigned == "infinity" || unsigned.hasPrefix("nan(") {
      throw fail("non-finite value '\(token(at: start))'")
    }
    throw fail("invalid \(integer ? "integer" : "number") '\(token(at: start))'")
  }
}
