import Foundation
import XCTest
@testable import AdapterPack
import TestSupport

/// Runs Project Wycheproof's Ed25519 and ECDSA P-256/SHA-256 verification vectors
/// against VerifyingKey. Every "valid" vector must verify, every "invalid" one must
/// fail, "acceptable" may go either way.
final class WycheproofTests: XCTestCase {
    private struct File: Decodable {
        let algorithm: String
        let numberOfTests: Int
        let testGroups: [Group]
    }

    private struct Group: Decodable {
        let publicKey: PublicKey
        let publicKeyPem: String?
        let tests: [Vector]
    }

    private struct PublicKey: Decodable {
        let pk: String?             // EdDSA: raw 32-byte key
        let uncompressed: String?   // ECDSA: 0x04 || X || Y
    }

    private struct Vector: Decodable {
        let tcId: Int
        let comment: String
        let flags: [String]
        let msg: String
        let sig: String
        let result: String
    }

    private struct Counts: CustomStringConvertible {
        var valid = 0, invalid = 0, acceptable = 0
        var acceptableAccepted = 0
        var total: Int { valid + invalid + acceptable }
        mutating func count(_ result: String) {
            switch result {
            case "valid": valid += 1
            case "invalid": invalid += 1
            default: acceptable += 1
            }
        }
        var description: String {
            "\(total) vectors: \(valid) valid, \(invalid) invalid, \(acceptable) acceptable"
                + " (\(acceptableAccepted) of those accepted)"
        }
    }

    /// shared/reference/wycheproof: shared/ is the repository root's sibling.
    private func vectorsDirectory() throws -> URL {
        let dir = RepoPaths.shared.appendingPathComponent("reference/wycheproof", isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw XCTSkip("Wycheproof vectors not found at \(dir.path)")
        }
        return dir
    }

    private func load(_ name: String) throws -> File {
        let url = try vectorsDirectory().appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is missing")
        }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }

    private func hex(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else {
            XCTFail("odd-length hex", file: file, line: line)
            return []
        }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw XCTSkip("bad hex digit in vector file")
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            out.append(try nibble(digits[i]) << 4 | nibble(digits[i + 1]))
            i += 2
        }
        return out
    }

    private func check(_ vector: Vector, accepted: Bool, path: String) {
        switch vector.result {
        case "valid":
            XCTAssertTrue(accepted, "tcId \(vector.tcId) (\(vector.comment), \(vector.flags)) valid but rejected [\(path)]")
        case "invalid":
            XCTAssertFalse(accepted, "tcId \(vector.tcId) (\(vector.comment), \(vector.flags)) invalid but accepted [\(path)]")
        default:
            break
        }
    }

    func testEd25519() throws {
        let file = try load("ed25519_test.json")
        XCTAssertEqual(file.algorithm, "EDDSA")
        var counts = Counts()
        for group in file.testGroups {
            let raw = try hex(try XCTUnwrap(group.publicKey.pk))
            let key = try VerifyingKey.fromRaw(raw, algorithm: .ed25519)
            if let pem = group.publicKeyPem {
                XCTAssertEqual(try VerifyingKey(pem: Array(pem.utf8)), key)
            }
            for vector in group.tests {
                counts.count(vector.result)
                let accepted = key.verify(try hex(vector.msg), signature: try hex(vector.sig))
                check(vector, accepted: accepted, path: "raw")
                if vector.result == "acceptable" && accepted { counts.acceptableAccepted += 1 }
            }
        }
        XCTAssertEqual(counts.total, file.numberOfTests)
        XCTAssertGreaterThan(counts.valid, 0)
        XCTAssertGreaterThan(counts.invalid, 0)
        print("Wycheproof ed25519: \(counts)")
    }

    func testECDSAP256SHA256() throws {
        let file = try load("ecdsa_secp256r1_sha256_test.json")
        XCTAssertEqual(file.algorithm, "ECDSA")
        var counts = Counts()
        var rejectedByStrictDER = 0
        for group in file.testGroups {
            let raw = try hex(try XCTUnwrap(group.publicKey.uncompressed))
            let key = try VerifyingKey.fromRaw(raw, algorithm: .ecdsaP256SHA256)
            if let pem = group.publicKeyPem {
                XCTAssertEqual(try VerifyingKey(pem: Array(pem.utf8)), key)
            }
            for vector in group.tests {
                counts.count(vector.result)
                let message = try hex(vector.msg)
                let der = try hex(vector.sig)

                // 1. The DER signature as given, through OpenSSL's strict DER decoding.
                let acceptedDER = key.verifyDER(message, derSignature: der)
                check(vector, accepted: acceptedDER, path: "DER")
                if vector.result == "acceptable" && acceptedDER { counts.acceptableAccepted += 1 }

                // 2. Through the bundle's raw r||s form: a strict DER parser in the test
                //    converts, then the public raw API verifies.
                if let rawSignature = SigningTestDER.strictRaw(der: der) {
                    check(vector, accepted: key.verify(message, signature: rawSignature), path: "raw")
                    if vector.result == "valid" {
                        // The library's own converters agree with the test's on real DER.
                        XCTAssertEqual(SigningSupport.ecdsaDERToRaw(der), rawSignature, "tcId \(vector.tcId)")
                        XCTAssertEqual(SigningSupport.ecdsaRawToDER(rawSignature), der, "tcId \(vector.tcId)")
                    }
                } else {
                    rejectedByStrictDER += 1
                    XCTAssertNotEqual(vector.result, "valid",
                                      "tcId \(vector.tcId) (\(vector.comment)) valid but the strict DER parser rejected it")
                }
            }
        }
        XCTAssertEqual(counts.total, file.numberOfTests)
        XCTAssertGreaterThan(counts.valid, 0)
        XCTAssertGreaterThan(counts.invalid, 0)
        print("Wycheproof ecdsa-p256-sha256: \(counts); \(rejectedByStrictDER) invalid encodings"
            + " rejected before reaching the raw r||s form")
    }
}
