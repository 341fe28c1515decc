import AdapterFormat
import Foundation

/// What `adapterpack inspect` shows: every header field, section and record.
/// Its JSON form is the golden output in `Spec/vectors/`.
public struct BundleDescription: Codable, Equatable, Sendable {
    public struct Model: Codable, Equatable, Sendable {
        public var length: UInt32
        public var sha256: String
    }
    public struct Section: Codable, Equatable, Sendable {
        public var index: Int
        public var kind: String
        public var kindCode: UInt16
        public var codec: String
        public var offset: UInt32
        public var storedLength: UInt32
        public var decodedLength: UInt32
        public var sha256: String
        /// Operation counts by opcode name, for op-stream sections.
        public var operations: [String: Int]?
    }
    public struct Tensor: Codable, Equatable, Sendable {
        public var offset: UInt32
        public var length: UInt32
        public var role: String
        public var elementType: UInt8
        public var tensorIndex: UInt32?
        public var shape: [UInt32]
        public var quantizedDimension: UInt8?
    }
    public struct Signature: Codable, Equatable, Sendable {
        public var algorithm: String
        public var keyID: String
        public var signedLength: Int
        public var signature: String
    }

    public var formatVersion: String
    public var bundleLength: UInt32
    public var windowSize: UInt32
    public var sequence: UInt64
    public var base: Model
    public var target: Model
    public var sections: [Section]
    public var metadata: [String: String]
    public var tensorMap: [Tensor]
    public var signature: Signature
    /// What was checked: digests, header and table rules, and the signature
    /// when trusted keys were given (`BundleVerification`).
    public var verification: BundleVerification

    /// Describes `bundle`; `verification` defaults to the checks that need no key.
    public init(_ bundle: ParsedBundle, verification: BundleVerification? = nil) throws(FormatError) {
        self.verification = verification ?? BundleVerification.check(bundle)
        let h = bundle.header
        formatVersion = "\(h.major).\(h.minor)"
        bundleLength = h.bundleLength
        windowSize = h.windowSize
        sequence = h.sequence
        base = Model(length: h.baseLength, sha256: h.baseSHA256.hex)
        target = Model(length: h.targetLength, sha256: h.targetSHA256.hex)
        sections = []
        for (i, entry) in bundle.table.entries.enumerated() {
            var ops: [String: Int]?
            if entry.kind.isOpStream {
                var counts: [String: Int] = [:]
                for op in try bundle.operations(entry) { counts[Self.name(op.opcode), default: 0] += 1 }
                ops = counts
            }
            sections.append(Section(
                index: i, kind: entry.kind.description, kindCode: entry.kind.rawValue, codec: Self.name(entry.codec),
                offset: entry.offset, storedLength: entry.storedLength, decodedLength: entry.decodedLength,
                sha256: entry.kind == .signature ? "" : entry.digest.hex, operations: ops))
        }
        metadata = [:]
        for (tag, value) in try bundle.metadata() {
            let key = MetadataTag(rawValue: tag).map { "\($0)" } ?? "tag\(tag)"
            metadata[key] = String(decoding: value, as: UTF8.self)
        }
        tensorMap = try bundle.tensorMap().map { e in
            let dims = [e.shape.0, e.shape.1, e.shape.2, e.shape.3].prefix(Int(e.rank))
            return Tensor(offset: e.offset, length: e.length, role: Self.name(e.role), elementType: e.elementType,
                          tensorIndex: e.tensorIndex == 0xFFFF_FFFF ? nil : e.tensorIndex, shape: Array(dims),
                          quantizedDimension: e.quantizedDimension == 255 ? nil : e.quantizedDimension)
        }
        let sig = bundle.signature
        signature = Signature(
            algorithm: sig.algorithm == SignatureBlock.ed25519 ? "ed25519" : "ecdsa-p256-sha256",
            keyID: sig.keyID.hex, signedLength: bundle.table.signedLength,
            signature: sig.withSignatureBytes { hexString($0) })
    }

    /// Pretty, key-sorted JSON with a final newline (stable for golden files).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func name(_ codec: SectionCodec) -> String {
        switch codec {
        case .stored: return "stored"
        case .deflate(let bits): return "deflate-w\(bits)"
        }
    }

    static func name(_ opcode: Opcode) -> String { "\(opcode.descriptor.name)" }

    static func name(_ role: TensorMapEntry.Role) -> String {
        var parts: [String] = []
        if role.contains(.weights) { parts.append("weights") }
        if role.contains(.bias) { parts.append("bias") }
        if role.contains(.scales) { parts.append("scales") }
        if role.contains(.zeroPoints) { parts.append("zeroPoints") }
        if role.contains(.other) { parts.append("other") }
        return parts.joined(separator: "+")
    }
}

extension MetadataTag: CustomStringConvertible {
    public var description: String {
        switch self {
        case .name: return "name"
        case .tool: return "tool"
        case .baseFile: return "baseFile"
        case .targetFile: return "targetFile"
        case .adapterID: return "adapterID"
        case .note: return "note"
        }
    }
}
