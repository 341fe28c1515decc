import Foundation

/// One target: a bundle's length, SHA-256 and the adapterpack fields clients select by.
public struct TargetFile: Equatable, Sendable {
    public var length: Int64
    public var sha256: String
    /// adapterpack's fields (`BundleTargetInfo`), or whatever another tool put there.
    public var custom: JSONValue?

    public init(length: Int64, sha256: String, custom: JSONValue?) {
        self.length = length
        self.sha256 = sha256
        self.custom = custom
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "length": .integer(length), "hashes": .object(["sha256": .string(sha256)]),
        ]
        if let custom { members["custom"] = custom }
        return .object(members)
    }

    init(json value: JSONValue, path: String, file: String) throws(RepositoryError) {
        guard let length = value["length"]?.integerValue, length >= 0,
              let hashes = value["hashes"]?.objectValue, hashes.count == 1,
              let digest = hashes["sha256"]?.stringValue
        else {
            throw .badMetadata(file: file, reason: "target \(path) needs length and exactly a sha256 hash")
        }
        self.length = length
        sha256 = digest
        custom = value["custom"]
    }
}

/// targets.json's signed part: target path → file.
public struct Targets: TUFRole, Equatable {
    public static let type = "targets"
    public var version: Int64
    public var expires: Date
    public var targets: [String: TargetFile]
    /// Roles this one delegates to (hashed bins), if any.
    public var delegations: Delegations?

    public init(version: Int64, expires: Date, targets: [String: TargetFile], delegations: Delegations? = nil) {
        self.version = version
        self.expires = expires
        self.targets = targets
        self.delegations = delegations
    }

    public func members() -> [String: JSONValue] {
        var members: [String: JSONValue] = ["targets": .object(targets.mapValues { $0.json })]
        if let delegations { members["delegations"] = delegations.json }
        return members
    }

    public init(members: [String: JSONValue], version: Int64, expires: Date, file: String) throws(RepositoryError) {
        self.version = version
        self.expires = expires
        guard let entries = members["targets"]?.objectValue else {
            throw .badMetadata(file: file, reason: "targets is missing")
        }
        if let value = members["delegations"] { delegations = try Delegations(json: value, file: file) }
        targets = [:]
        for (path, value) in entries { targets[path] = try TargetFile(json: value, path: path, file: file) }
    }
}
