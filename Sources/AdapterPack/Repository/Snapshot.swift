import Foundation

/// snapshot.json's signed part: the version of every targets metadata file.
public struct Snapshot: TUFRole, Equatable {
    public static let type = "snapshot"
    public var version: Int64
    public var expires: Date
    /// "targets.json" (and delegated roles' "NAME.json") → entry.
    public var meta: [String: MetaFile]

    public init(version: Int64, expires: Date, meta: [String: MetaFile]) {
        self.version = version
        self.expires = expires
        self.meta = meta
    }

    public func members() -> [String: JSONValue] { ["meta": .object(meta.mapValues { $0.json })] }

    public init(members: [String: JSONValue], version: Int64, expires: Date, file: String) throws(RepositoryError) {
        self.version = version
        self.expires = expires
        guard let entries = members["meta"]?.objectValue else { throw .badMetadata(file: file, reason: "meta is missing") }
        meta = [:]
        for (name, value) in entries { meta[name] = try MetaFile(json: value, name: name, file: file) }
        guard meta["targets.json"] != nil else { throw .badMetadata(file: file, reason: "meta has no targets.json") }
    }
}
