import Foundation

/// root.json's signed part: the keys of every top-level role.
public struct Root: TUFRole, Equatable {
    public static let type = "root"
    public static let roleNames = ["root", "targets", "snapshot", "timestamp"]
    public var version: Int64
    public var expires: Date
    public var consistentSnapshot = true
    /// Key id → key.
    public var keys: [String: TUFKey]
    /// "root", "targets", "snapshot", "timestamp" → their keys.
    public var roles: [String: RoleKeys]

    public init(version: Int64, expires: Date, keys: [String: TUFKey], roles: [String: RoleKeys]) {
        self.version = version
        self.expires = expires
        self.keys = keys
        self.roles = roles
    }

    public func members() -> [String: JSONValue] {
        [
            "consistent_snapshot": .bool(consistentSnapshot),
            "keys": .object(keys.mapValues { $0.json }),
            "roles": .object(roles.mapValues { $0.json }),
        ]
    }

    public init(members: [String: JSONValue], version: Int64, expires: Date, file: String) throws(RepositoryError) {
        self.version = version
        self.expires = expires
        guard let consistent = members["consistent_snapshot"]?.boolValue else {
            throw .badMetadata(file: file, reason: "consistent_snapshot is missing")
        }
        consistentSnapshot = consistent
        guard let keyObjects = members["keys"]?.objectValue, let roleObjects = members["roles"]?.objectValue else {
            throw .badMetadata(file: file, reason: "keys or roles is missing")
        }
        keys = [:]
        for (id, value) in keyObjects { keys[id] = try TUFKey(json: value, keyid: id, file: file) }
        roles = [:]
        for (name, value) in roleObjects { roles[name] = try RoleKeys(json: value, role: name, file: file) }
        for name in Self.roleNames {
            guard let role = roles[name] else { throw .badMetadata(file: file, reason: "role \(name) is missing") }
            for id in role.keyids where keys[id] == nil {
                throw .badMetadata(file: file, reason: "role \(name) names key \(id), which keys does not hold")
            }
        }
    }

    /// The keys and threshold of `name`.
    public func role(_ name: String) -> RoleKeys { roles[name] ?? RoleKeys(keyids: [], threshold: 1) }
}
