import AdapterFormat
import AdapterLoader

/// Turns a `BundlePlan` into a signed bundle, and holds the one self-check
/// policy: every bundle handed out has been applied and unapplied by the
/// device loader, in its declared window, with the exact expected results.
public enum BundleAssembler {
    public static let toolVersion = "adapterpack 0.1.0"

    /// The plan's sections, each in its smallest coding whose decoder fits
    /// the window, written and signed. Not self-checked: see `checkedBundle`.
    public static func assemble(_ plan: BundlePlan, base: [UInt8], key: SigningKey,
                                options: BundleOptions) throws -> [UInt8] {
        if options.format == 2 { return try StreamBundleWriter.write(plan, base: base, key: key, options: options) }
        // A factors section reserves the window's last 512 bytes (§6): decoders get the rest.
        // Without deflate no inflater fits the window, so every section stays stored.
        let decoderWindow = options.deflate ? options.maxWindow - (plan.factors.isEmpty ? 0 : WindowLayout.factorBuffer) : 0
        var metadata = MetadataWriter()
        if let name = options.name { metadata.add(.name, name) }
        metadata.add(.tool, toolVersion)
        if let file = options.baseFile { metadata.add(.baseFile, file) }
        if let file = options.targetFile { metadata.add(.targetFile, file) }
        for record in plan.metadata { metadata.add(record.tag, record.value) }
        var sections: [SectionPayload] = [.stored(.metadata, metadata.bytes)]
        if !plan.tensorMap.isEmpty { sections.append(.tensorMap(plan.tensorMap)) }
        if !plan.layout.isEmpty { sections.append(.smallest(.layout, plan.layout.bytes, maxWindow: decoderWindow)) }
        if !plan.scales.isEmpty { sections.append(.segmented(.scales, plan.scales, maxWindow: decoderWindow)) }
        if !plan.payload.isEmpty { sections.append(.segmented(.payload, plan.payload, maxWindow: decoderWindow)) }
        if !plan.undo.isEmpty { sections.append(.smallest(.undo, plan.undo.bytes, maxWindow: decoderWindow)) }
        if !plan.factors.isEmpty { sections.append(.stored(.factors, plan.factors)) }
        return try BundleWriter.write(sections: sections, sequence: options.sequence, segmentSize: options.segmentSize,
                                      base: base, target: plan.target, key: key)
    }

    /// Assembles the plan and runs the result through the device loader:
    /// apply must give the plan's target and unapply the base again.
    public static func checkedBundle(_ plan: BundlePlan, base: [UInt8], key: SigningKey,
                                     options: BundleOptions) throws -> [UInt8] {
        let bytes = try assemble(plan, base: base, key: key, options: options)
        try selfCheck(bytes, base: base, target: plan.target, key: key)
        return bytes
    }

    /// Apply gives `target` and unapply gives `base`, with the device loader
    /// in the bundle's declared window; throws `BundleBuildError.selfCheck` naming what failed.
    public static func selfCheck(_ bytes: [UInt8], base: [UInt8], target: [UInt8], key: SigningKey) throws {
        let keys = TrustedKeys([key.verifyingKey])
        let streamed = BundleFormat.of(bytes) == 2
        let applied = try loaderStep("apply", expected: target, result: "the planned target") {
            streamed ? try StreamHostLoader.apply(bundle: bytes, base: base, keys: keys).model
                     : try HostLoader.apply(bundle: bytes, base: base, keys: keys).model
        }
        _ = try loaderStep("unapply", expected: base, result: "the base") {
            streamed ? try StreamHostLoader.unapply(bundle: bytes, target: applied, keys: keys).model
                     : try HostLoader.unapply(bundle: bytes, target: applied, keys: keys).model
        }
    }

    /// One direction of the self-check: the loader must run and give `expected`.
    private static func loaderStep(_ name: String, expected: [UInt8], result: String,
                                   _ run: () throws -> [UInt8]) throws -> [UInt8] {
        let model: [UInt8]
        do { model = try run() } catch {
            throw BundleBuildError.selfCheck("the device loader refused to \(name) the bundle: \(error)")
        }
        guard model == expected else {
            throw BundleBuildError.selfCheck("the device loader's \(name) of the bundle does not give \(result)")
        }
        return model
    }
}

/// Which major format a bundle's bytes claim (byte 4 of the front: 2 for
/// format 2; format 1 keeps a 16-bit major there, 1).
public enum BundleFormat {
    public static func of(_ bytes: [UInt8]) -> Int {
        bytes.count > 5 && bytes[0 ..< 4].elementsEqual([0x41, 0x44, 0x50, 0x42]) ? Int(bytes[4]) : 0
    }
}
