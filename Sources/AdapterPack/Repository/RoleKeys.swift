/// Which keys may sign a role, and how many of them must.
public struct RoleKeys: Equatable, Sendable {
    public var keyids: [String]
    public var threshold: Int

    public init(keyids: [String], threshold: Int) {
        self.keyids = keyids
        self.threshold = threshold
    }

    var json: JSONValue {
        .object(["keyids": .array(keyids.map { .string($0) }), "threshold": .integer(Int64(threshold))])
    }

    init(json value: JSONValue, role: String, file: String) throws(RepositoryError) {
        guard let ids = value["keyids"]?.arrayValue, let threshold = value["threshold"]?.integerValue, threshold >= 1 else {
            throw .badMetadata(file: file, reason: "role \(role) needs keyids and a threshold of at least 1")
        }
        var keyids: [String] = []
        for id in ids {
            guard let s = id.stringValue, !keyids.contains(s) else {
                throw .badMetadata(file: file, reason: "role \(role) lists a key id twice or not as a string")
            }
            keyids.append(s)
        }
        self.keyids = keyids
        self.threshold = Int(threshold)
    }
}
