import Foundation

/// One metadata file as the client reads it: the `signed` object (kept as JSON,
/// so unknown fields survive and the signed bytes are its canonical form) and
/// its signatures, with the fields every role has.
struct TUFEnvelope {
    let role: String
    let signed: [String: JSONValue]
    let signedBytes: [UInt8]
    let signatures: [(keyid: String, sig: String)]
    let version: Int64
    let expires: Date
    let expiresText: String

    /// Parses `bytes` as metadata of `type` ("root", "timestamp", "snapshot", "targets").
    init(bytes: [UInt8], type: String, role: String) throws(TUFClientError) {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch { throw .badMetadata(role: role, reason: error.description) }
        guard let signed = document["signed"]?.objectValue, let list = document["signatures"]?.arrayValue else {
            throw .badMetadata(role: role, reason: "no \"signed\" object or \"signatures\" list")
        }
        var signatures: [(String, String)] = []
        for entry in list {
            guard let keyid = entry["keyid"]?.stringValue, let sig = entry["sig"]?.stringValue else {
                throw .badMetadata(role: role, reason: "a signature without keyid or sig")
            }
            // Metadata that signs twice with one key is malformed (python-tuf refuses it too).
            guard !signatures.contains(where: { $0.0 == keyid }) else {
                throw .badMetadata(role: role, reason: "two signatures by key \(keyid)")
            }
            signatures.append((keyid, sig))
        }
        guard signed["_type"]?.stringValue == type else {
            throw .badMetadata(role: role, reason: "_type is \(signed["_type"]?.stringValue ?? "missing"), expected \(type)")
        }
        guard let spec = signed["spec_version"]?.stringValue, spec.split(separator: ".").count >= 2,
              spec.split(separator: ".").first == "1" else {
            throw .badMetadata(role: role, reason: "spec_version \(signed["spec_version"]?.stringValue ?? "missing") is not 1.x")
        }
        guard let version = signed["version"]?.integerValue, version >= 1 else {
            throw .badMetadata(role: role, reason: "version is missing or below 1")
        }
        guard let text = signed["expires"]?.stringValue, let expires = TUFTime.date(text) else {
            throw .badMetadata(role: role, reason: "expires is missing or not YYYY-MM-DDTHH:MM:SSZ")
        }
        self.role = role
        self.signed = signed
        signedBytes = CanonicalJSON.encode(.object(signed))
        self.signatures = signatures
        self.version = version
        self.expires = expires
        expiresText = text
    }

    func checkNotExpired(at now: Date) throws(TUFClientError) {
        guard expires > now else { throw .expired(role: role, expires: expiresText) }
    }
}

/// The keys and threshold a delegator gives a role.
struct TUFRoleKeys {
    let keyids: [String]
    let threshold: Int

    init(json: JSONValue, role: String) throws(TUFClientError) {
        guard let ids = json["keyids"]?.arrayValue, let threshold = json["threshold"]?.integerValue, threshold >= 1 else {
            throw .badMetadata(role: role, reason: "role without keyids or with a threshold below 1")
        }
        var keyids: [String] = []
        for id in ids {
            guard let text = id.stringValue else { throw .badMetadata(role: role, reason: "a keyid that is not a string") }
            guard !keyids.contains(text) else { throw .badMetadata(role: role, reason: "keyid \(text) listed twice") }
            keyids.append(text)
        }
        self.keyids = keyids
        self.threshold = Int(threshold)
    }

    /// Checks that `envelope` carries valid signatures of at least `threshold`
    /// distinct keys of this role. Unknown or unusable keys count for nothing.
    func verify(_ envelope: TUFEnvelope, keys: [String: TUFClientKey]) throws(TUFClientError) {
        var valid: Set<String> = []
        for signature in envelope.signatures where keyids.contains(signature.keyid) && !valid.contains(signature.keyid) {
            if let key = keys[signature.keyid], key.verify(envelope.signedBytes, signatureHex: signature.sig) {
                valid.insert(signature.keyid)
            }
        }
        guard valid.count >= threshold else {
            throw .unsigned(role: envelope.role, valid: valid.count, threshold: threshold)
        }
    }
}

