import AdapterFormat
import XCTest

/// The header rules of Spec/FORMAT.md §2, on hand-made bytes: each field the
/// parser refuses, with the exact error.
final class BundleHeaderTests: XCTestCase {
    func error(_ change: (inout HeaderFields) -> Void) -> FormatError? {
        var fields = HeaderFields()
        change(&fields)
        return parseHeader(fields.bytes).failure
    }

    func testValidHeaderReadsEveryField() throws {
        var fields = HeaderFields()
        fields.minor = 3   // a newer minor is accepted (§2)
        fields.sectionCount = 2
        fields.bundleLength = 128 + 96 + 100 + 40
        fields.sequence = 0xFEDC_BA98_7654_3210
        let header = try XCTUnwrap(parseHeader(fields.bytes).success)
        XCTAssertEqual(header.major, 1)
        XCTAssertEqual(header.minor, 3)
        XCTAssertEqual(header.sectionCount, 2)
        XCTAssertEqual(header.flags, 0)
        XCTAssertEqual(header.bundleLength, 364)
        XCTAssertEqual(header.windowSize, 512)
        XCTAssertEqual(header.sequence, 0xFEDC_BA98_7654_3210)
        XCTAssertEqual(header.baseLength, 1000)
        XCTAssertEqual(header.targetLength, 1200)
        XCTAssertEqual(header.segmentSize, 4096)
        XCTAssertEqual(header.baseSHA256, digest(repeating: 0xB5))
        XCTAssertEqual(header.targetSHA256, digest(repeating: 0x7A))
        XCTAssertEqual(header.firstSectionOffset, 128 + 96)
        // ⌈max(1000, 1200) / 4096⌉ segments.
        XCTAssertEqual(header.segmentCount, 1)
        XCTAssertEqual(header.storeCapacityNeeded, 1200)
    }

    func testMagic() {
        XCTAssertEqual(BundleHeader.magic, 0x4250_4441)
        XCTAssertEqual(error { $0.magic = Array("ADPC".utf8) }, .badMagic(found: 0x4350_4441))
        XCTAssertEqual(error { $0.magic = [0x42, 0x50, 0x44, 0x41] }, .badMagic(found: 0x4144_5042))  // big-endian
        XCTAssertEqual(error { $0.magic = [0, 0, 0, 0] }, .badMagic(found: 0))
        // A TFLite file is not a bundle: "TFL3" sits at offset 4, not 0.
        var tflite = [UInt8](repeating: 0, count: 200)
        tflite.replaceSubrange(4 ..< 8, with: Array("TFL3".utf8))
        tflite[0] = 0x1C
        XCTAssertEqual(parseHeader(tflite).failure, .badMagic(found: 0x1C))
    }

    func testMajorVersionOtherThanOneIsRefused() {
        for major: UInt16 in [0, 2, 0xFFFF] {
            XCTAssertEqual(error { $0.major = major; $0.minor = 4 }, .unsupportedVersion(major: major, minor: 4))
        }
        // Every minor of major 1 is read.
        for minor: UInt16 in [0, 1, 0xFFFF] {
            XCTAssertEqual(parseHeader({ var f = HeaderFields(); f.minor = minor; return f.bytes }()).success?.minor, minor)
        }
    }

    func testShortInputIsTruncated() {
        let full = HeaderFields().bytes
        // The magic and the version are checked on what there is; the rest needs all 128 bytes.
        for count in [0, 3] {
            XCTAssertEqual(parseHeader(Array(full.prefix(count))).failure,
                           .truncated(offset: 0, needed: 128, available: count), "\(count)")
        }
        XCTAssertEqual(parseHeader(Array("ADPC".utf8)).failure, .badMagic(found: 0x4350_4441))
        for count in [4, 7] {
            XCTAssertEqual(parseHeader(Array(full.prefix(count))).failure,
                           .truncated(offset: 0, needed: 128, available: count), "\(count)")
        }
        var newMajor = HeaderFields()
        newMajor.major = 2
        XCTAssertEqual(parseHeader(Array(newMajor.bytes.prefix(8))).failure, .unsupportedVersion(major: 2, minor: 0))
        for count in [8, 64, 127] {
            XCTAssertEqual(parseHeader(Array(full.prefix(count))).failure,
                           .truncated(offset: 0, needed: 128, available: count), "\(count)")
        }
        XCTAssertNotNil(parseHeader(full).success)
    }

    func testHeaderSize() {
        for size: UInt16 in [0, 127, 129, 256] {
            XCTAssertEqual(error { $0.headerSize = size }, .invalidHeaderField(.headerSize, value: UInt32(size)))
        }
    }

