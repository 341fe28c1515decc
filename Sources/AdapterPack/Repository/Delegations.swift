/// A delegated targets role: who signs it and which target paths it is trusted for
/// (here by `path_hash_prefixes`: hex prefixes of the SHA-256 of the target path).
public struct DelegatedRole: Equatable, Sendable {
    public var name: String
    public var keys: RoleKeys
    public var terminating: Bool
    public var pathHashPrefixes: [String]

    public init(name: String, keys: RoleKeys, terminating: Bool, pathHashPrefixes: [String]) {
        self.name = name
        self.keys = keys
        self.terminating = terminating
        self.pathHashPrefixes = pathHashPrefixes
    }

    var json: JSONValue {
        .object([
            "name": .string(name), "keyids": .array(keys.keyids.map { .string($0) }),
            "threshold": .integer(Int64(keys.threshold)), "terminating": .bool(terminating),
            "path_hash_prefixes": .array(pathHashPrefixes.map { .string($0) }),
        ])
    }

    init(json value: JSONValue, file: String) throws(RepositoryError) {
        guard let name = value["name"]?.stringValue, BundleTargetInfo.isPlainName(name) else {
            throw .badMetadata(file: file, reason: "a delegated role has no plain name")
        }
        guard let terminating = value["terminating"]?.boolValue,
              let prefixes = value["path_hash_prefixes"]?.arrayValue?.compactMap(\.stringValue),
              value["paths"] == nil
        else {
            throw .badMetadata(file: file, reason: "delegated role \(name) needs terminating and path_hash_prefixes (paths are not supported)")
        }
        self.name = name
        keys = try RoleKeys(json: value, role: name, file: file)
        self.terminating = terminating
        pathHashPrefixes = prefixes
    }

    /// True if the role is trusted for `targetPath`.
    public func covers(_ targetPath: String) -> Bool { covers(pathHash: HashedBins.pathHash(targetPath)) }

    /// The same for a path whose hash (`HashedBins.pathHash`) is known.
    public func covers(pathHash digest: String) -> Bool { pathHashPrefixes.contains { digest.hasPrefix($0) } }
}

/// targets.json's `delegations`: the delegated roles' keys and roles, in priority order.
public struct Delegations: Equatable, Sendable {
    public var keys: [String: TUFKey]
    public var roles: [DelegatedRole]

    /// The first role trusted for `targetPath`. Hashed bins whose prefixes all have one
    /// length are found by one dictionary lookup (`BinLookup`), not by trying every role.
    public func role(for targetPath: String, lookup: BinLookup? = nil) -> DelegatedRole? {
        roleIndex(for: targetPath, lookup: lookup).map { roles[$0] }
    }

    /// The index in `roles` of `role(for:lookup:)`.
    public func roleIndex(for targetPath: String, lookup: BinLookup? = nil) -> Int? {
        let digest = HashedBins.pathHash(targetPath)
        if let lookup { return lookup.index(pathHash: digest) }
        return roles.firstIndex { $0.covers(pathHash: digest) }
    }

    public init(keys: [String: TUFKey], roles: [DelegatedRole]) {
        self.keys = keys
        self.roles = roles
    }

    var json: JSONValue {
        .object(["keys": .object(keys.mapValues { $0.json }), "roles": .array(roles.map { $0.json })])
    }

    init(json value: JSONValue, file: String) throws(RepositoryError) {
        guard let keyObjects = value["keys"]?.objectValue, let roleValues = value["roles"]?.arrayValue else {
            throw .badMetadata(file: file, reason: "delegations need keys and roles")
        }
        keys = [:]
        for (id, key) in keyObjects { keys[id] = try TUFKey(json: key, keyid: id, file: file) }
        roles = []
        for role in roleValues {
            let parsed = try DelegatedRole(json: role, file: file)
            guard !roles.contains(where: { $0.name == parsed.name }), !Root.roleNames.contains(parsed.name) else {
                throw .badMetadata(file: file, reason: "delegated role name \(parsed.name) is used twice or is a top-level role")
            }
            for id in parsed.keys.keyids where keys[id] == nil {
                throw .badMetadata(file: file, reason: "delegated role \(parsed.name) names key \(id), which keys does not hold")
            }
            roles.append(parsed)
        }
    }
}

/// Hashed-bin delegation: targets delegates to `count` roles, each trusted for an equal
/// range of target-path hash prefixes, so a client fetches targets.json and one small bin
/// instead of one targets file listing every bundle.
public enum HashedBins {
    /// Lowercase hex SHA-256 of the target path's UTF-8 bytes.
    public static func pathHash(_ targetPath: String) -> String { hexString(sha256(Array(targetPath.utf8)).bytes) }

    /// Hex digits per prefix for `count` bins.
    public static func prefixLength(_ count: Int) -> Int { count <= 16 ? 1 : count <= 256 ? 2 : 3 }

    /// Accepted bin counts: powers of two from 2 to 4096.
    public static func isValidCount(_ count: Int) -> Bool { count >= 2 && count <= 4096 && count & (count - 1) == 0 }

    /// The delegated roles for `count` bins, all signed by `keyid` (threshold 1).
    public static func roles(count: Int, keyid: String) -> [DelegatedRole] {
        let length = prefixLength(count)
        let total = 1 << (4 * length)
        let perBin = total / count
        func hex(_ n: Int) -> String {
            let s = String(n, radix: 16)
            return String(repeating: "0", count: length - s.count) + s
        }
        return (0 ..< count).map { i in
            let prefixes = (i * perBin ..< (i + 1) * perBin).map(hex)
            let name = perBin == 1 ? "bins-\(prefixes[0])" : "bins-\(prefixes.first!)-\(prefixes.last!)"
            return DelegatedRole(name: name, keys: RoleKeys(keyids: [keyid], threshold: 1), terminating: true,
                                 pathHashPrefixes: prefixes)
        }
    }
}

/// Hash prefix → the first role listing it, for delegations whose prefixes all have the
/// same length (what `HashedBins` writes): finding the bin of n paths among b bins costs
/// n lookups instead of n × b prefix tests.
public struct BinLookup: Sendable {
    let length: Int
    let first: [String: Int]

    /// Nil when the roles' prefixes differ in length (then roles are tried in order).
    public init?(_ delegations: Delegations) {
        guard let length = delegations.roles.first?.pathHashPrefixes.first?.count,
              delegations.roles.allSatisfy({ $0.pathHashPrefixes.allSatisfy { $0.count == length } })
        else { return nil }
        var first: [String: Int] = [:]
        for (i, role) in delegations.roles.enumerated() {
            for prefix in role.pathHashPrefixes where first[prefix] == nil { first[prefix] = i }
        }
        self.length = length
        self.first = first
    }

    func index(pathHash digest: String) -> Int? { first[String(digest.prefix(length))] }
}