/// Reads a `keys` object: key id → key. Keys the client cannot use are left out.
func tufKeys(_ json: JSONValue?, role: String) throws(TUFClientError) -> [String: TUFClientKey] {
    guard let members = json?.objectValue else { throw .badMetadata(role: role, reason: "no keys object") }
    var keys: [String: TUFClientKey] = [:]
    for (id, value) in members {
        if let key = TUFClientKey(json: value) { keys[id] = key }
    }
    return keys
}

/// Root metadata: the top-level roles' keys and thresholds.
struct TUFClientRoot {
    let envelope: TUFEnvelope
    let keys: [String: TUFClientKey]
    let roles: [String: TUFRoleKeys]
    let consistentSnapshot: Bool

    init(bytes: [UInt8]) throws(TUFClientError) {
        envelope = try TUFEnvelope(bytes: bytes, type: "root", role: "root")
        keys = try tufKeys(envelope.signed["keys"], role: "root")
        guard let roleMembers = envelope.signed["roles"]?.objectValue else {
            throw .badMetadata(role: "root", reason: "no roles object")
        }
        var roles: [String: TUFRoleKeys] = [:]
        for name in ["root", "timestamp", "snapshot", "targets"] {
            guard let value = roleMembers[name] else { throw .badMetadata(role: "root", reason: "no \(name) role") }
            roles[name] = try TUFRoleKeys(json: value, role: "root")
        }
        self.roles = roles
        consistentSnapshot = envelope.signed["consistent_snapshot"]?.boolValue ?? false
    }

    func verify(_ envelope: TUFEnvelope, as role: String) throws(TUFClientError) {
        try roles[role]!.verify(envelope, keys: keys)
    }
}

/// A `meta` entry (timestamp → snapshot, snapshot → targets files).
struct TUFMetaInfo: Equatable {
    let version: Int64
    let length: Int?
    let hashes: [String: String]

    init(json: JSONValue, role: String) throws(TUFClientError) {
        guard let version = json["version"]?.integerValue, version >= 1 else {
            throw .badMetadata(role: role, reason: "a meta entry without a version of 1 or more")
        }
        self.version = version
        if let length = json["length"] {
            guard let value = length.integerValue, value >= 0 else { throw .badMetadata(role: role, reason: "a negative meta length") }
            self.length = Int(value)
        } else {
            length = nil
        }
        hashes = try tufHashes(json["hashes"], role: role, required: false)
    }
}

func tufHashes(_ json: JSONValue?, role: String, required: Bool) throws(TUFClientError) -> [String: String] {
    guard let json else {
        if required { throw .badMetadata(role: role, reason: "no hashes") }
        return [:]
    }
    guard let members = json.objectValue, !members.isEmpty else { throw .badMetadata(role: role, reason: "hashes is not a non-empty object") }
    var hashes: [String: String] = [:]
    for (name, value) in members {
        guard let hex = value.stringValue else { throw .badMetadata(role: role, reason: "hash \(name) is not a string") }
        hashes[name] = hex.lowercased()
    }
    return hashes
}

/// Checks `bytes` against a length and hashes from signed metadata. Every
/// listed hash the client knows must match, and at least one must be known.
func tufCheckFile(_ bytes: [UInt8], length: Int?, hashes: [String: String], file: String) throws(TUFClientError) {
    if let length, bytes.count != length {
        throw .mismatch(file: file, reason: "\(bytes.count) bytes, signed metadata says \(length)")
    }
    var known = 0
    for (name, hex) in hashes {
        guard let digest = tufDigest(name, bytes) else { continue }
        known += 1
        guard hexString(digest) == hex else { throw .mismatch(file: file, reason: "\(name) does not match signed metadata") }
    }
    if !hashes.isEmpty && known == 0 { throw .mismatch(file: file, reason: "no hash algorithm this client knows") }
}

/// A delegation from a targets role to another.
struct TUFDelegatedRole {
    let name: String
    let keys: TUFRoleKeys
    let terminating: Bool
    let paths: [String]?
    let pathHashPrefixes: [String]?

    init(json: JSONValue, delegator: String) throws(TUFClientError) {
        guard let name = json["name"]?.stringValue else { throw .badMetadata(role: delegator, reason: "a delegated role without a name") }
        self.name = name
        keys = try TUFRoleKeys(json: json, role: delegator)
        terminating = json["terminating"]?.boolValue ?? false
        paths = json["paths"]?.arrayValue?.compactMap { $0.stringValue }
        pathHashPrefixes = json["path_hash_prefixes"]?.arrayValue?.compactMap { $0.stringValue }
        guard (paths == nil) != (pathHashPrefixes == nil) else {
            throw .badMetadata(role: delegator, reason: "delegation \(name) must have exactly one of paths and path_hash_prefixes")
        }
    }

