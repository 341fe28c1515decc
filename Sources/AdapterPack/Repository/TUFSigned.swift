import Foundation

/// TUF specification version written into every metadata file.
public let tufSpecVersion = "1.0.31"

/// The fields every role's `signed` object has, and its JSON form.
public protocol TUFRole: Sendable {
    /// "root", "targets", "snapshot" or "timestamp".
    static var type: String { get }
    var version: Int64 { get set }
    var expires: Date { get set }
    /// The role-specific members; `_type`, `spec_version`, `version` and `expires` are added.
    func members() -> [String: JSONValue]
    init(members: [String: JSONValue], version: Int64, expires: Date, file: String) throws(RepositoryError)
}

/// A signature in a metadata envelope.
public struct TUFSignature: Equatable, Sendable {
    public var keyid: String
    /// Hex.
    public var sig: String
}

/// A metadata file: `{"signatures": [...], "signed": {...}}`. Signatures are over the
/// canonical JSON of `signed`.
public struct Signed<Role: TUFRole>: Sendable {
    public var signed: Role
    public var signatures: [TUFSignature]

    public init(_ signed: Role) {
        self.signed = signed
        signatures = []
    }

    public var signedJSON: JSONValue {
        var members = signed.members()
        members["_type"] = .string(Role.type)
        members["spec_version"] = .string(tufSpecVersion)
        members["version"] = .integer(signed.version)
        members["expires"] = .string(TUFTime.string(signed.expires))
        return .object(members)
    }

    /// The bytes signatures cover.
    public var signedBytes: [UInt8] { CanonicalJSON.encode(signedJSON) }

    /// The file's content (readable JSON; any JSON reader gives back the same value).
    public var fileBytes: [UInt8] {
        let sigs = signatures.map { JSONValue.object(["keyid": .string($0.keyid), "sig": .string($0.sig)]) }
        return PrettyJSON.encode(.object(["signatures": .array(sigs), "signed": signedJSON]))
    }

    /// Replaces the signatures with one by each of `keys`.
    public mutating func sign(with keys: [SigningKey]) throws(RepositoryError) {
        let message = signedBytes
        signatures = []
        for key in keys {
            let id = TUFKey(ed25519PublicKey: key.verifyingKey.rawPublicKey).keyID
            do throws(KeyError) {
                signatures.append(TUFSignature(keyid: id, sig: hexString(try key.sign(message))))
            } catch {
                throw .signing(role: Role.type, reason: error.description)
            }
        }
    }

    /// Parses a metadata file of this role (`file` names it in errors).
    public init(fileBytes: [UInt8], file: String) throws(RepositoryError) {
        let value: JSONValue
        do throws(JSONParseError) {
            value = try JSONValue.parse(fileBytes)
        } catch {
            throw .badMetadata(file: file, reason: error.description)
        }
        guard let signedValue = value["signed"]?.objectValue, let sigs = value["signatures"]?.arrayValue else {
            throw .badMetadata(file: file, reason: "not a TUF metadata envelope (needs \"signed\" and \"signatures\")")
        }
        guard signedValue["_type"]?.stringValue == Role.type else {
            throw .badMetadata(file: file, reason: "_type is \(signedValue["_type"]?.stringValue ?? "missing"), expected \(Role.type)")
        }
        guard let spec = signedValue["spec_version"]?.stringValue, spec.split(separator: ".").first == "1" else {
            throw .badMetadata(file: file, reason: "spec_version is not 1.x")
        }
        guard let version = signedValue["version"]?.integerValue, version >= 1 else {
            throw .badMetadata(file: file, reason: "version is missing or below 1")
        }
        guard let expiresText = signedValue["expires"]?.stringValue, let expires = TUFTime.date(expiresText) else {
            throw .badMetadata(file: file, reason: "expires is missing or not YYYY-MM-DDTHH:MM:SSZ")
        }
        var members = signedValue
        for key in ["_type", "spec_version", "version", "expires"] { members[key] = nil }
        signed = try Role(members: members, version: version, expires: expires, file: file)
        signatures = []
        for sig in sigs {
            guard let keyid = sig["keyid"]?.stringValue, let hex = sig["sig"]?.stringValue else {
                throw .badMetadata(file: file, reason: "a signature lacks keyid or sig")
            }
            signatures.append(TUFSignature(keyid: keyid, sig: hex))
        }
        // The file must say what its signatures cover: re-encoding gives the same value.
        guard signedJSON == .object(signedValue) else {
            throw .badMetadata(file: file, reason: "signed object has members or values this tool does not keep")
        }
    }

    /// How many distinct keys of `role` signed this correctly.
    public func validSignatures(by role: RoleKeys, keys: [String: TUFKey]) -> Int {
        let message = signedBytes
        var seen = Set<String>()
        for signature in signatures where role.keyids.contains(signature.keyid) && !seen.contains(signature.keyid) {
            if let key = keys[signature.keyid], key.verify(message, signatureHex: signature.sig) {
                seen.insert(signature.keyid)
            }
        }
        return seen.count
    }

    /// Throws unless a threshold of `role`'s keys signed this.
    public func checkSignatures(by role: RoleKeys, keys: [String: TUFKey], file: String) throws(RepositoryError) {
        let valid = validSignatures(by: role, keys: keys)
        guard valid >= role.threshold else {
            throw .signatureThreshold(file: file, role: Role.type, valid: valid, threshold: role.threshold)
        }
    }
}
