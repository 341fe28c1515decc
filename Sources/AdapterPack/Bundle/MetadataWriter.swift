import AdapterFormat

/// Builds the metadata section: tag-length-value records (Spec/FORMAT.md §7).
public struct MetadataWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func add(_ tag: MetadataTag, _ text: String) {
        let value = Array(text.utf8.prefix(Int(UInt16.max)))
        bytes += [UInt8(tag.rawValue & 0xFF), UInt8(tag.rawValue >> 8),
                  UInt8(value.count & 0xFF), UInt8(value.count >> 8)]
        bytes += value
    }
}
