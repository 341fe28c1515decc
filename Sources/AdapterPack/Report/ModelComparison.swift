/// A bundle's size next to the alternatives: sending the whole target model
/// (raw or zlib-9) and a byte-level delta (`ByteDelta`).
public struct ModelComparison: Codable, Equatable, Sendable {
    public var bundleBytes: Int
    /// The length of the model the device runs: the target's length from the
    /// header, less `keptForUnapplyBytes`.
    public var fullModelRawBytes: Int
    /// Bytes after the model the device runs that only keep base rows for
    /// unapply (LoRA bundles whose layout appends them); not counted as model.
    public var keptForUnapplyBytes: Int?
    /// zlib level 9 of the target, or of the base when the target is unknown.
    public var fullModelZlib9Bytes: Int?
    /// `target`, `base (proxy: target not available)`, or nil.
    public var fullModelZlib9Of: String?
    public var byteDeltaZlib9Bytes: Int?
    public var byteDeltaMethod: String?
    /// How the target was obtained: `applied (--key)`, `file (--target)`, or nil.
    public var targetSource: String?
    /// 1 − bundle / alternative: the fraction of bytes the bundle saves.
    public var savingVsFullRaw: Double
    public var savingVsFullZlib9: Double?
    public var savingVsByteDelta: Double?

    /// `keptBytes`: how many bytes at the end of the target are kept base rows
    /// (see `keptForUnapplyBytes`); the comparisons use the target without them.
    public init(bundleBytes: Int, targetLength: Int, base: [UInt8]?, target fullTarget: [UInt8]?, targetSource: String?,
                keptBytes: Int = 0) {
        self.bundleBytes = bundleBytes
        let kept = max(0, min(keptBytes, targetLength))
        keptForUnapplyBytes = kept > 0 ? kept : nil
        let targetLength = targetLength - kept
        let target = fullTarget.map { Array($0.prefix(targetLength)) }
        fullModelRawBytes = targetLength
        savingVsFullRaw = Self.saving(bundleBytes, targetLength)
        if let target {
            fullModelZlib9Bytes = Deflate.zlibSize(target, level: 9)
            fullModelZlib9Of = "target"
        } else if let base {
            fullModelZlib9Bytes = Deflate.zlibSize(base, level: 9)
            fullModelZlib9Of = "base (proxy: target not available)"
        }
        savingVsFullZlib9 = fullModelZlib9Bytes.map { Self.saving(bundleBytes, $0) }
        if let base, let target {
            let delta = ByteDelta.size(base: base, target: target)
            byteDeltaZlib9Bytes = delta
            byteDeltaMethod = ByteDelta.method
            savingVsByteDelta = Self.saving(bundleBytes, delta)
        }
        self.targetSource = target == nil ? nil : targetSource
    }

    static func saving(_ bundle: Int, _ alternative: Int) -> Double {
        alternative > 0 ? 1 - Double(bundle) / Double(alternative) : 0
    }
}
