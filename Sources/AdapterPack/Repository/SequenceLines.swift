/// The device's anti-rollback line as the repository keeps it: per base model and cohort,
/// the highest bundle sequence held and the target path holding it. Built once per
/// command, so checking a batch of n bundles against m targets costs n + m, not n × m.
struct SequenceLines {
    private var held: [String: (sequence: UInt64, path: String)] = [:]

    init(_ targets: [String: TargetFile]) {
        for (path, target) in targets {
            if let info = BundleTargetInfo(custom: target.custom) { note(info, at: path) }
        }
    }

    /// Base digest and cohort; "\u{0}" cannot occur in either (hex, plain names).
    private static func line(_ info: BundleTargetInfo) -> String { info.baseSHA256 + "\u{0}" + (info.cohort ?? "") }

    /// Throws unless `info`'s sequence is above everything held on its line.
    func check(_ info: BundleTargetInfo, bundle: String) throws(RepositoryError) {
        if let top = held[Self.line(info)], info.sequence <= top.sequence {
            throw .sequenceNotAbove(path: bundle, sequence: info.sequence, held: top.sequence, heldBy: top.path,
                                    base: info.baseSHA256, cohort: info.cohort)
        }
    }

    mutating func note(_ info: BundleTargetInfo, at path: String) {
        let line = Self.line(info)
        if let top = held[line], top.sequence >= info.sequence { return }
        held[line] = (info.sequence, path)
    }
}
