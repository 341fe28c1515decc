import Foundation
import XCTest
@testable import AdapterPack

/// DER <-> raw r||s for ECDSA signatures, written independently of the library so the
/// tests do not check the library's converter against itself. Shared with WycheproofTests.
enum SigningTestDER {
    /// Encodes raw r || s (32 + 32 bytes) as a DER ECDSA-Sig-Value.
    static func encode(raw: [UInt8]) -> [UInt8] {
        precondition(raw.count == 64)
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(raw[0..<32]) + integer(raw[32..<64])
        return [0x30, UInt8(body.count)] + body
    }

    /// Strict DER decoding of SEQUENCE { INTEGER r, INTEGER s } into raw r || s.
    /// Rejects BER (long or indefinite lengths where short ones fit, non-minimal
    /// integers), negative integers, wrong tags, trailing bytes, and values that do not fit
    /// in 32 bytes. Zero values are returned (the verifier must reject them).
    static func strictRaw(der: [UInt8]) -> [UInt8]? {
        var index = 0
        func byte() -> UInt8? {
            guard index < der.count else { return nil }
            defer { index += 1 }
            return der[index]
        }
        func length() -> Int? {
            guard let first = byte() else { return nil }
            if first < 0x80 { return Int(first) }
            if first == 0x81 {
                guard let b = byte(), b >= 0x80 else { return nil }
                return Int(b)
            }
            return nil  // ECDSA P-256 signatures never need more than one length byte
        }
        func integer() -> [UInt8]? {
            guard byte() == 0x02, let n = length(), n >= 1, index + n <= der.count else { return nil }
            let value = Array(der[index..<index + n])
            index += n
            if value[0] & 0x80 != 0 { return nil }  // negative
            if value.count > 1 && value[0] == 0 && value[1] & 0x80 == 0 { return nil }  // non-minimal
            let magnitude = Array(value.drop { $0 == 0 })
            guard magnitude.count <= 32 else { return nil }
            return [UInt8](repeating: 0, count: 32 - magnitude.count) + magnitude
        }
        guard byte() == 0x30, let total = length(), index + total == der.count else { return nil }
        guard let r = integer(), let s = integer(), index == der.count else { return nil }
        return r + s
    }
}

final class SigningTests: XCTestCase {
    // MARK: helpers

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("signing-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func opensslExecutable() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("openssl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw XCTSkip("`openssl` is not on PATH")
    }

