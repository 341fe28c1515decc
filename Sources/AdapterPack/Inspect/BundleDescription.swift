import AdapterFormat
import AdapterLoader
import Foundation

/// What `adapterpack inspect` shows: the front, each block with its records,
/// per-kind totals, records for people, the signature and what was
/// verified. Its JSON form is the golden output in `Spec/vectors/`.
public struct BundleDescription: Codable, Equatable, Sendable {
    public struct Model: Codable, Equatable, Sendable {
        public var length: UInt32
        public var sha256: String
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
        /// Bytes the signature covers directly: the front and block 0.
        public var signedLength: Int
        public var signature: String
    }
    public struct Block: Codable, Equatable, Sendable {
        public var index: Int
        public var offset: Int
        public var length: Int
        public var sha256: String
        /// Record kinds in order ("payload@3" for a content record of segment 3).
        public var records: [String]
    }
    /// All records of one kind: what format 1 called a section.
    public struct Section: Codable, Equatable, Sendable {
        public var kind: String
        public var records: Int
        public var storedLength: Int
        public var decodedLength: Int
        public var codecs: [String]
        public var operations: [String: Int]?
    }

    public var formatVersion: String
    public var bundleLength: UInt32
    public var windowSize: UInt32
    public var sequence: UInt32
    public var segmentSize: UInt32
    public var blockLimit: Int
    public var stepBound: UInt32
    public var factorBytes: UInt16
    /// The front's one-way flag: unapply refuses; a restore bundle undoes it.
    public var oneWay: Bool
    public var base: Model
    public var target: Model
    public var blocks: [Block]
    public var sections: [Section]
    public var metadata: [String: String]
    public var tensorMap: [Tensor]
    public var signature: Signature
    public var verification: BundleVerification

    public init(_ bundle: ParsedBundle, verification: BundleVerification? = nil) throws(FormatError) {
        self.verification = verification ?? BundleVerification.check(bundle.bytes).1
        let h = bundle.header
        formatVersion = "\(h.major).\(h.minor)"
        bundleLength = h.bundleLength
        windowSize = h.windowSize
        sequence = h.sequence
        segmentSize = h.segmentSize
        blockLimit = h.blockLimit
        stepBound = h.stepBound
        factorBytes = h.factorBytes
        oneWay = h.flags & StreamHeader.oneWayFlag != 0
        base = .init(length: h.baseLength, sha256: h.baseSHA256.hex)
        target = .init(length: h.targetLength, sha256: h.targetSHA256.hex)
        blocks = bundle.blocks.map { block in
            Block(index: block.index, offset: block.offset, length: block.length, sha256: block.sha256.hex,
                  records: block.records.map { $0.kind.isSegmented ? "\($0.kind)@\($0.segment)" : "\($0.kind)" })
        }
        sections = []
        for kind in SectionKind.allCases where kind != .signature {
            let records = bundle.records(of: kind)
            guard !records.isEmpty else { continue }
            var ops: [String: Int]?
            if kind.isOpStream {
                var counts: [String: Int] = [:]
                for op in try bundle.operations(kind) { counts[Self.name(op.opcode), default: 0] += 1 }
                ops = counts
            }
            sections.append(Section(kind: "\(kind)", records: records.count,
                                    storedLength: records.reduce(0) { $0 + Int($1.storedLength) },
                                    decodedLength: records.reduce(0) { $0 + Int($1.decodedLength) },
                                    codecs: Array(Set(records.map { Self.name($0.codec) })).sorted(),
                                    operations: ops))
        }
        metadata = [:]
        for (tag, value) in try bundle.metadata() {
            let key = MetadataTag(rawValue: tag).map { "\($0)" } ?? "tag\(tag)"
            metadata[key] = String(decoding: value, as: UTF8.self)
        }
        tensorMap = try bundle.tensorMap().map { Tensor($0) }
        signature = .init(algorithm: bundle.algorithmName, keyID: bundle.keyIDHex,
                          signedLength: StreamHeader.size + bundle.blocks[0].length,
                          signature: hexString(bundle.signature))
    }

