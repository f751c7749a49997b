/// Wall-clock seconds of a block.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
  let clock = ContinuousClock()
  var result: T?
  let elapsed = try clock.measure { result = try body() }
  let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
  return (result!, seconds)
}
