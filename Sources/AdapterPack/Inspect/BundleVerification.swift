import AdapterFormat
import AdapterLoader

/// What the host could check about a bundle before showing, re-signing or
/// reporting on it: the chain of block digests, the front and record rules,
/// the records and op streams, and — with trusted keys — the signature and
/// every block, checked by the device loader streaming it. A bundle is
/// `verified` only when the signature was checked against a trusted key;
/// without keys it is "NOT VERIFIED", even if every digest matches (the
/// front and block 0 are covered by the signature alone).
public struct BundleVerification: Codable, Equatable, Sendable {
    /// True only when the signature verified against a trusted key and no check failed.
    public var verified: Bool
    /// Whether the signature was checked (trusted keys were given).
    public var signatureChecked: Bool
    /// The trusted key the signature verified with (short id, hex).
    public var keyID: String?
    /// Failed checks, each naming the block, record or field; empty when all passed.
    public var problems: [String]
    /// Things worth knowing that are not failures (a window larger than needed).
    public var notes: [String]
    /// One line: "verified: signed by key …" or "NOT VERIFIED: …".
    public var summary: String

    /// True when a check failed.
    public var hasProblems: Bool { !problems.isEmpty }

    /// Parses and checks `bytes`; with `keys`, also streams them through the
    /// device loader's verification. The parsed bundle is nil when its
    /// structure could not be read.
    public static func check(_ bytes: [UInt8], keys: TrustedKeys? = nil) -> (ParsedBundle?, BundleVerification) {
        var problems: [String] = []
        var notes: [String] = []
        var parsed: ParsedBundle?
        do throws(FormatError) {
            let bundle = try ParsedBundle(bytes: bytes)
            parsed = bundle
            _ = try bundle.metadata()
            _ = try bundle.tensorMap()
            for kind in SectionKind.allCases where kind.isOpStream { _ = try bundle.operations(kind) }
            let workspace = bundle.blocks.flatMap(\.records).map { WindowLayout.decoderWorkspace($0.codec) }.max() ?? 0
            let needed = StreamWindow.required(for: bundle.header, workspace: workspace)
            if Int(bundle.header.windowSize) > needed {
                notes.append("the front declares a RAM window of \(bundle.header.windowSize) bytes; its records need \(needed) "
                             + "(adapterpack writes exactly what is needed)")
            }
        } catch {
            problems.append("\(error)")
        }
        var keyID: String?
        if let keys, problems.isEmpty {
            do throws(LoaderError) {
                let summary = try HostLoader.verify(bundle: bytes, keys: keys)
                keyID = summary.keyIDHex
            } catch {
                problems.append("\(error)")
            }
        }
        let algorithm = parsed?.algorithmName ?? "?"
        let summary: String
        if let keyID, problems.isEmpty {
            summary = "verified: signed by key \(keyID) (\(algorithm)); every block matches its digest"
        } else if let first = problems.first {
            summary = "NOT VERIFIED: \(first)"
        } else {
            summary = "NOT VERIFIED: signature not checked (give --trusted-key PUB.pem); block digests and record rules OK"
        }
        return (parsed, BundleVerification(verified: keyID != nil && problems.isEmpty, signatureChecked: keys != nil,
                                           keyID: problems.isEmpty ? keyID : nil, problems: problems, notes: notes,
                                           summary: summary))
    }
}

/// A bundle that failed `BundleVerification` (digests, rules or signature).
public struct BundleNotVerified: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var problems: [String]
    public init(path: String, problems: [String]) {
        self.path = path
        self.problems = problems
    }
    public var description: String {
        "\(path): NOT VERIFIED: " + problems.joined(separator: "; ")
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
