import AdapterFormat
@testable import AdapterLoader
import AdapterPack
import Foundation
import XCTest
import TestSupport

final class Ed25519VerifierTests: XCTestCase {
    // MARK: - Helpers

    private func bytes(_ hex: String, file: StaticString = #filePath, line: UInt = #line) -> [UInt8] {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else {
            XCTFail("odd-length hex", file: file, line: line)
            return []
        }
        func nibble(_ c: UInt8) -> UInt8 {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default:
                XCTFail("bad hex digit", file: file, line: line)
                return 0
            }
        }
        return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
    }

    private func verify(_ message: [UInt8], _ signature: [UInt8], _ publicKey: [UInt8]) -> Bool {
        message.withUnsafeBytes { m in
            signature.withUnsafeBytes { s in
                publicKey.withUnsafeBytes { k in
                    Ed25519Verifier.verify(message: m, signature: s, publicKey: k)
                }
            }
        }
    }

    private func encodedBytes(_ value: Bytes32) -> [UInt8] {
        var copy = value
        return withUnsafeBytes(of: &copy) { Array($0) }
    }

    private func fieldBytes(_ element: Field25519) -> [UInt8] {
        encodedBytes(element.encoded())
    }

    private func field(_ raw: [UInt8]) -> Field25519 {
        raw.withUnsafeBytes { Field25519(bytes: $0) }
    }

    /// Little-endian 32 bytes of a small integer.
    private func le32(_ value: UInt64) -> [UInt8] {
        (0..<32).map { $0 < 8 ? UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) : 0 }
    }

    // MARK: - RFC 8032 §7.1

    private struct Vector {
        let publicKey: String
        let message: String
        let signature: String
    }

    private let rfcVectors = [
        // TEST 1
        Vector(publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
               message: "",
               signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        // TEST 2
        Vector(publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
               message: "72",
               signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        // TEST 3
        Vector(publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
               message: "af82",
               signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]

    func testRFC8032Vectors() {
        for (index, vector) in rfcVectors.enumerated() {
            let key = bytes(vector.publicKey), message = bytes(vector.message), signature = bytes(vector.signature)
            XCTAssertTrue(verify(message, signature, key), "RFC 8032 TEST \(index + 1)")
            // Any single-bit change is rejected.
            for bit in [0, 7, 255, 256, 300, 511] {
                var bad = signature
                bad[bit / 8] ^= 1 << UInt8(bit % 8)
                XCTAssertFalse(verify(message, bad, key), "TEST \(index + 1), signature bit \(bit)")
            }
            var badKey = key
            badKey[5] ^= 0x10
            XCTAssertFalse(verify(message, signature, badKey), "TEST \(index + 1), key")
            XCTAssertFalse(verify(message + [0], signature, key), "TEST \(index + 1), longer message")
            // Wrong lengths.
            XCTAssertFalse(verify(message, Array(signature.dropLast()), key))
            XCTAssertFalse(verify(message, signature + [0], key))
            XCTAssertFalse(verify(message, signature, Array(key.dropLast())))
        }
    }

    /// S + L has the same value mod L; RFC 8032 requires S < L, so it is refused.
    func testSignatureMalleabilityRejected() {
        let vector = rfcVectors[0]
        var signature = bytes(vector.signature)
        let l = bytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        var carry = 0
        for i in 0..<32 {
            let sum = Int(signature[32 + i]) + Int(l[i]) + carry
            signature[32 + i] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        XCTAssertEqual(carry, 0)
        XCTAssertFalse(verify([], signature, bytes(vector.publicKey)))
    }

    // MARK: - SignatureVerifier conformance

    func testCheckOutcomes() {
        let vector = rfcVectors[1]
        let key = bytes(vector.publicKey), message = bytes(vector.message), signature = bytes(vector.signature)
        let other = bytes(rfcVectors[2].publicKey)
        let verifier = key.withUnsafeBytes { Ed25519Verifier(publicKey: $0) }
        let keyID = key.withUnsafeBytes { SHA256.hash($0) }
        let otherID = other.withUnsafeBytes { SHA256.hash($0) }
        XCTAssertEqual(verifier.keyID, keyID)

        func check(_ v: Ed25519Verifier, _ algorithm: UInt8, _ id: Digest32, _ sig: [UInt8]) -> SignatureCheck {
            message.withUnsafeBytes { m in
                sig.withUnsafeBytes { s in v.check(algorithm: algorithm, keyID: id, message: m, signature: s) }
            }
        }
        var bad = signature
        bad[40] ^= 4
        XCTAssertEqual(check(verifier, 1, keyID, signature), .valid)
        XCTAssertEqual(check(verifier, 1, keyID, bad), .invalid)
        XCTAssertEqual(check(verifier, 1, keyID, Array(signature.prefix(63))), .invalid)
        XCTAssertEqual(check(verifier, 1, otherID, signature), .unknownKey)
        XCTAssertEqual(check(verifier, 2, otherID, signature), .unknownKey)
        XCTAssertEqual(check(verifier, 2, keyID, signature), .unsupportedAlgorithm)
        XCTAssertEqual(check(verifier, 0, keyID, signature), .unsupportedAlgorithm)

        // Two trusted keys: either one is found by its id.
        let both = other.withUnsafeBytes { o in key.withUnsafeBytes { k in
            Ed25519Verifier(publicKey: o, secondPublicKey: k)
        } }
        XCTAssertEqual(both.keyID, otherID)
        XCTAssertEqual(check(both, 1, keyID, signature), .valid)
        XCTAssertEqual(check(both, 1, otherID, signature), .invalid)
        XCTAssertEqual(check(both, 1, Digest32.zero, signature), .unknownKey)
    }

    // MARK: - Wycheproof

    func testWycheproof() throws {
        let url = RepoPaths.shared.appendingPathComponent("reference/wycheproof/ed25519_test.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("Wycheproof vectors not found at \(url.path)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let groups = try XCTUnwrap(json?["testGroups"] as? [[String: Any]])
        var total = 0, valid = 0, invalid = 0
        for group in groups {
            let keyInfo = try XCTUnwrap(group["publicKey"] as? [String: Any])
            let key = bytes(try XCTUnwrap(keyInfo["pk"] as? String))
            for test in try XCTUnwrap(group["tests"] as? [[String: Any]]) {
                let id = test["tcId"] as? Int ?? -1
                let message = bytes(try XCTUnwrap(test["msg"] as? String))
                let signature = bytes(try XCTUnwrap(test["sig"] as? String))
                let result = try XCTUnwrap(test["result"] as? String)
                let accepted = verify(message, signature, key)
                total += 1
                switch result {
                case "valid":
                    valid += 1
                    XCTAssertTrue(accepted, "tcId \(id) (\(test["comment"] ?? "")) should verify")
                case "invalid":
                    invalid += 1
                    XCTAssertFalse(accepted, "tcId \(id) (\(test["comment"] ?? "")) should be rejected")
                default:
                    XCTFail("tcId \(id): unexpected result \(result)")
                }
            }
        }
        XCTAssertEqual(total, json?["numberOfTests"] as? Int)
        XCTAssertEqual(total, 151)
        XCTAssertEqual(valid, 88)
        XCTAssertEqual(invalid, 63)
    }

    // MARK: - Cross-check with OpenSSL

    /// 200 fresh OpenSSL keys, messages of random lengths: every signature verifies;
    /// a single flipped bit in the message, R, S or the public key is rejected, and
    /// OpenSSL agrees on every mutated case.
    func testAgreesWithOpenSSL() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            let key = try SigningKey.generate(.ed25519)
            let publicKey = key.verifyingKey.rawPublicKey
            let length = round < 4 ? round : Int.random(in: 0...1500, using: &generator)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let signature = try key.sign(message)
            XCTAssertTrue(verify(message, signature, publicKey), "round \(round): valid signature rejected")

            if !message.isEmpty {
                var flipped = message
                let bit = Int.random(in: 0..<(message.count * 8), using: &generator)
                flipped[bit / 8] ^= 1 << UInt8(bit % 8)
                XCTAssertFalse(verify(flipped, signature, publicKey), "round \(round): message bit \(bit)")
                XCTAssertFalse(key.verifyingKey.verify(flipped, signature: signature))
            }
            for half in 0..<2 {  // 0: R, 1: S
                var flipped = signature
                let bit = half * 256 + Int.random(in: 0..<256, using: &generator)
                flipped[bit / 8] ^= 1 << UInt8(bit % 8)
                XCTAssertFalse(verify(message, flipped, publicKey), "round \(round): signature bit \(bit)")
                XCTAssertFalse(key.verifyingKey.verify(message, signature: flipped))
            }
            var flippedKey = publicKey
            let keyBit = Int.random(in: 0..<256, using: &generator)
            flippedKey[keyBit / 8] ^= 1 << UInt8(keyBit % 8)
            XCTAssertFalse(verify(message, signature, flippedKey), "round \(round): key bit \(keyBit)")
            if let openSSLKey = try? VerifyingKey.fromRaw(flippedKey, algorithm: .ed25519) {
                XCTAssertFalse(openSSLKey.verify(message, signature: signature))
            }
        }
    }

    /// Encodings of the eight points of small order (order 1, 2, 4, 8), plus their
    /// non-canonical forms (y ≥ p) and "negative zero" forms (x = 0, sign bit 1),
    /// with whether RFC 8032 §5.1.3 accepts the encoding. Computed with a separate
    /// Python model of the curve.
    private let smallOrderEncodings: [(hex: String, canonical: Bool)] = [
        ("0000000000000000000000000000000000000000000000000000000000000000", true),   // order 4
        ("0000000000000000000000000000000000000000000000000000000000000080", true),   // order 4
        ("0100000000000000000000000000000000000000000000000000000000000000", true),   // identity
        ("0100000000000000000000000000000000000000000000000000000000000080", false),  // identity, x = -0
        ("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", true),   // order 8
        ("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", true),   // order 8
        ("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", true),   // order 8
        ("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", true),   // order 8
        ("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", true),   // order 2
        ("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", false),  // order 2, x = -0
        ("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", false),  // y = p
        ("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", false),  // y = p
        ("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", false),  // y = p + 1
        ("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", false),  // y = p + 1
    ]

    /// Small-order public keys and R values with S = 0 (the "Taming the many EdDSAs"
    /// edge cases). Where the public key's encoding is canonical, the device verifier
    /// gives the same verdict as OpenSSL on every combination, so `adapterpack
    /// verify` on the host and the device agree. Where it is not, the device rejects
    /// (RFC 8032 §5.1.3) while OpenSSL 3.0 decodes such keys leniently; no key that
    /// OpenSSL generates is encoded that way. R is compared as bytes, so a
    /// non-canonical R is refused by both.
    func testSmallOrderEdgeCasesAgreeWithOpenSSL() {
        let message = Array("adapterpack".utf8)
        var accepted = 0, lenientOpenSSL = 0
        for (keyHex, keyCanonical) in smallOrderEncodings {
            let key = bytes(keyHex)
            let openSSLKey = try? VerifyingKey.fromRaw(key, algorithm: .ed25519)
            for (rHex, _) in smallOrderEncodings {
                let signature = bytes(rHex) + [UInt8](repeating: 0, count: 32)
                let mine = verify(message, signature, key)
                let theirs = openSSLKey?.verify(message, signature: signature) ?? false
                if keyCanonical {
                    XCTAssertEqual(mine, theirs, "A = \(keyHex), R = \(rHex): device \(mine), OpenSSL \(theirs)")
                } else {
                    XCTAssertFalse(mine, "A = \(keyHex) is not a canonical encoding")
                    if theirs { lenientOpenSSL += 1 }
                }
                if mine { accepted += 1 }
            }
        }
        // A = identity, R = identity, S = 0 satisfies [S]B = R + [k]A for every
        // message: RFC 8032 does not forbid small-order keys and neither verifier
        // refuses them (a trusted key must come from a real private key).
        XCTAssertGreaterThan(accepted, 0)
        print("small-order edge cases: device accepted \(accepted) of \(smallOrderEncodings.count * smallOrderEncodings.count);"
              + " OpenSSL also accepted \(lenientOpenSSL) with a non-canonical public key")
    }

    /// The device verifier accepts what the host's `TrustedKeys` (OpenSSL) accepts
    /// through the same `check` call the loader makes.
    func testCheckMatchesTrustedKeys() throws {
        let key = try SigningKey.generate(.ed25519)
        let message = Array("adapterpack bundle signature v1\n".utf8) + key.verifyingKey.keyID
            + [UInt8](repeating: 0xab, count: 32)
        let signature = try key.sign(message)
        let keyID = key.verifyingKey.keyID.withUnsafeBytes { Digest32(bytes: $0) }
        let device = key.verifyingKey.rawPublicKey.withUnsafeBytes { Ed25519Verifier(publicKey: $0) }
        XCTAssertEqual(device.keyID, keyID)
        let host = TrustedKeys([key.verifyingKey])
        for sig in [signature, signature.map { $0 ^ 1 }] {
            let outcomes = message.withUnsafeBytes { m in sig.withUnsafeBytes { s in
                (device.check(algorithm: 1, keyID: keyID, message: m, signature: s),
                 host.check(algorithm: 1, keyID: keyID, message: m, signature: s))
            } }
            XCTAssertEqual(outcomes.0, outcomes.1)
        }
    }

    // MARK: - Internals

    func testBasePointConstantMatchesItsEncoding() throws {
        let encoding: [UInt8] = [0x58] + [UInt8](repeating: 0x66, count: 31)
        let decoded = try XCTUnwrap(encoding.withUnsafeBytes { Edwards25519.decoding($0) })
        XCTAssertEqual(fieldBytes(decoded.x), fieldBytes(Edwards25519.base.x))
        XCTAssertEqual(fieldBytes(decoded.y), fieldBytes(Edwards25519.base.y))
        XCTAssertEqual(fieldBytes(decoded.t), fieldBytes(Edwards25519.base.t))
        XCTAssertEqual(encodedBytes(Edwards25519.base.encoded()), encoding)
        // [L]B is the identity; [L-1]B = -B.
        let l = Scalar25519.order
        let identity = Edwards25519.doubleScalarMultiply(s: l, k: .zero, point: .identity)
        XCTAssertEqual(encodedBytes(identity.encoded()), le32(1))
        var lMinusOne = l
        lMinusOne.w.0 -= 1
        let minusB = Edwards25519.doubleScalarMultiply(s: lMinusOne, k: .zero, point: .identity)
        XCTAssertEqual(encodedBytes(minusB.encoded()), encodedBytes(Edwards25519.base.negated.encoded()))
        // [2]B by doubling, by addition and by scalar multiplication agree.
        let two = Scalar25519(w: (2, 0, 0, 0))
        let byScalar = Edwards25519.doubleScalarMultiply(s: two, k: .zero, point: .identity)
        XCTAssertEqual(encodedBytes(Edwards25519.base.doubled().encoded()), encodedBytes(byScalar.encoded()))
        XCTAssertEqual(encodedBytes((Edwards25519.base + Edwards25519.base.cached).encoded()),
                       encodedBytes(byScalar.encoded()))
    }

    func testFieldEncodingEdgeCases() {
        let p = bytes("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        let pMinusOne = bytes("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        let allOnes = [UInt8](repeating: 0xff, count: 32)
        XCTAssertEqual(fieldBytes(field(p)), le32(0))
        XCTAssertEqual(fieldBytes(field(pMinusOne)), pMinusOne)
        XCTAssertEqual(fieldBytes(field(allOnes)), le32(18))      // 2^255 - 1 ≡ 18, bit 255 ignored
        XCTAssertEqual(fieldBytes(-Field25519.one), pMinusOne)
        XCTAssertEqual(fieldBytes(Field25519.zero - Field25519.one - Field25519.one + Field25519.one), pMinusOne)
        XCTAssertTrue(field(p).isZero)
        XCTAssertTrue(field(pMinusOne).isNegative == false)       // p - 1 is even
        // Non-canonical y: exactly p ... 2^255 - 1, with or without the sign bit.
        p.withUnsafeBytes { XCTAssertTrue(Field25519.isNonCanonical($0)) }
        allOnes.withUnsafeBytes { XCTAssertTrue(Field25519.isNonCanonical($0)) }
        pMinusOne.withUnsafeBytes { XCTAssertFalse(Field25519.isNonCanonical($0)) }
        var pWithSign = p
        pWithSign[31] |= 0x80
        pWithSign.withUnsafeBytes { XCTAssertTrue(Field25519.isNonCanonical($0)) }
        var belowP = p
        belowP[17] = 0xfe
        belowP.withUnsafeBytes { XCTAssertFalse(Field25519.isNonCanonical($0)) }
        // Decoding a point with y = p + 1 (≡ 1, which would be the identity) fails.
        var yIsPPlusOne = p
        yIsPPlusOne[0] = 0xee
        XCTAssertNil(yIsPPlusOne.withUnsafeBytes { Edwards25519.decoding($0) })
        XCTAssertNotNil(le32(1).withUnsafeBytes { Edwards25519.decoding($0) })
        // x = 0 with the sign bit set ("negative zero") fails.
        var negativeIdentity = le32(1)
        negativeIdentity[31] |= 0x80
        XCTAssertNil(negativeIdentity.withUnsafeBytes { Edwards25519.decoding($0) })
    }

    func testFieldIdentities() {
        var generator = SystemRandomNumberGenerator()
        // sqrt(-1)^2 = -1; d·121666 = -121665.
        XCTAssertEqual(fieldBytes(Field25519.sqrtMinusOne.squared()), fieldBytes(-Field25519.one))
        XCTAssertEqual(fieldBytes(Field25519.d * Field25519(121_666, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                       fieldBytes(-Field25519(121_665, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        XCTAssertEqual(fieldBytes(Field25519.d + Field25519.d), fieldBytes(Field25519.d2))
        for _ in 0..<50 {
            let raw = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let a = field(raw)
            let b = field(raw.reversed())
            XCTAssertEqual(fieldBytes(a * b), fieldBytes(b * a))
            XCTAssertEqual(fieldBytes(a.squared()), fieldBytes(a * a))
            XCTAssertEqual(fieldBytes((a + b) * (a - b)), fieldBytes(a.squared() - b.squared()))
            if !a.isZero {
                XCTAssertEqual(fieldBytes(a * a.inverted()), le32(1))
            }
            // Re-decoding the canonical encoding gives the same value.
            let encoded = fieldBytes(a)
            XCTAssertEqual(fieldBytes(field(encoded)), encoded)
            XCTAssertLessThan(encoded[31], 0x80)
        }
    }

    func testScalarReduction() {
        func reduce(_ wide: [UInt8]) -> [UInt8] {
            let s = wide.withUnsafeBytes { Scalar25519.reducing(wide: $0) }
            let words = [s.w.0, s.w.1, s.w.2, s.w.3]
            return (0..<32).map { UInt8(truncatingIfNeeded: words[$0 / 8] >> (8 * UInt64($0 % 8))) }
        }
        let l = bytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        let zeros32 = [UInt8](repeating: 0, count: 32)
        XCTAssertEqual(reduce(l + zeros32), zeros32)
        var lMinusOne = l
        lMinusOne[0] -= 1
        XCTAssertEqual(reduce(lMinusOne + zeros32), lMinusOne)
        XCTAssertEqual(reduce([UInt8](repeating: 0xff, count: 64)),
                       bytes("000f9c44e31106a447938568a71b0ed065bef517d273ecce3d9a307c1b419903"))
        // Expected values from Python: int.from_bytes(x, 'little') % L.
        let cases = [
            ("38b4e652e44da7f2370d9e260e27136550a4a3a6d07f5c0c332f8b1224083fd22b902f8911e81818f8c99d5d5d9831957504d90e945de2e8f54ee781cc75f636",
             "69e635e2b59edaf289828e009b47ac5dd30f507e94a31614a8be389e1655b504"),
            ("d85099095aa300165a67036f9b540d6b8f0be21124179c3dd9f73817ce6e118d264aad6cb6dd210faf94acd3cf92c190237cb11f5d108cf25930263938b370a1",
             "841ac4e571c9aab54df078817d95682262aed88f044783d0d94ebef20ceea708"),
            ("b5769fa0f1483f95a90d9df2f130d60fcf04bd93f50ae69514da8c659ce2b10cccdaebf990d19838b0d7ec0b3e97818ecb96c4dbadbe172296d5234a42b24c6b",
             "fbfa1ec8eb3a28a0e6867e40d52d53090b65e07e85158eb020b4e9cfd6832400"),
        ]
        for (wide, expected) in cases {
            XCTAssertEqual(reduce(bytes(wide)), bytes(expected))
        }
        // The Digest64 entry point reads the same 512-bit little-endian integer.
        for message in [[], Array("abc".utf8), [UInt8](repeating: 7, count: 200)] as [[UInt8]] {
            let digest = message.withUnsafeBytes { SHA512.hash($0) }
            let viaBytes = digest.withUnsafeBytes { Scalar25519.reducing(wide: $0) }
            let viaDigest = Scalar25519.reducing(digest)
            XCTAssertTrue(viaBytes.w == viaDigest.w)
        }
        l.withUnsafeBytes { XCTAssertFalse(Scalar25519.isCanonical($0)) }
        lMinusOne.withUnsafeBytes { XCTAssertTrue(Scalar25519.isCanonical($0)) }
        zeros32.withUnsafeBytes { XCTAssertTrue(Scalar25519.isCanonical($0)) }
        [UInt8](repeating: 0xff, count: 32).withUnsafeBytes { XCTAssertFalse(Scalar25519.isCanonical($0)) }
    }

    // MARK: - Repetition

    /// The verifier keeps no state between calls: the same valid signature is
    /// accepted every time and a flipped one refused every time, interleaved.
    /// (Its speed is measured on the device: Examples/cortex-m4/run.sh.)
    func testRepeatedVerificationsAreIndependent() throws {
        let key = try SigningKey.generate(.ed25519)
        let message = [UInt8](repeating: 0x5a, count: 64)   // the size of the signed bundle message
        let signature = try key.sign(message)
        var flipped = signature
        flipped[7] ^= 0x10
        let publicKey = key.verifyingKey.rawPublicKey
        for round in 0 ..< 20 {
            XCTAssertTrue(verify(message, signature, publicKey), "round \(round)")
            XCTAssertFalse(verify(message, flipped, publicKey), "round \(round)")
        }
    }
}
