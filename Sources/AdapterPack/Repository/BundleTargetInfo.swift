/// What `repo publish` records in a target's `custom` member, from the verified bundle
/// and the command line: enough for a device (or its gateway) to pick the bundle that
/// applies to the model it runs, without downloading it.
public struct BundleTargetInfo: Equatable, Sendable {
    public var baseSHA256: String
    public var targetSHA256: String
    public var sequence: UInt64
    public var windowSize: UInt32
    public var formatVersion: String
    public var cohort: String?
    public var deviceClass: String?

    public init(baseSHA256: String, targetSHA256: String, sequence: UInt64, windowSize: UInt32, formatVersion: String,
                cohort: String?, deviceClass: String?) {
        self.baseSHA256 = baseSHA256
        self.targetSHA256 = targetSHA256
        self.sequence = sequence
        self.windowSize = windowSize
        self.formatVersion = formatVersion
        self.cohort = cohort
        self.deviceClass = deviceClass
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "base_sha256": .string(baseSHA256), "target_sha256": .string(targetSHA256),
            "sequence": .integer(Int64(sequence)), "window": .integer(Int64(windowSize)),
            "format_version": .string(formatVersion),
        ]
        if let cohort { members["cohort"] = .string(cohort) }
        if let deviceClass { members["device_class"] = .string(deviceClass) }
        return .object(["adapterpack": .object(members)])
    }

    /// The fields of a target's custom member, if adapterpack wrote it.
    public init?(custom: JSONValue?) {
        guard let fields = custom?["adapterpack"], let base = fields["base_sha256"]?.stringValue,
              let target = fields["target_sha256"]?.stringValue, let sequence = fields["sequence"]?.integerValue,
              let window = fields["window"]?.integerValue, let format = fields["format_version"]?.stringValue
        else { return nil }
        self.init(baseSHA256: base, targetSHA256: target, sequence: UInt64(max(0, sequence)),
                  windowSize: UInt32(clamping: window), formatVersion: format,
                  cohort: fields["cohort"]?.stringValue, deviceClass: fields["device_class"]?.stringValue)
    }

    /// Cohort and device class names: 1-64 of [A-Za-z0-9._-], not starting with '.'.
    public static func isPlainName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1 ... 64).contains(bytes.count), bytes[0] != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy { b in
            (UInt8(ascii: "a") ... UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A") ... UInt8(ascii: "Z")).contains(b)
                || (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
                || b == UInt8(ascii: ".")
        }
    }
}
