/// A simple byte-level delta computed in-process, as a yardstick for what a
/// generic binary diff achieves without knowing the model format: for the
/// bytes both files have, the byte-wise difference (target − base) mod 256
/// (the "diff block" of bsdiff, without bsdiff's suffix-sort matching of moved
/// data), followed by the target bytes past the base length; the whole
/// compressed with zlib level 9. Unchanged bytes become zeros, which deflate
/// squeezes to almost nothing; changed weights cost what their differences
/// cost.
public enum ByteDelta {
    public static let method =
        "byte-wise (target − base) mod 256 over the common length + target tail, zlib level 9 (bsdiff-style diff block without its matching)"

    /// The uncompressed delta bytes.
    public static func delta(base: [UInt8], target: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: target.count)
        let common = min(base.count, target.count)
        for i in 0 ..< common { out[i] = target[i] &- base[i] }
        for i in common ..< target.count { out[i] = target[i] }
        return out
    }

    /// Size of the zlib-9 compressed delta: what a device would receive.
    public static func size(base: [UInt8], target: [UInt8]) -> Int {
        Deflate.zlibSize(delta(base: base, target: target), level: 9)
    }
}
