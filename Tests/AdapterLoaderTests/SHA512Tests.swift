import AdapterLoader
import XCTest

final class SHA512Tests: XCTestCase {
    private func hex(_ digest: Digest64) -> String {
        var text = ""
        for i in 0..<64 {
            let byte = digest[i]
            text += String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
        }
        return text
    }

    private func sha512(_ bytes: [UInt8]) -> Digest64 {
        bytes.withUnsafeBytes { SHA512.hash($0) }
    }

    /// FIPS 180-4 examples (NIST CSRC "SHA512.pdf" / FIPS 180-2 Appendix C).
    func testFIPSVectors() {
        XCTAssertEqual(hex(sha512([])),
                       "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                       + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
        XCTAssertEqual(hex(sha512(Array("abc".utf8))),
                       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                       + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        XCTAssertEqual(hex(sha512(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
                       + "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445")
        let twoBlocks = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
            + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        XCTAssertEqual(hex(sha512(Array(twoBlocks.utf8))),
                       "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                       + "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909")
    }

    /// One million 'a', fed in uneven chunks.
    func testMillionA() {
        let chunk = [UInt8](repeating: 0x61, count: 999)
        var hasher = SHA512()
        var left = 1_000_000
        chunk.withUnsafeBytes { raw in
            while left > 0 {
                let take = min(left, raw.count)
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[0..<take]))
                left -= take
            }
        }
        XCTAssertEqual(hex(hasher.finalize()),
                       "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                       + "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b")
    }

    /// Every length 0..<300 (all padding cases around 111/112/128 bytes): SHA-512
    /// of the concatenated digests, expected value from Python's hashlib.
    func testAllShortLengths() {
        var outer = SHA512()
        for n in 0..<300 {
            let message = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 7 + n) }
            sha512(message).withUnsafeBytes { outer.update($0) }
        }
        XCTAssertEqual(hex(outer.finalize()),
                       "30d6c78a55e1f152f00703601a37b39b96c6c8fa2b3e66fb9c8182466b108d39"
                       + "d5dd84827c69cadb4376853da7ec31ea83a0a7a0e5a713bac426e0f0ceea8424")
    }

    /// Chunked updates, single-byte updates and one-shot hashing agree; the hasher
    /// resets after `finalize()`.
    func testIncrementalMatchesOneShot() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let length = Int.random(in: 0..<700, using: &generator)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = sha512(message)

            var chunked = SHA512()
            message.withUnsafeBytes { raw in
                var start = 0
                while start < raw.count {
                    let end = min(raw.count, start + Int.random(in: 0...200, using: &generator))
                    chunked.update(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                    start = end
                }
            }
            XCTAssertEqual(chunked.finalize(), expected)

            var bytewise = SHA512()
            for byte in message { bytewise.update(byte: byte) }
            XCTAssertEqual(bytewise.finalize(), expected)

            // Reused after finalize: starts from scratch.
            message.withUnsafeBytes { bytewise.update($0) }
            XCTAssertEqual(bytewise.finalize(), expected)
        }
    }
}
