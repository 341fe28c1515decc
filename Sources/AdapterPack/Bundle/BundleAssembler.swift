import AdapterFormat
import AdapterLoader

/// Turns a `BundlePlan` into a signed bundle, and holds the one self-check
/// policy: every bundle handed out has been applied and unapplied by the
/// device loader, streamed, in its declared window, with the exact expected results.
public enum BundleAssembler {
    public static let toolVersion = "adapterpack 0.2.0"

    /// The plan as records in chained blocks (`BundleWriter`), signed. Not
    /// self-checked: see `checkedBundle`.
    public static func assemble(_ plan: BundlePlan, base: [UInt8], key: SigningKey,
                                options: BundleOptions) throws -> [UInt8] {
        try BundleWriter.write(plan, base: base, key: key, options: options)
    }

    /// Assembles the plan and runs the result through the device loader:
    /// apply must give the plan's target and unapply the base again (a
    /// one-way plan: unapply must refuse).
    public static func checkedBundle(_ plan: BundlePlan, base: [UInt8], key: SigningKey,
                                     options: BundleOptions) throws -> [UInt8] {
        let bytes = try assemble(plan, base: base, key: key, options: options)
        try selfCheck(bytes, base: base, target: plan.target, key: key, oneWay: plan.oneWay)
        return bytes
    }

    /// Apply gives `target` and unapply gives `base` (`oneWay`: unapply
    /// refuses, the target untouched), with the device loader in the bundle's
    /// declared window; throws `BundleBuildError.selfCheck` naming what failed.
    public static func selfCheck(_ bytes: [UInt8], base: [UInt8], target: [UInt8], key: SigningKey,
                                 oneWay: Bool = false) throws {
        let keys = TrustedKeys([key.verifyingKey])
        let applied = try loaderStep("apply", expected: target, result: "the planned target") {
            try HostLoader.apply(bundle: bytes, base: base, keys: keys).model
        }
        if oneWay {
            do {
                _ = try HostLoader.unapply(bundle: bytes, target: applied, keys: keys)
            } catch LoaderError.oneWay {
                return
            } catch {
                throw BundleBuildError.selfCheck("the device loader's unapply of the one-way bundle failed otherwise: \(error)")
            }
            throw BundleBuildError.selfCheck("the device loader unapplied a one-way bundle")
        }
        _ = try loaderStep("unapply", expected: base, result: "the base") {
            try HostLoader.unapply(bundle: bytes, target: applied, keys: keys).model
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

/// Which major format a bundle's bytes claim: byte 4 after the "ADPB" magic
/// (2 for this format; format 1 kept a 16-bit 1 there); 0 for no bundle.
public enum BundleFormat {
    public static func of(_ bytes: [UInt8]) -> Int {
        bytes.count > 5 && bytes[0 ..< 4].elementsEqual([0x41, 0x44, 0x50, 0x42]) ? Int(bytes[4]) : 0
    }
}
