import Foundation

/// The whole report: what `--json` writes (schema: Spec/report-schema.json)
/// and what the table and HTML renderers draw from.
public struct OTAReport: Codable, Equatable, Sendable {
    public static let schemaID = "adapterpack-report/1"

    public struct Fleet: Codable, Equatable, Sendable {
        public var devices: Int
        public var pricePerMB: Double?
        public var currency: String
        /// Bytes in the MB the price refers to (decimal megabyte).
        public var bytesPerMB: Int
    }

    /// The base model the comparisons used (`--base`).
    public struct BaseModel: Codable, Equatable, Sendable {
        public var file: String
        public var bytes: Int
        public var sha256: String
    }

    public struct Bundle: Codable, Equatable, Sendable {
        public var file: String
        public var name: String?
        public var bundleBytes: Int
        public var sequence: UInt64
        public var windowBytes: Int
        public var baseBytes: Int
        public var targetBytes: Int
        public var baseSHA256: String
        public var targetSHA256: String
        public var sizes: BundleSizeAnalysis
        public var comparison: ModelComparison
        public var links: [LinkTransfer]
        /// This bundle alone sent to every device of the fleet.
        public var fleet: FleetTotals
        /// Digests, header rules and (with keys) the signature.
        public var verification: BundleVerification
        /// What the accuracy guard measured, for a guarded or lossy bundle.
        public var accuracy: AccuracyRecord? = nil
    }

    /// Always `adapterpack-report/1` for this layout.
    public var schema: String
    public var tool: String
    public var fleet: Fleet
    public var links: [LinkDescription]
    public var assumptions: [String]
    public var bundles: [Bundle]
    /// Every bundle sent once to every device: the rollout that installs all of
    /// them (e.g. in turn). When the bundles are alternatives, each one's cost is
    /// its own `bundles[].fleet`; the renderers show those, not this sum.
    public var fleetTotals: FleetTotals
    /// The base model the comparisons used, or nil without `--base`.
    public var baseModel: BaseModel?
    /// True when every bundle's signature verified against a trusted key.
    public var signaturesVerified: Bool

    /// The report's first line: whether the signatures were verified.
    public var verificationSummary: String {
        if signaturesVerified {
            let ids = Set(bundles.compactMap(\.verification.keyID)).sorted()
            return "verified: every bundle signed by a trusted key (key \(ids.joined(separator: ", ")))"
        }
        let unchecked = bundles.filter { !$0.verification.verified }.map { TerminalTable.fileName($0.file) }
        return "NOT VERIFIED: signatures of \(unchecked.joined(separator: ", ")) not checked (give --base and --trusted-key PUB.pem)"
    }

    /// Pretty, key-sorted JSON with a final newline.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
