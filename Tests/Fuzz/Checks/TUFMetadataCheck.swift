import Foundation
#if canImport(AdapterPack)
@testable import AdapterPack
#endif

/// The TUF client's readers on hostile metadata (it comes from the network):
/// the JSON parser and canonical JSON must round-trip whatever they accept
/// (encode → parse gives the same value, encoding twice the same bytes), and
/// every role reader must refuse or accept within bounded work. Accepted
/// delegations are asked about a path from the input.
enum TUFMetadataCheck {
    static func run(_ input: [UInt8]) throws(InvariantViolation) {
        guard input.count <= 1 << 16 else { return }
        if let value = try? JSONValue.parse(input) {
            let canonical = CanonicalJSON.encode(value)
            guard CanonicalJSON.encode(value) == canonical else {
                throw InvariantViolation(description: "canonical JSON of one value is not always the same bytes")
            }
            // OLPC canonical JSON (as securesystemslib signs it) writes control
            // characters raw, which plain JSON may not contain: only a canonical
            // form without them is plain JSON and must read back as the same value.
            if !canonical.contains(where: { $0 < 0x20 }) {
                guard let again = try? JSONValue.parse(canonical), again == value else {
                    throw InvariantViolation(description: "canonical JSON of an accepted document does not parse back to it")
                }
            }
        }
        for type in ["timestamp", "snapshot"] { _ = try? TUFEnvelope(bytes: input, type: type, role: type) }
        _ = try? TUFClientRoot(bytes: input)
        if let targets = try? TUFClientTargets(bytes: input, role: "targets") {
            let path = String(decoding: input.prefix(32), as: UTF8.self)
            for delegated in targets.delegations { _ = delegated.covers(path) }
            _ = try? targets.allTargets()
        }
    }
}
