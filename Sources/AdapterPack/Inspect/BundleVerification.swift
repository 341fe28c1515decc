import AdapterFormat
import AdapterLoader

/// What the host could check about a bundle before showing, re-signing or
/// reporting on it: every section digest, the header and table rules, the
/// records and op streams, and — with trusted keys — the signature, checked by
/// the device loader. A bundle is `verified` only when the signature was
/// checked against a trusted key; without keys it is "NOT VERIFIED", even if
/// every digest matches (the header is covered by the signature alone).
public struct BundleVerification: Codable, Equatable, Sendable {
    /// True only when the signature verified against a trusted key and no check failed.
    public var verified: Bool
    /// Whether the signature was checked (trusted keys were given).
    public var signatureChecked: Bool
    /// The trusted key the signature verified with.
    public var keyID: String?
    /// Failed checks, each naming the section or field; empty when all passed.
    public var problems: [String]
    /// Things worth knowing that are not failures (a window larger than needed).
    public var notes: [String]
    /// One line: "verified: signed by key …" or "NOT VERIFIED: …".
    public var summary: String

    /// True when a check that needs no key failed (digests, rules, records).
    public var hasProblems: Bool { !problems.isEmpty }

    /// Checks `bundle`; with `keys`, also its signature (with the device loader).
    public static func check(_ bundle: ParsedBundle, keys: TrustedKeys? = nil) -> BundleVerification {
        var problems: [String] = []
        var notes: [String] = []
        let table = bundle.table
        for (index, entry) in table.entries.enumerated() where entry.kind != .signature {
            let actual = sha256(Array(bundle.stored(entry)))
            if actual != entry.digest {
                problems.append("section \(index) (\(entry.kind)): digest mismatch: the table says \(entry.digest.hex), "
                                + "its \(entry.storedLength) bytes hash to \(actual.hex)")
            }
        }
        let declared = Int(bundle.header.windowSize), needed = WindowLayout.required(for: table)
        if declared < needed {
            problems.append("header: RAM window \(declared) bytes is below the \(needed) bytes its sections need")
        } else if declared > needed {
            notes.append("header declares a RAM window of \(declared) bytes; its sections need \(needed) "
                         + "(adapterpack writes exactly what is needed)")
        }
        if problems.isEmpty {
            // Records and op streams parse (what inspect and report read).
            do throws(FormatError) {
                _ = try bundle.metadata()
                _ = try bundle.tensorMap()
                for entry in table.entries where entry.kind.isOpStream { _ = try bundle.operations(entry) }
            } catch {
                problems.append("\(error)")
            }
        }
        var keyID: String?
        let algorithm = bundle.signature.algorithm == SignatureBlock.ed25519 ? "ed25519" : "ecdsa-p256-sha256"
        if let keys, problems.isEmpty {
            do throws(LoaderError) {
                let verified = try HostLoader.verify(bundle: bundle.bytes, keys: keys)
                keyID = verified.keyID.hex
            } catch {
                problems.append("\(error)")
            }
        }
        let summary: String
        if let keyID, problems.isEmpty {
            summary = "verified: signed by key \(keyID) (\(algorithm)); all section digests match"
        } else if let first = problems.first {
            summary = "NOT VERIFIED: \(first)"
        } else {
            summary = "NOT VERIFIED: signature not checked (give --trusted-key PUB.pem); section digests and header rules OK"
        }
        return BundleVerification(verified: keyID != nil && problems.isEmpty, signatureChecked: keys != nil,
                                  keyID: problems.isEmpty ? keyID : nil, problems: problems, notes: notes, summary: summary)
    }
}

/// A bundle that failed `BundleVerification` (digests, rules or signature).
public struct BundleNotVerified: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var problems: [String]
    public init(path: String, problems: [String]) {
        self.path = path
        self.problems = problems
    }
    public var description: String {
        "\(path): NOT VERIFIED: " + problems.joined(separator: "; ")
    }
}