    /// Runs `openssl` with `arguments`; returns exit status, stdout and stderr.
    @discardableResult
    private func openssl(_ arguments: [String]) throws -> (status: Int32, stdout: [UInt8], stderr: String) {
        let process = Process()
        process.executableURL = try opensslExecutable()
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, Array(stdout), String(decoding: stderr, as: UTF8.self))
    }

    /// Runs `openssl` and fails the test unless it exits 0.
    @discardableResult
    private func opensslOK(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let result = try openssl(arguments)
        XCTAssertEqual(result.status, 0, "openssl \(arguments.joined(separator: " ")): \(result.stderr)",
                       file: file, line: line)
        return result.stdout
    }

    private func write(_ bytes: [UInt8], _ url: URL) throws {
        try Data(bytes).write(to: url)
    }

    private func read(_ url: URL) throws -> [UInt8] {
        Array(try Data(contentsOf: url))
    }

    /// Runs `body` and returns the KeyError it throws, failing the test if it does not throw.
    private func keyError<T>(_ body: () throws(KeyError) -> T, file: StaticString = #filePath, line: UInt = #line) -> KeyError? {
        do {
            _ = try body()
            XCTFail("expected a KeyError", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private let message = Array("adapterpack signing test message \u{1F4E6}".utf8)

    // MARK: round trips

    func testGenerateSignVerifyBothAlgorithms() throws {
        for alg in [SignatureAlgorithm.ed25519, .ecdsaP256SHA256] {
            let key = try SigningKey.generate(alg)
            XCTAssertEqual(key.algorithm, alg)
            XCTAssertEqual(key.verifyingKey.algorithm, alg)
            XCTAssertEqual(key.verifyingKey.rawPublicKey.count, alg.rawPublicKeyLength)
            for msg in [message, [], [UInt8](repeating: 0xA5, count: 100_000)] {
                let signature = try key.sign(msg)
                XCTAssertEqual(signature.count, alg.signatureLength, "\(alg)")
                XCTAssertTrue(key.verifyingKey.verify(msg, signature: signature), "\(alg)")
            }
        }
        XCTAssertEqual(SignatureAlgorithm.ed25519.rawValue, 1)
        XCTAssertEqual(SignatureAlgorithm.ecdsaP256SHA256.rawValue, 2)
        XCTAssertEqual(SignatureAlgorithm(rawValue: 3), nil)
    }

    func testTamperedMessageAndSignatureFail() throws {
        for alg in [SignatureAlgorithm.ed25519, .ecdsaP256SHA256] {
            let key = try SigningKey.generate(alg)
            let signature = try key.sign(message)
            let vk = key.verifyingKey

            for position in [0, message.count / 2, message.count - 1] {
                var tampered = message
                tampered[position] ^= 0x01
                XCTAssertFalse(vk.verify(tampered, signature: signature), "\(alg) message byte \(position)")
            }
            XCTAssertFalse(vk.verify(message + [0], signature: signature), "\(alg) appended byte")
            XCTAssertFalse(vk.verify(Array(message.dropLast()), signature: signature), "\(alg) dropped byte")

            for position in [0, 1, 31, 32, 33, 63] {
                var tampered = signature
                tampered[position] ^= 0x80
                XCTAssertFalse(vk.verify(message, signature: tampered), "\(alg) signature byte \(position)")
            }
            XCTAssertFalse(vk.verify(message, signature: Array(signature.dropLast())), "\(alg) short")
            XCTAssertFalse(vk.verify(message, signature: signature + [0]), "\(alg) long")
            XCTAssertFalse(vk.verify(message, signature: []), "\(alg) empty")
            XCTAssertFalse(vk.verify(message, signature: [UInt8](repeating: 0, count: 64)), "\(alg) zeros")
            XCTAssertFalse(vk.verify(message, signature: [UInt8](repeating: 0xFF, count: 64)), "\(alg) ones")

            let other = try SigningKey.generate(alg)
            XCTAssertFalse(other.verifyingKey.verify(message, signature: signature), "\(alg) other key")
        }
    }

    func testECDSARejectsOutOfRangeComponents() throws {
        let key = try SigningKey.generate(.ecdsaP256SHA256)
        let signature = try key.sign(message)
        // n, the order of P-256.
        let n: [UInt8] = [
            0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
        ]
        let zero = [UInt8](repeating: 0, count: 32)
        let r = Array(signature[0..<32])
        let s = Array(signature[32..<64])
        XCTAssertFalse(key.verifyingKey.verify(message, signature: zero + s))
        XCTAssertFalse(key.verifyingKey.verify(message, signature: r + zero))
        XCTAssertFalse(key.verifyingKey.verify(message, signature: n + s))
        XCTAssertFalse(key.verifyingKey.verify(message, signature: r + n))
        // s and n - s are both valid ECDSA signatures; the raw form keeps either.
        XCTAssertTrue(key.verifyingKey.verify(message, signature: r + s))
    }

    func testPEMRoundTrip() throws {
        for alg in [SignatureAlgorithm.ed25519, .ecdsaP256SHA256] {
            let key = try SigningKey.generate(alg)
            let privatePEM = key.privatePEM()
            let publicPEM = key.verifyingKey.publicPEM()
            XCTAssertTrue(String(decoding: privatePEM, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
            XCTAssertTrue(String(decoding: publicPEM, as: UTF8.self).hasPrefix("-----BEGIN PUBLIC KEY-----\n"))

            let reloaded = try SigningKey(pem: privatePEM)
            XCTAssertEqual(reloaded.algorithm, alg)
            XCTAssertEqual(reloaded.verifyingKey, key.verifyingKey)
            XCTAssertEqual(reloaded.privatePEM(), privatePEM)

            let fromPublic = try VerifyingKey(pem: publicPEM)
            let fromPrivate = try VerifyingKey(pem: privatePEM)
            XCTAssertEqual(fromPublic, key.verifyingKey)
            XCTAssertEqual(fromPrivate, key.verifyingKey)
            XCTAssertEqual(fromPrivate.publicPEM(), publicPEM, "derived public key must not keep private material")
            XCTAssertEqual(fromPublic.keyID, key.verifyingKey.keyID)

            let signature = try reloaded.sign(message)
            XCTAssertTrue(fromPublic.verify(message, signature: signature))
            XCTAssertTrue(key.verifyingKey.verify(message, signature: signature))
        }
    }

    func testFromRaw() throws {
        for alg in [SignatureAlgorithm.ed25519, .ecdsaP256SHA256] {
            let key = try SigningKey.generate(alg)
            let raw = key.verifyingKey.rawPublicKey
            let rebuilt = try VerifyingKey.fromRaw(raw, algorithm: alg)
            XCTAssertEqual(rebuilt, key.verifyingKey)
            XCTAssertEqual(rebuilt.publicPEM(), key.verifyingKey.publicPEM())
            XCTAssertTrue(rebuilt.verify(message, signature: try key.sign(message)))

            for bad in [[], Array(raw.dropLast()), raw + [0]] {
                guard let error = keyError({ () throws(KeyError) in try VerifyingKey.fromRaw(bad, algorithm: alg) })
                else { continue }
                guard case .invalidPublicKey(let a, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(a, alg)
            }
        }
        let p256 = try SigningKey.generate(.ecdsaP256SHA256).verifyingKey.rawPublicKey
        XCTAssertEqual(p256[0], 0x04)
        var compressed = p256
        compressed[0] = 0x02
        var offCurve = p256
        offCurve[64] ^= 0x01
        for bad in [compressed, offCurve] {
            guard let error = keyError({ () throws(KeyError) in try VerifyingKey.fromRaw(bad, algorithm: .ecdsaP256SHA256) })
            else { continue }
            guard case .invalidPublicKey = error else { return XCTFail("\(error)") }
        }
    }

    func testKeyIDIsSHA256OfRawPublicKeyAndDiffersBetweenKeys() throws {
        let a = try SigningKey.generate(.ed25519)
        let b = try SigningKey.generate(.ed25519)
        let c = try SigningKey.generate(.ecdsaP256SHA256)
        XCTAssertEqual(a.verifyingKey.keyID.count, 32)
        XCTAssertNotEqual(a.verifyingKey.keyID, b.verifyingKey.keyID)
        XCTAssertNotEqual(a.verifyingKey.keyID, c.verifyingKey.keyID)
        XCTAssertNotEqual(a.verifyingKey, b.verifyingKey)
        // SHA-256 test vector through the same internal digest: SHA-256("abc").
        XCTAssertEqual(SigningSupport.sha256(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined(),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(a.verifyingKey.keyID, SigningSupport.sha256(a.verifyingKey.rawPublicKey))
    }

    // MARK: interoperability with the openssl CLI

    func testEd25519KeyFromOpenSSLInterop() throws {
        let dir = try temporaryDirectory()
        let keyPath = dir.appendingPathComponent("k.pem").path
        let pubPath = dir.appendingPathComponent("pub.pem").path
        let msgPath = dir.appendingPathComponent("msg").path
        let sigPath = dir.appendingPathComponent("sig").path
        let sig2Path = dir.appendingPathComponent("sig2").path
        try opensslOK(["genpkey", "-algorithm", "ed25519", "-out", keyPath])
        try opensslOK(["pkey", "-in", keyPath, "-pubout", "-out", pubPath])
        try write(message, URL(fileURLWithPath: msgPath))

        // Swift signs, openssl verifies.
        let key = try SigningKey(pemFile: keyPath)
        XCTAssertEqual(key.algorithm, .ed25519)
        try write(try key.sign(message), URL(fileURLWithPath: sigPath))
        let verified = try openssl(["pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin",
                                    "-in", msgPath, "-sigfile", sigPath])
        XCTAssertEqual(verified.status, 0, verified.stderr)

        // A tampered signature makes openssl fail, so the check above means something.
        var bad = try key.sign(message)
        bad[10] ^= 1
        try write(bad, URL(fileURLWithPath: sig2Path))
        let rejected = try openssl(["pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin",
                                    "-in", msgPath, "-sigfile", sig2Path])
        XCTAssertNotEqual(rejected.status, 0)

        // openssl signs, Swift verifies (with the public file and with the private file).
        try opensslOK(["pkeyutl", "-sign", "-inkey", keyPath, "-rawin", "-in", msgPath, "-out", sig2Path])
        let opensslSignature = try read(URL(fileURLWithPath: sig2Path))
        XCTAssertEqual(opensslSignature.count, 64)
        let vk = try VerifyingKey(pemFile: pubPath)
        XCTAssertTrue(vk.verify(message, signature: opensslSignature))
        XCTAssertTrue(try VerifyingKey(pemFile: keyPath).verify(message, signature: opensslSignature))
        XCTAssertEqual(vk, key.verifyingKey)
        // Ed25519 is deterministic: both implementations produce the same bytes.
        XCTAssertEqual(opensslSignature, try key.sign(message))

        // Our public PEM is byte-identical to openssl's.
        XCTAssertEqual(vk.publicPEM(), try read(URL(fileURLWithPath: pubPath)))

        // Key id = SHA-256 of the raw key = last 32 bytes of the SPKI DER.
        let der = try opensslOK(["pkey", "-pubin", "-in", pubPath, "-outform", "DER"])
        XCTAssertEqual(Array(der.suffix(32)), vk.rawPublicKey)
        let rawPath = dir.appendingPathComponent("raw").path
        try write(Array(der.suffix(32)), URL(fileURLWithPath: rawPath))
        let digest = try opensslOK(["dgst", "-sha256", "-binary", rawPath])
        XCTAssertEqual(digest, vk.keyID)
    }

    func testECDSAKeyFromOpenSSLInterop() throws {
        let dir = try temporaryDirectory()
        let keyPath = dir.appendingPathComponent("k.pem").path
        let pubPath = dir.appendingPathComponent("pub.pem").path
        let msgPath = dir.appendingPathComponent("msg").path
        let sigPath = dir.appendingPathComponent("sig.der").path
        try opensslOK(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyPath])
        try opensslOK(["pkey", "-in", keyPath, "-pubout", "-out", pubPath])
        try write(message, URL(fileURLWithPath: msgPath))

        // Swift signs (raw r||s), the test converts to DER, openssl verifies.
        let key = try SigningKey(pemFile: keyPath)
        XCTAssertEqual(key.algorithm, .ecdsaP256SHA256)
        let raw = try key.sign(message)
        XCTAssertEqual(raw.count, 64)
        try write(SigningTestDER.encode(raw: raw), URL(fileURLWithPath: sigPath))
        let verified = try openssl(["dgst", "-sha256", "-verify", pubPath, "-signature", sigPath, msgPath])
        XCTAssertEqual(verified.status, 0, verified.stderr)

        var bad = raw
        bad[40] ^= 1
        try write(SigningTestDER.encode(raw: bad), URL(fileURLWithPath: sigPath))
        XCTAssertNotEqual(try openssl(["dgst", "-sha256", "-verify", pubPath, "-signature", sigPath, msgPath]).status, 0)

        // openssl signs (DER), the test converts to raw, Swift verifies. Repeat so that
        // short r or s (leading zero bytes) turn up now and then.
        let vk = try VerifyingKey(pemFile: pubPath)
        XCTAssertEqual(vk, key.verifyingKey)
        XCTAssertEqual(vk.publicPEM(), try read(URL(fileURLWithPath: pubPath)))
        for _ in 0..<8 {
            try opensslOK(["dgst", "-sha256", "-sign", keyPath, "-out", sigPath, msgPath])
            let der = try read(URL(fileURLWithPath: sigPath))
            let converted = try XCTUnwrap(SigningTestDER.strictRaw(der: der), "openssl wrote non-DER?")
            XCTAssertTrue(vk.verify(message, signature: converted))
            XCTAssertTrue(vk.verifyDER(message, derSignature: der))
            XCTAssertEqual(SigningSupport.ecdsaDERToRaw(der), converted)
            XCTAssertEqual(SigningSupport.ecdsaRawToDER(converted), der)
        }

        // Key id = SHA-256 of the uncompressed point = last 65 bytes of the SPKI DER.
        let spki = try opensslOK(["pkey", "-pubin", "-in", pubPath, "-outform", "DER"])
        XCTAssertEqual(Array(spki.suffix(65)), vk.rawPublicKey)
        XCTAssertEqual(Array(spki.prefix(spki.count - 64)), SigningSupport.p256SPKIPrefix + [0x04])
        let rawPath = dir.appendingPathComponent("raw").path
        try write(vk.rawPublicKey, URL(fileURLWithPath: rawPath))
        XCTAssertEqual(try opensslOK(["dgst", "-sha256", "-binary", rawPath]), vk.keyID)
    }

    func testSEC1AndCompressedECKeysLoad() throws {
        let dir = try temporaryDirectory()
        let withParams = dir.appendingPathComponent("params.pem").path
        let noParams = dir.appendingPathComponent("noparams.pem").path
        let compressed = dir.appendingPathComponent("compressed.pem").path
        let compressedPub = dir.appendingPathComponent("compressed.pub.pem").path
        // `ecparam -genkey` writes "EC PARAMETERS" then "EC PRIVATE KEY".
        try opensslOK(["ecparam", "-name", "prime256v1", "-genkey", "-out", withParams])
        try opensslOK(["ec", "-in", withParams, "-out", noParams])
        try opensslOK(["ec", "-in", withParams, "-conv_form", "compressed", "-out", compressed])
        try opensslOK(["ec", "-in", withParams, "-conv_form", "compressed", "-pubout", "-out", compressedPub])
        XCTAssertTrue(String(decoding: try read(URL(fileURLWithPath: noParams)), as: UTF8.self)
            .hasPrefix("-----BEGIN EC PRIVATE KEY-----"))

        let a = try SigningKey(pemFile: withParams)
        let b = try SigningKey(pemFile: noParams)
        let c = try SigningKey(pemFile: compressed)
        let d = try VerifyingKey(pemFile: compressedPub)
        XCTAssertEqual(a.verifyingKey, b.verifyingKey)
        XCTAssertEqual(a.verifyingKey, c.verifyingKey)
        XCTAssertEqual(a.verifyingKey, d)
        XCTAssertEqual(d.rawPublicKey.count, 65)
        XCTAssertEqual(d.rawPublicKey[0], 0x04)
        XCTAssertTrue(d.verify(message, signature: try c.sign(message)))
        // Re-exported as PKCS#8.
        XCTAssertTrue(String(decoding: b.privatePEM(), as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    // MARK: errors

    func testRSAAndOtherCurvesAreUnsupported() throws {
        let dir = try temporaryDirectory()
        let rsa = dir.appendingPathComponent("rsa.pem").path
        let rsaPub = dir.appendingPathComponent("rsa.pub.pem").path
        let p384 = dir.appendingPathComponent("p384.pem").path
        let ed448 = dir.appendingPathComponent("ed448.pem").path
        try opensslOK(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa])
        try opensslOK(["pkey", "-in", rsa, "-pubout", "-out", rsaPub])
        try opensslOK(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", p384])
        try opensslOK(["genpkey", "-algorithm", "ed448", "-out", ed448])

        let cases: [(String, String)] = [(rsa, "RSA (2048-bit)"), (p384, "secp384r1"), (ed448, "ED448")]
        for (path, found) in cases {
            for error in [keyError({ () throws(KeyError) in try SigningKey(pemFile: path) }),
                          keyError({ () throws(KeyError) in try VerifyingKey(pemFile: path) })] {
                guard let error else { continue }
                guard case .unsupportedKeyType(let text) = error else { XCTFail("\(path): \(error)"); continue }
                XCTAssertTrue(text.contains(found), text)
                XCTAssertTrue(text.contains(path), text)
                XCTAssertTrue(error.description.contains("Ed25519"), error.description)
            }
        }
        let error = keyError({ () throws(KeyError) in try VerifyingKey(pemFile: rsaPub) })
        guard case .unsupportedKeyType(let text)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(text.contains("RSA"), text)
        // Traditional "RSA PRIVATE KEY" too.
        let traditional = dir.appendingPathComponent("rsa-trad.pem").path
        try opensslOK(["rsa", "-in", rsa, "-traditional", "-out", traditional])
        guard case .unsupportedKeyType? = keyError({ () throws(KeyError) in try SigningKey(pemFile: traditional) })
        else { return XCTFail("traditional RSA key not reported as unsupported") }
    }

    func testGarbageMissingAndDirectory() throws {
        let dir = try temporaryDirectory()
        let garbage = dir.appendingPathComponent("garbage.pem")
        try write(Array("this is not a key\n".utf8) + (0..<200).map { UInt8($0) }, garbage)

        let notPEM = keyError({ () throws(KeyError) in try SigningKey(pemFile: garbage.path) })
        guard case .notPEM(let path)? = notPEM else { return XCTFail("\(String(describing: notPEM))") }
        XCTAssertEqual(path, garbage.path)
        let text = notPEM!.description
        XCTAssertTrue(text.hasPrefix(garbage.path + ": not a PEM key"), text)
        XCTAssertTrue(text.contains("-----BEGIN PRIVATE KEY-----"), text)
        XCTAssertTrue(text.contains("adapterpack keygen -o Keys/NAME.pem"), text)
        XCTAssertTrue(text.contains("openssl genpkey -algorithm ed25519"), text)
        guard case .notPEM? = keyError({ () throws(KeyError) in try VerifyingKey(pemFile: garbage.path) })
        else { return XCTFail() }
        guard case .notPEM(nil)? = keyError({ () throws(KeyError) in try SigningKey(pem: []) }) else { return XCTFail() }

        let missing = dir.appendingPathComponent("missing.pem").path
        for error in [keyError({ () throws(KeyError) in try SigningKey(pemFile: missing) }),
                      keyError({ () throws(KeyError) in try VerifyingKey(pemFile: missing) })] {
            guard case .unreadableFile(let path, let reason)? = error else { XCTFail("\(String(describing: error))"); continue }
            XCTAssertEqual(path, missing)
            XCTAssertTrue(reason.contains("no such file"), reason)
            XCTAssertTrue(error!.description.contains(missing))
        }
        guard case .unreadableFile(_, let reason)? = keyError({ () throws(KeyError) in try SigningKey(pemFile: dir.path) })
        else { return XCTFail() }
        XCTAssertTrue(reason.contains("directory"), reason)
    }

    func testWrongKindEncryptedAndMalformed() throws {
        let key = try SigningKey.generate(.ed25519)

        // A public key where a private key is needed.
        let wrong = keyError({ () throws(KeyError) in try SigningKey(pem: key.verifyingKey.publicPEM()) })
        guard case .wrongPEMType(nil, let found, _)? = wrong else { return XCTFail("\(String(describing: wrong))") }
        XCTAssertEqual(found, "PUBLIC KEY")
        XCTAssertTrue(wrong!.description.contains("private key"), wrong!.description)

        let certificate = Array("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8)
        guard case .wrongPEMType(_, "CERTIFICATE", _)? = keyError({ () throws(KeyError) in try VerifyingKey(pem: certificate) })
        else { return XCTFail() }

        // Broken base64 inside a proper label.
        var text = String(decoding: key.privatePEM(), as: UTF8.self)
        text = text.replacingOccurrences(of: "MC4CAQAw", with: "MC4C!!!w")
        let malformed = keyError({ () throws(KeyError) in try SigningKey(pem: Array(text.utf8)) })
        guard case .malformedPEM(nil, "PRIVATE KEY", let detail)? = malformed
        else { return XCTFail("\(String(describing: malformed))") }
        XCTAssertFalse(detail.isEmpty)

        // A truncated body.
        let truncated = Array(key.privatePEM().prefix(40)) + Array("\n-----END PRIVATE KEY-----\n".utf8)
        guard case .malformedPEM? = keyError({ () throws(KeyError) in try SigningKey(pem: truncated) })
        else { return XCTFail() }

        // Password-protected (never prompts).
        let dir = try temporaryDirectory()
        let encrypted = dir.appendingPathComponent("enc.pem").path
        try opensslOK(["genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:secret", "-out", encrypted])
        let error = keyError({ () throws(KeyError) in try SigningKey(pemFile: encrypted) })
        guard case .encryptedKey(let path)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(path, encrypted)
        XCTAssertTrue(error!.description.contains("openssl pkey"), error!.description)
    }

    // MARK: key files

    func testWriteKeyPair() throws {
        let dir = try temporaryDirectory()
        for alg in [SignatureAlgorithm.ed25519, .ecdsaP256SHA256] {
            let key = try SigningKey.generate(alg)
            let target = dir.appendingPathComponent("dev-\(alg.name).pem").path
            let written = try KeyFiles.writeKeyPair(key, to: target)
            XCTAssertEqual(written.privatePath, target)
            XCTAssertEqual(written.publicPath, dir.appendingPathComponent("dev-\(alg.name).pub.pem").path)

            let privateAttributes = try FileManager.default.attributesOfItem(atPath: written.privatePath)
            let publicAttributes = try FileManager.default.attributesOfItem(atPath: written.publicPath)
            XCTAssertEqual((privateAttributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
            XCTAssertEqual((publicAttributes[.posixPermissions] as? NSNumber)?.intValue, 0o644)

            XCTAssertEqual(try read(URL(fileURLWithPath: written.privatePath)), key.privatePEM())
            XCTAssertEqual(try read(URL(fileURLWithPath: written.publicPath)), key.verifyingKey.publicPEM())
            XCTAssertEqual(try SigningKey(pemFile: written.privatePath).verifyingKey, key.verifyingKey)
            XCTAssertEqual(try VerifyingKey(pemFile: written.publicPath), key.verifyingKey)

            // Refuses to overwrite; the existing files are untouched.
            let other = try SigningKey.generate(alg)
            let error = keyError({ () throws(KeyError) in try KeyFiles.writeKeyPair(other, to: target) })
            guard case .fileExists(let path)? = error else { return XCTFail("\(String(describing: error))") }
            XCTAssertEqual(path, target)
            XCTAssertTrue(error!.description.contains(target))
            XCTAssertEqual(try SigningKey(pemFile: target).verifyingKey, key.verifyingKey)
        }

        // Only the public file exists: still refused, and no private file appears.
        let lonely = dir.appendingPathComponent("lonely.pem").path
        try write([1, 2, 3], URL(fileURLWithPath: KeyFiles.publicKeyPath(forPrivateKeyPath: lonely)))
        guard case .fileExists(let path)? = keyError({ () throws(KeyError) in
            try KeyFiles.writeKeyPair(try SigningKey.generate(.ed25519), to: lonely)
        }) else { return XCTFail() }
        XCTAssertEqual(path, KeyFiles.publicKeyPath(forPrivateKeyPath: lonely))
        XCTAssertFalse(FileManager.default.fileExists(atPath: lonely))

        // Missing directory names the file and the directory.
        let nowhere = dir.appendingPathComponent("no/such/dir/k.pem").path
        guard case .unwritableFile(let p, let reason)? = keyError({ () throws(KeyError) in
            try KeyFiles.writeKeyPair(try SigningKey.generate(.ed25519), to: nowhere)
        }) else { return XCTFail() }
        XCTAssertEqual(p, nowhere)
        XCTAssertTrue(reason.contains("does not exist"), reason)

        // No temporary files left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
        XCTAssertEqual(KeyFiles.publicKeyPath(forPrivateKeyPath: "Keys/dev.pem"), "Keys/dev.pub.pem")
        XCTAssertEqual(KeyFiles.publicKeyPath(forPrivateKeyPath: "Keys/dev"), "Keys/dev.pub.pem")
    }

    func testWrittenKeysReadableByOpenSSL() throws {
        let dir = try temporaryDirectory()
        let key = try SigningKey.generate(.ecdsaP256SHA256)
        let paths = try KeyFiles.writeKeyPair(key, to: dir.appendingPathComponent("k.pem").path)
        let text = String(decoding: try opensslOK(["pkey", "-in", paths.privatePath, "-noout", "-text"]), as: UTF8.self)
        XCTAssertTrue(text.contains("P-256") || text.contains("prime256v1"), text)
        let derived = try opensslOK(["pkey", "-in", paths.privatePath, "-pubout"])
        XCTAssertEqual(derived, try read(URL(fileURLWithPath: paths.publicPath)))
    }
}
