import AdapterFormat
import AdapterLoader

/// Builds an `OTAReport` from bundle files and optional base, targets and keys.
public struct ReportBuilder {
    public struct Input {
        public var path: String
        public var bytes: [UInt8]
        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    public var links: [any LinkModel] = LinkCatalog.all
    public var devices = 1
    public var pricePerMB: Double?
    public var currency = "USD"
    /// The base model, checked against every bundle's header.
    public var base: (path: String, bytes: [UInt8])?
    /// Keys to apply bundles with (reconstructs each target from the base).
    public var keys: TrustedKeys?
    /// Target models, matched to bundles by SHA-256.
    public var targets: [(path: String, bytes: [UInt8])] = []

    public init() {}

    public static let assumptions = [
        "Bundle bytes are the application payload on every link; per-frame protocol overhead is added per link (linkBytes).",
        "Time on air counts the frames that carry the bundle to the device; uplink time on air counts what the device sends back (acks, block requests).",
        "No losses, retransmissions or redundancy; session setup (pairing, join, attach, association, TLS/DTLS) is excluded.",
        "LoRaWAN: Class C multicast FUOTA fragments on 868.0–868.6 MHz at 1 % duty cycle (the 869.525 MHz RX2 channel allows 10 %, which divides wall time by about 10).",
        "Energy is radio energy of the device at the stated supply voltage (mJ = V × mA × s); MCU, flash writes and sleep current are excluded.",
        "Fleet totals are per bundle (the bundles are alternatives: each device gets one of them) and assume one unicast copy per device; a LoRaWAN multicast session serves every device in range at the per-device air time.",
        "A LoRA bundle's target ends with base rows kept for unapply; comparisons use the model the device runs (the target without them).",
        "The byte-level delta is a size yardstick only: it carries no header, digests or signature, assumes both models keep their layout, and its zlib stream needs a 32 KiB inflate window, while a bundle is applied within its declared RAM window.",
        "Cost is bundle bytes × devices / 10^6 × price per MB; carriers that bill IP headers charge on linkBytes instead.",
    ]

    public func build(_ inputs: [Input]) throws(ReportError) -> OTAReport {
        guard devices >= 1 else { throw .invalidOption("--fleet must be at least 1 device") }
        if let pricePerMB, !(pricePerMB >= 0 && pricePerMB.isFinite) {
            throw .invalidOption("--price-per-mb must be a non-negative number")
        }
        guard !links.isEmpty else { throw .invalidOption("--links selects no link") }
        var usedTargets = Set<Int>()
        var bundles: [OTAReport.Bundle] = []
        for input in inputs {
            let parsed: ParsedBundle
            do { parsed = try ParsedBundle(bytes: input.bytes) } catch {
                throw .notABundle(path: input.path, reason: error.description)
            }
            let header = parsed.header
            // Digests and rules first; the signature is checked with the keys below.
            var verification = BundleVerification.check(input.bytes).1
            if verification.hasProblems { throw .notVerified(path: input.path, problems: verification.problems) }
            if let base {
                guard base.bytes.count == Int(header.baseLength), sha256(base.bytes) == header.baseSHA256 else {
                    throw .baseMismatch(base: base.path, bundle: input.path)
                }
            }
            var target: [UInt8]?
            var targetSource: String?
            if let index = targets.firstIndex(where: { sha256($0.bytes) == header.targetSHA256 }) {
                target = targets[index].bytes
                targetSource = "file (--target)"
                usedTargets.insert(index)
            } else if let keys, let base {
                do {
                    target = try HostLoader.apply(bundle: input.bytes, base: base.bytes, keys: keys).model
                } catch {
                    let signature: Bool
                    switch error {
                    case .signatureInvalid, .unknownKey, .unsupportedAlgorithm: signature = true
                    default: signature = false
                    }
                    throw .applyFailed(bundle: input.path, reason: (signature ? "NOT VERIFIED: " : "") + error.description)
                }
                targetSource = "applied (--key)"
            }
            if let keys {
                verification = BundleVerification.check(input.bytes, keys: keys).1
                if verification.hasProblems { throw .notVerified(path: input.path, problems: verification.problems) }
            }
            let comparison = ModelComparison(bundleBytes: input.bytes.count, targetLength: Int(header.targetLength),
                                             base: base?.bytes, target: target, targetSource: targetSource,
                                             keptBytes: Self.keptForUnapply(parsed))
            let transfers = links.map { $0.transfer(bytes: input.bytes.count) }
            let name = (try? parsed.metadata())?.first { $0.tag == MetadataTag.name.rawValue }
                .map { String(decoding: $0.value, as: UTF8.self) }
            bundles.append(OTAReport.Bundle(
                file: input.path, name: name, bundleBytes: input.bytes.count, sequence: UInt64(header.sequence),
                windowBytes: Int(header.windowSize), baseBytes: Int(header.baseLength),
                targetBytes: Int(header.targetLength), baseSHA256: header.baseSHA256.hex,
                targetSHA256: header.targetSHA256.hex, sizes: BundleSizeAnalysis(parsed), comparison: comparison,
                links: transfers,
                fleet: FleetTotals(devices: devices, bundleBytes: input.bytes.count, perDevice: [transfers],
                                   pricePerMB: pricePerMB),
                verification: verification, accuracy: AccuracyRecord(bundle: parsed)))
        }
        if let unused = targets.indices.first(where: { !usedTargets.contains($0) }) {
            throw .targetMatchesNoBundle(path: targets[unused].path)
        }
        return OTAReport(
            schema: OTAReport.schemaID, tool: BundleAssembler.toolVersion,
            fleet: .init(devices: devices, pricePerMB: pricePerMB, currency: currency, bytesPerMB: 1_000_000),
            links: links.map(\.description), assumptions: Self.assumptions, bundles: bundles,
            fleetTotals: FleetTotals(devices: devices, bundleBytes: bundles.reduce(0) { $0 + $1.bundleBytes },
                                     perDevice: bundles.map(\.links), pricePerMB: pricePerMB),
            baseModel: base.map { OTAReport.BaseModel(file: $0.path, bytes: $0.bytes.count, sha256: sha256($0.bytes).hex) },
            signaturesVerified: !bundles.isEmpty && bundles.allSatisfy(\.verification.verified))
    }

    /// Bytes at the end of the target that only keep base rows for unapply: a
    /// LoRA bundle (factor records) whose layout grows the model to the target
    /// length and moves base bytes past the base's end, with every content
    /// operation inside the base's length. The device runs the first
    /// `baseLength` bytes. 0 for every other bundle.
    static func keptForUnapply(_ parsed: ParsedBundle) -> Int {
        let h = parsed.header
        guard h.targetLength > h.baseLength, h.factorBytes > 0, let ops = try? parsed.operations(.layout), !ops.isEmpty,
              let content = try? parsed.operations(.scales) + parsed.operations(.payload) else { return 0 }
        let base = UInt64(h.baseLength)
        for op in ops {
            switch op.opcode {
            case .setLength:
                guard op.length == h.targetLength else { return 0 }
            case .move:
                guard UInt64(op.offset) + UInt64(op.length) <= base, UInt64(op.destination) >= base else { return 0 }
            default:
                return 0
            }
        }
        guard content.allSatisfy({ $0.writtenRange.start + $0.writtenRange.count <= base }) else { return 0 }
        return Int(h.targetLength - h.baseLength)
    }
}