    /// Pretty, key-sorted JSON with a final newline (stable for golden files).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The person-readable form.
    public func text() -> String {
        var out: [String] = [verification.summary]
        for problem in verification.problems.dropFirst() { out.append("NOT VERIFIED: \(problem)") }
        for note in verification.notes { out.append("note: \(note)") }
        out.append("adapterpack bundle, format \(formatVersion) (streamed: verified and applied block by block)")
        out.append("  bundle length   \(bundleLength) bytes")
        out.append("  RAM window      \(windowSize) bytes (blocks up to \(blockLimit), factors \(factorBytes))")
        out.append("  sequence        \(sequence)")
        out.append("  segment size    \(segmentSize) bytes; at most \(stepBound) power-fail steps")
        out.append("  base model      \(base.length) bytes  sha256 \(base.sha256)")
        out.append("  target model    \(target.length) bytes  sha256 \(target.sha256)")
        out.append("  unapply         " + (oneWay ? "no: one-way bundle; its restore bundle (target → base) brings the base back"
                                                  : "yes: the bundle reverses itself"))
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { out.append("  \(key.padding(15)) \(value)") }
        out.append("sections (records of each kind):")
        out.append("  kind        records   stored  decoded  codecs             operations")
        for s in sections {
            let ops = s.operations.map { $0.sorted(by: { $0.key < $1.key }).map { "\($0.key)×\($0.value)" }.joined(separator: " ") } ?? ""
            out.append("  \(s.kind.padding(11)) \(String(s.records).leftPad(7)) \(String(s.storedLength).leftPad(8)) "
                       + "\(String(s.decodedLength).leftPad(8))  \(s.codecs.joined(separator: ",").padding(18)) \(ops)")
        }
        out.append("blocks:")
        for b in blocks {
            out.append("  \(String(b.index).leftPad(3))  offset \(String(b.offset).leftPad(6))  \(String(b.length).leftPad(5)) bytes  "
                       + "\(b.records.count) records  sha256 \(b.sha256.prefix(16))…")
        }
        if !tensorMap.isEmpty {
            out.append("changed tensors:")
            for t in tensorMap {
                let index = t.tensorIndex.map { "tensor \($0)" } ?? "region"
                let shape = t.shape.map(String.init).joined(separator: "×")
                out.append("  \(index.padding(11)) \(t.role.padding(10)) type \(String(t.elementType).padding(3)) shape \(shape.padding(12)) bytes \(t.offset)..<\(t.offset + t.length)")
            }
        }
        out.append("signature:")
        out.append("  algorithm       \(signature.algorithm)")
        out.append("  key id          \(signature.keyID)")
        out.append("  covers          the front and block 0 (\(signature.signedLength) bytes); block k covers block k+1")
        out.append("  checked         " + (verification.verified ? "yes, with a trusted key"
                                           : verification.signatureChecked ? "FAILED" : "no (give --trusted-key PUB.pem)"))
        return out.joined(separator: "\n") + "\n"
    }
}

extension BundleDescription.Tensor {
    init(_ e: TensorMapEntry) {
        let dims = [e.shape.0, e.shape.1, e.shape.2, e.shape.3].prefix(Int(e.rank))
        self.init(offset: e.offset, length: e.length, role: BundleDescription.name(e.role), elementType: e.elementType,
                  tensorIndex: e.tensorIndex == 0xFFFF_FFFF ? nil : e.tensorIndex, shape: Array(dims),
                  quantizedDimension: e.quantizedDimension == 255 ? nil : e.quantizedDimension)
    }
}

extension BundleDescription {
    static func name(_ codec: SectionCodec) -> String {
        switch codec {
        case .stored: return "stored"
        case .deflate(let bits): return "deflate-w\(bits)"
        case .values: return "values"
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
        case .accuracy: return "accuracy"
        }
    }
}
