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
        public var fleet: FleetTotals
    }

    /// Always `adapterpack-report/1` for this layout.
    public var schema: String
    public var tool: String
    public var fleet: Fleet
    public var links: [LinkDescription]
    public var assumptions: [String]
    public var bundles: [Bundle]
    /// Every bundle sent once to every device.
    public var fleetTotals: FleetTotals

    /// Pretty, key-sorted JSON with a final newline.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
