import Foundation

/// timestamp.json's signed part: the current snapshot. The one file clients fetch
/// without a version in its name, so the repository writes it last.
public struct Timestamp: TUFRole, Equatable {
    public static let type = "timestamp"
    public var version: Int64
    public var expires: Date
    public var snapshot: MetaFile

    public init(version: Int64, expires: Date, snapshot: MetaFile) {
        self.version = version
        self.expires = expires
        self.snapshot = snapshot
    }

    public func members() -> [String: JSONValue] { ["meta": .object(["snapshot.json": snapshot.json])] }

    public init(members: [String: JSONValue], version: Int64, expires: Date, file: String) throws(RepositoryError) {
        self.version = version
        self.expires = expires
        guard let meta = members["meta"]?.objectValue, meta.count == 1, let entry = meta["snapshot.json"] else {
            throw .badMetadata(file: file, reason: "meta must hold exactly snapshot.json")
        }
        snapshot = try MetaFile(json: entry, name: "snapshot.json", file: file)
    }
}