    /// Whether this delegation is trusted for `targetPath`.
    func covers(_ targetPath: String) -> Bool {
        if let prefixes = pathHashPrefixes {
            let hash = hexString(tufDigest("sha256", Array(targetPath.utf8)) ?? [])
            return prefixes.contains { hash.hasPrefix($0) }
        }
        return (paths ?? []).contains { tufPathMatches(pattern: $0, path: targetPath) }
    }
}

/// Shell-style matching as TUF clients do it: the pattern and the path must
/// have the same number of "/"-separated parts, each matched with `*` (any run
/// of characters) and `?` (one character).
func tufPathMatches(pattern: String, path: String) -> Bool {
    let patternParts = pattern.split(separator: "/", omittingEmptySubsequences: false)
    let pathParts = path.split(separator: "/", omittingEmptySubsequences: false)
    guard patternParts.count == pathParts.count else { return false }
    return zip(patternParts, pathParts).allSatisfy { globMatches(Array($0.0), Array($0.1)) }
}

private func globMatches(_ pattern: [Character], _ text: [Character]) -> Bool {
    var p = 0, t = 0, star = -1, mark = 0
    while t < text.count {
        if p < pattern.count && (pattern[p] == "?" || pattern[p] == text[t]) {
            p += 1
            t += 1
        } else if p < pattern.count && pattern[p] == "*" {
            star = p
            mark = t
            p += 1
        } else if star >= 0 {
            p = star + 1
            mark += 1
            t = mark
        } else {
            return false
        }
    }
    while p < pattern.count && pattern[p] == "*" { p += 1 }
    return p == pattern.count
}

/// Targets metadata (top-level or delegated): its target files and delegations.
struct TUFClientTargets {
    let envelope: TUFEnvelope
    let delegationKeys: [String: TUFClientKey]
    let delegations: [TUFDelegatedRole]

    init(bytes: [UInt8], role: String) throws(TUFClientError) {
        envelope = try TUFEnvelope(bytes: bytes, type: "targets", role: role)
        guard envelope.signed["targets"]?.objectValue != nil else {
            throw .badMetadata(role: role, reason: "no targets object")
        }
        if let delegations = envelope.signed["delegations"] {
            delegationKeys = try tufKeys(delegations["keys"], role: role)
            guard let roles = delegations["roles"]?.arrayValue else {
                throw .badMetadata(role: role, reason: "delegations without a roles list")
            }
            var list: [TUFDelegatedRole] = []
            for value in roles {
                let delegated = try TUFDelegatedRole(json: value, delegator: role)
                guard !list.contains(where: { $0.name == delegated.name }) else {
                    throw .badMetadata(role: role, reason: "delegated role \(delegated.name) listed twice")
                }
                list.append(delegated)
            }
            self.delegations = list
        } else {
            delegationKeys = [:]
            delegations = []
        }
    }

    /// Every target this role lists, with its `custom` object.
    func allTargets() throws(TUFClientError) -> [TUFTargetEntry] {
        var entries: [TUFTargetEntry] = []
        for (path, entry) in envelope.signed["targets"]?.objectValue ?? [:] {
            guard let found = try target(path) else { continue }
            entries.append(TUFTargetEntry(path: path, length: found.length, hashes: found.hashes, custom: entry["custom"]))
        }
        return entries
    }

    /// The length and hashes of `path`, if this role lists it.
    func target(_ path: String) throws(TUFClientError) -> (length: Int, hashes: [String: String])? {
        guard let entry = envelope.signed["targets"]?[path] else { return nil }
        guard let length = entry["length"]?.integerValue, length >= 0 else {
            throw .badMetadata(role: envelope.role, reason: "target \(path) has no length")
        }
        return (Int(length), try tufHashes(entry["hashes"], role: envelope.role, required: true))
    }
}

/// A target as signed metadata describes it.
public struct TUFTargetEntry: Sendable {
    public let path: String
    public let length: Int
    public let hashes: [String: String]
    public let custom: JSONValue?
}
