/// Why an SMP exchange with a device failed.
public enum SMPError: Error, CustomStringConvertible, Sendable {
    /// The serial port or socket could not be opened or used.
    case link(String)
    /// No complete response within the timeout.
    case timeout(seconds: Double)
    /// A response that is not a well-formed SMP packet for the request.
    case badResponse(String)
    /// The device answered with an error code.
    case refused(group: Int, rc: Int, meaning: String)

    public var description: String {
        switch self {
        case .link(let reason): return "link: \(reason)"
        case .timeout(let seconds): return "no answer from the device within \(seconds) s"
        case .badResponse(let reason): return "malformed SMP response: \(reason)"
        case .refused(let group, let rc, let meaning): return "the device refused: group \(group), rc \(rc) (\(meaning))"
        }
    }
}
