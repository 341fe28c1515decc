import AdapterFormat
import Foundation
import XCTest
import TestSupport

final class SHA256Tests: XCTestCase {
    // MARK: Helpers

    private func hex(_ digest: Digest32) -> String {
        digest.withUnsafeBytes { raw in
            raw.map { String(format: "%02x", $0) }.joined()
        }
    }

    private func sha(_ bytes: [UInt8]) -> Digest32 {
        bytes.withUnsafeBytes { SHA256.hash($0) }
    }

    private func sha(_ text: String) -> String {
        hex(sha(Array(text.utf8)))
    }

    private func randomBytes(_ count: Int, _ rng: inout TestRNG) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    // MARK: FIPS 180-2 vectors

    func testEmptyMessage() {
        XCTAssertEqual(sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testABC() {
        XCTAssertEqual(sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func test448BitMessage() {
        XCTAssertEqual(
            sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func test896BitMessage() {
        XCTAssertEqual(
            sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        // Bulk.
        XCTAssertEqual(hex(sha([UInt8](repeating: 0x61, count: 1_000_000))), expected)
        // Byte by byte.
        var hasher = SHA256()
        for _ in 0..<1_000_000 {
            hasher.update(byte: 0x61)
        }
        XCTAssertEqual(hex(hasher.finalize()), expected)
        // Odd-sized chunks (exercise the partial-block path).
        let chunk = [UInt8](repeating: 0x61, count: 997)
        hasher = SHA256()
        var left = 1_000_000
        chunk.withUnsafeBytes { raw in
            while left > 0 {
                let n = min(left, raw.count)
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                left -= n
            }
        }
        XCTAssertEqual(hex(hasher.finalize()), expected)
    }

    /// Every length 0..<300 (all padding cases around 55/56/63/64 bytes and beyond):
    /// SHA-256 of the concatenated digests, checked against Python's hashlib.
    func testAllShortLengthsAgainstReference() {
        var outer = SHA256()
        for n in 0..<300 {
            let message = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
            let digest = sha(message)
            digest.withUnsafeBytes { outer.update($0) }
        }
        XCTAssertEqual(hex(outer.finalize()), "7b074096cabb18dd0d1b468a173cb2f97f80e952525bca29542e606fd6d0753a")
    }

    // MARK: Streaming equivalence

    func testByteByByteEqualsBulkOnRandomLengths() {
        var rng = TestRNG(state: 0xC0FFEE)
        var lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 4095, 4096, 4097]
        for _ in 0..<60 {
            lengths.append(Int.random(in: 0...5000, using: &rng))
        }
        for length in lengths {
            let message = randomBytes(length, &rng)
            let bulk = sha(message)

            var single = SHA256()
            for byte in message {
                single.update(byte: byte)
            }
            XCTAssertEqual(single.finalize(), bulk, "length \(length): byte-by-byte")

            // Random chunking, mixing bulk and single-byte updates.
            var mixed = SHA256()
            message.withUnsafeBytes { raw in
                var at = 0
                while at < raw.count {
                    if Bool.random(using: &rng) {
                        mixed.update(byte: raw[at])
                        at += 1
                    } else {
                        let n = Int.random(in: 0...min(200, raw.count - at), using: &rng)
                        mixed.update(UnsafeRawBufferPointer(rebasing: raw[at..<(at + n)]))
                        at += n
                    }
                }
            }
            XCTAssertEqual(mixed.finalize(), bulk, "length \(length): mixed chunks")
        }
    }

    func testFinalizeResetsHasher() {
        var hasher = SHA256()
        Array("garbage".utf8).withUnsafeBytes { hasher.update($0) }
        _ = hasher.finalize()
        Array("abc".utf8).withUnsafeBytes { hasher.update($0) }
        XCTAssertEqual(hex(hasher.finalize()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(hasher.finalize()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testEmptyBufferUpdateIsNoOp() {
        var hasher = SHA256()
        hasher.update(UnsafeRawBufferPointer(start: nil, count: 0))
        XCTAssertEqual(hex(hasher.finalize()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    // MARK: Corpus file vs sha256sum

    func testFixtureMatchesSha256sum() throws {
        let data = try Data(contentsOf: RepoPaths.model("base"))
        XCTAssertEqual(data.count, 37128)
        let digest = data.withUnsafeBytes { SHA256.hash($0) }
        // `sha256sum Examples/digits/base.tflite`
        XCTAssertEqual(hex(digest), "70fdd24d70b90e9e193bc7d5903b7e5be86ad9e1f4fde1ded3fda66a5eeaa0a1")

        var hasher = SHA256()
        for byte in data {
            hasher.update(byte: byte)
        }
        XCTAssertEqual(hasher.finalize(), digest)
    }

    // MARK: Digest32

    func testDigest32Accessors() {
        let bytes = (0..<32).map { UInt8($0 * 5 + 1) }
        let digest = bytes.withUnsafeBytes { Digest32(bytes: $0) }
        for i in 0..<32 {
            XCTAssertEqual(digest[i], bytes[i])
        }
        XCTAssertEqual(digest.count, 32)
        XCTAssertEqual(digest.withUnsafeBytes { Array($0) }, bytes)
        XCTAssertNotEqual(digest, Digest32.zero)
        XCTAssertEqual(Digest32.zero.withUnsafeBytes { Array($0) }, [UInt8](repeating: 0, count: 32))

        // Each byte matters for equality.
        for i in 0..<32 {
            var other = bytes
            other[i] ^= 0x80
            XCTAssertNotEqual(other.withUnsafeBytes { Digest32(bytes: $0) }, digest, "byte \(i)")
        }
        XCTAssertEqual(bytes.withUnsafeBytes { Digest32(bytes: $0) }, digest)

        // Typed errors pass through withUnsafeBytes.
        struct Boom: Error {}
        XCTAssertThrowsError(try digest.withUnsafeBytes { (_) throws(Boom) -> Int in throw Boom() }) { error in
            XCTAssertTrue(error is Boom)
        }

        // sha256 digest bytes are in the order sha256sum prints them.
        let abc = sha(Array("abc".utf8))
        XCTAssertEqual(abc[0], 0xba)
        XCTAssertEqual(abc[31], 0xad)
    }

    // MARK: Long input

    /// 300 KB hashed in one call and in irregular pieces (single bytes, block
    /// tails, many blocks at once) give the same digest. Speed is measured by
    /// `adapterpack-bench`, not here.
    func testLongInputInPiecesMatchesOneCall() {
        var rng = TestRNG(state: 42)
        let data = randomBytes(300 * 1024, &rng)
        let whole = data.withUnsafeBytes { SHA256.hash($0) }
        var hasher = SHA256()
        var position = 0
        var step = 1
        while position < data.count {
            let n = min(step, data.count - position)
            if n == 1 {
                hasher.update(byte: data[position])
            } else {
                data[position ..< position + n].withUnsafeBytes { hasher.update($0) }
            }
            position += n
            step = step * 7 % 1_031 + 1
        }
        XCTAssertEqual(hasher.finalize(), whole)
        XCTAssertNotEqual(whole, Digest32.zero)
    }
}
