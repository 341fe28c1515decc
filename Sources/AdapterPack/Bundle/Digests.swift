import AdapterFormat

/// SHA-256 of a byte array with the device's implementation.
public func sha256(_ bytes: [UInt8]) -> Digest32 {
    bytes.withUnsafeBytes { SHA256.hash($0) }
}

extension Digest32 {
    /// Lower-case hex, as `sha256sum` prints it.
    public var hex: String { hexString(bytes) }

    public var bytes: [UInt8] { (0 ..< 32).map { self[$0] } }
}

/// Lower-case hex of any bytes.
public func hexString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}
