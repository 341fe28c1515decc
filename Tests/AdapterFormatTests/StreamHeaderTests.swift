import XCTest
import AdapterFormat

/// The 112-byte front (FORMAT.md §2), from hand-made bytes: every field's
/// rule refuses by name.
final class StreamHeaderTests: XCTestCase {
    func testValidFrontParsesEveryField() throws {
        let front = try XCTUnwrap(parseFront(FrontFields().bytes).success)
        XCTAssertEqual(front.major, 3)
        XCTAssertEqual(front.bundleLength, 476)
        XCTAssertEqual(front.segmentSize, 4096)
        XCTAssertEqual(front.blockLimit, 1024)
        XCTAssertEqual(front.sequence, 7)
        XCTAssertEqual(front.stepBound, 1)
        XCTAssertEqual(front.keyID, front.keyID.keyIDPrefix, "only 8 key-id bytes are carried")
        XCTAssertEqual(front.baseSHA256, digest(repeating: 0x11))
        XCTAssertEqual(front.targetSHA256, digest(repeating: 0x22))
        // Written back, byte for byte.
        var out = [UInt8](repeating: 0, count: 112)
        out.withUnsafeMutableBytes { front.write(into: $0) }
        XCTAssertEqual(out, FrontFields().bytes)
    }

    func testEachFieldRuleNamesTheField() {
        func refusal(_ change: (inout FrontFields) -> Void) -> FormatError? {
            var fields = FrontFields()
            change(&fields)
            return parseFront(fields.bytes).failure
        }
        XCTAssertEqual(refusal { $0.magic = Array("ADPX".utf8) }, .badMagic(found: 0x5850_4441))
        XCTAssertEqual(refusal { $0.major = 1 }, .unsupportedVersion(major: 1, minor: 0))
        XCTAssertEqual(refusal { $0.flags = 0x20 }, .invalidHeaderField(.flags, value: 0x20))
        XCTAssertEqual(refusal { $0.flags = 0x80 }, .invalidHeaderField(.flags, value: 0x80))
        XCTAssertNil(refusal { $0.flags = StreamHeader.oneWayFlag }, "bit 4 is the one-way flag")
        XCTAssertEqual(refusal { $0.algorithm = 3 }, .invalidHeaderField(.algorithm, value: 3))
        XCTAssertEqual(refusal { $0.reserved = 1 }, .invalidHeaderField(.reserved, value: 1))
        XCTAssertEqual(refusal { $0.segmentBits = 7 }, .invalidHeaderField(.segmentSize, value: 7))
        XCTAssertEqual(refusal { $0.segmentBits = 25 }, .invalidHeaderField(.segmentSize, value: 25))
        XCTAssertEqual(refusal { $0.blockBits = 16 }, .invalidHeaderField(.blockSize, value: 16))
        XCTAssertEqual(refusal { $0.bundleLength = 0x8000_0000 }, .invalidHeaderField(.bundleLength, value: 0x8000_0000))
        XCTAssertEqual(refusal { $0.baseLength = 0 }, .invalidHeaderField(.baseLength, value: 0))
        XCTAssertEqual(refusal { $0.targetLength = 0x8000_0000 }, .invalidHeaderField(.targetLength, value: 0x8000_0000))
        XCTAssertEqual(refusal { $0.firstBlockLength = 0 }, .invalidHeaderField(.firstBlockLength, value: 0))
        XCTAssertEqual(refusal { $0.firstBlockLength = 1025 }, .invalidHeaderField(.firstBlockLength, value: 1025))
        XCTAssertEqual(refusal { $0.firstBlockLength = 301 }, .invalidHeaderField(.firstBlockLength, value: 301),
                       "block 0 must end inside the bundle")
        XCTAssertEqual(refusal { $0.windowSize = 1535 }, .invalidHeaderField(.windowSize, value: 1535))
        XCTAssertEqual(refusal { $0.windowSize = 0xFFFF_FFFF }, .invalidHeaderField(.windowSize, value: 0xFFFF_FFFF))
        XCTAssertEqual(refusal { $0.factorBytes = 100 }, .invalidHeaderField(.windowSize, value: 1536),
                       "factors need the factor area and the factor buffer in the window")
    }

    func testShortInputIsTruncated() {
        let bytes = FrontFields().bytes
        for cut in [0, 3, 5, 111] {
            XCTAssertEqual(parseFront(Array(bytes[0 ..< cut])).failure, .truncated(offset: 0, needed: 112, available: cut))
        }
    }

    func testFeatureFlags() throws {
        var fields = FrontFields()
        fields.flags = StreamHeader.flag(.deflate) | StreamHeader.flag(.layout)
        let front = try XCTUnwrap(parseFront(fields.bytes).success)
        // The host build has every feature.
        XCTAssertNil(front.missingFeature)
        XCTAssertEqual(StreamHeader.flag(.lowRank), 4)
    }

    func testSignedMessageIsTheDomainAndTheDigest() {
        var message = [UInt8](repeating: 0, count: 64)
        message.withUnsafeMutableBytes { StreamSignature.message(digest: digest(repeating: 0x5A), into: $0) }
        XCTAssertEqual(Array(message[0 ..< 32]), Array("adapterpack bundle signature v2\n".utf8))
        XCTAssertEqual(Array(message[32...]), [UInt8](repeating: 0x5A, count: 32))
    }
}
