/// Which published bundle a device should get: among the targets whose
/// `custom.adapterpack` fields name the device's base model, cohort and device
/// class (a bundle published without a cohort or class matches only a device
/// given none), the one with the highest sequence above the device's.
public enum BundleSelection {
    public static func newest(in targets: [TUFTargetEntry], baseSHA256: String, cohort: String?, deviceClass: String?,
                              above minimumSequence: UInt64) -> (entry: TUFTargetEntry, info: BundleTargetInfo)? {
        var best: (entry: TUFTargetEntry, info: BundleTargetInfo)?
        for entry in targets {
            guard let info = BundleTargetInfo(custom: entry.custom), info.baseSHA256 == baseSHA256.lowercased(),
                  info.cohort == cohort, info.deviceClass == deviceClass, info.sequence > minimumSequence else { continue }
            if best == nil || info.sequence > best!.info.sequence
                || (info.sequence == best!.info.sequence && entry.path < best!.entry.path) {
                best = (entry, info)
            }
        }
        return best
    }
}

extension TUFUpdater {
    /// Checks downloaded bytes against the target's signed length and hashes.
    public static func check(_ bytes: [UInt8], against entry: TUFTargetEntry) throws(TUFClientError) {
        try tufCheckFile(bytes, length: entry.length, hashes: entry.hashes, file: entry.path)
    }
}