    func testSectionCountIsOneToEight() {
        for count: UInt16 in [0, 9, 0xFFFF] {
            XCTAssertEqual(error { $0.sectionCount = count }, .invalidHeaderField(.sectionCount, value: UInt32(count)))
        }
        for count: UInt16 in [1, 8] {
            XCTAssertNil(error { $0.sectionCount = count; $0.bundleLength = 128 + 48 * UInt32(count) + 100 })
        }
    }

    func testFlagsMustBeZero() {
        for flags: UInt32 in [1, 0x8000_0000] {
            XCTAssertEqual(error { $0.flags = flags }, .invalidHeaderField(.flags, value: flags))
        }
    }

    func testSegmentSizeIsAPowerOfTwoFrom256To16MiB() {
        for size: UInt32 in [0, 1, 128, 255, 257, 3000, 4095, 1 << 25, 0x8000_0000, (1 << 24) + 1] {
            XCTAssertEqual(error { $0.segmentSize = size }, .invalidHeaderField(.segmentSize, value: size), "\(size)")
        }
        for shift in 8 ... 24 {
            XCTAssertNil(error { $0.segmentSize = 1 << UInt32(shift) }, "\(shift)")
        }
    }

    func testReservedBytesMustBeZero() {
        for offset in [44, 50, 63] {
            var bytes = HeaderFields().bytes
            bytes[offset] = 0x01
            XCTAssertEqual(parseHeader(bytes).failure, .invalidHeaderField(.reserved, value: 0), "\(offset)")
        }
    }

    func testBundleLengthBounds() {
        XCTAssertEqual(error { $0.bundleLength = 0x8000_0000 }, .invalidHeaderField(.bundleLength, value: 0x8000_0000))
        XCTAssertEqual(error { $0.bundleLength = 0xFFFF_FFFF }, .invalidHeaderField(.bundleLength, value: 0xFFFF_FFFF))
        // At least the header, the table and the signature: 128 + 48n + 100.
        XCTAssertEqual(error { $0.bundleLength = 275 }, .invalidHeaderField(.bundleLength, value: 275))
        XCTAssertEqual(error { $0.bundleLength = 0 }, .invalidHeaderField(.bundleLength, value: 0))
        XCTAssertEqual(error { $0.sectionCount = 3; $0.bundleLength = 128 + 144 + 99 },
                       .invalidHeaderField(.bundleLength, value: 371))
        XCTAssertNil(error { $0.bundleLength = 276 })
        XCTAssertNil(error { $0.bundleLength = 0x7FFF_FFFF })
    }

    /// No reader sizes memory from an unverified window beyond the largest any bundle can need.
    func testWindowSizeAtMostTheLargestWindowABundleCanNeed() {
        let largest = UInt32(WindowLayout.maximum)
        XCTAssertEqual(largest, 512 + 32_768 + 1_024 + 512)
        XCTAssertNil(error { $0.windowSize = largest })
        for value: UInt32 in [largest + 1, 0x7FFF_FFF0, 0x8000_0000, 0xFFFF_FFFF] {
            XCTAssertEqual(error { $0.windowSize = value }, .invalidHeaderField(.windowSize, value: value))
        }
    }

    func testBaseAndTargetLengthsArePositiveAndBelowTwoToThe31() {
        for length: UInt32 in [0, 0x8000_0000, 0xFFFF_FFFF] {
            XCTAssertEqual(error { $0.baseLength = length }, .invalidHeaderField(.baseLength, value: length))
            XCTAssertEqual(error { $0.targetLength = length }, .invalidHeaderField(.targetLength, value: length))
        }
        XCTAssertNil(error { $0.baseLength = 1; $0.targetLength = 0x7FFF_FFFF })
    }

    /// The parser refuses the first bad field in header order.
    func testFirstBadFieldIsReported() {
        XCTAssertEqual(error { $0.magic = [0, 0, 0, 0]; $0.major = 9 }, .badMagic(found: 0))
        XCTAssertEqual(error { $0.major = 9; $0.headerSize = 0 }, .unsupportedVersion(major: 9, minor: 0))
        XCTAssertEqual(error { $0.headerSize = 0; $0.flags = 1 }, .invalidHeaderField(.headerSize, value: 0))
        XCTAssertEqual(error { $0.sectionCount = 0; $0.flags = 1 }, .invalidHeaderField(.sectionCount, value: 0))
        XCTAssertEqual(error { $0.flags = 2; $0.segmentSize = 0 }, .invalidHeaderField(.flags, value: 2))
        XCTAssertEqual(error { $0.segmentSize = 0; $0.baseLength = 0 }, .invalidHeaderField(.segmentSize, value: 0))
    }
}
