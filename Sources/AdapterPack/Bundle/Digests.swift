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
