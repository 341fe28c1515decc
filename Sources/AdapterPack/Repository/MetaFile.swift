/// What snapshot and timestamp say about another metadata file: its version, and
/// optionally its length and SHA-256.
public struct MetaFile: Equatable, Sendable {
    public var version: Int64
    public var length: Int64?
    public var sha256: String?

    public init(version: Int64, length: Int64? = nil, sha256: String? = nil) {
        self.version = version
        self.length = length
        self.sha256 = sha256
    }

    /// The entry for a file with these bytes.
    public init(version: Int64, bytes: [UInt8]) {
        self.init(version: version, length: Int64(bytes.count), sha256: hexString(AdapterPack.sha256(bytes).bytes))
    }

    var json: JSONValue {
        var members: [String: JSONValue] = ["version": .integer(version)]
        if let length { members["length"] = .integer(length) }
        if let sha256 { members["hashes"] = .object(["sha256": .string(sha256)]) }
        return .object(members)
    }

    init(json value: JSONValue, name: String, file: String) throws(RepositoryError) {
        guard let version = value["version"]?.integerValue, version >= 1 else {
            throw .badMetadata(file: file, reason: "meta entry \(name) has no version")
        }
        self.version = version
        length = value["length"]?.integerValue
        if let hashes = value["hashes"]?.objectValue {
            guard hashes.count == 1, let digest = hashes["sha256"]?.stringValue else {
                throw .badMetadata(file: file, reason: "meta entry \(name): only a sha256 hash is supported")
            }
            sha256 = digest
        }
    }

    /// Throws unless `bytes` have this entry's length and hash (when it has them).
    func check(_ bytes: [UInt8], file: String) throws(RepositoryError) {
        if let length, length != Int64(bytes.count) {
            throw .badMetadata(file: file, reason: "is \(bytes.count) bytes, its meta entry says \(length)")
        }
        if let sha256, sha256 != hexString(AdapterPack.sha256(bytes).bytes) {
            throw .badMetadata(file: file, reason: "SHA-256 differs from its meta entry")
        }
    }
}
