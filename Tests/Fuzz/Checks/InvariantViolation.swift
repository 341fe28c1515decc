/// What a fuzz check found wrong: a broken invariant (crashes, overruns and
/// leaks are found by the sanitizers and libFuzzer themselves).
struct InvariantViolation: Error, CustomStringConvertible {
    let description: String
}
