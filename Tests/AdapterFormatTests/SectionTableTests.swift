import AdapterFormat
import XCTest

/// The section-table rules of Spec/FORMAT.md §3, on hand-made tables: each
/// refusal with the exact error and the index of the entry it names.
final class SectionTableTests: XCTestCase {
    /// Parses `entries` (raw, offsets as given) behind a header of their count and `bundleLength`.
    func parse(_ entries: [RawEntry], bundleLength: UInt32) -> Result<SectionTable, FormatError> {
        let header = BundleHeader(sectionCount: UInt16(entries.count), bundleLength: bundleLength, windowSize: 512,
                                  segmentSize: 4096, sequence: 1, baseLength: 1000, targetLength: 1000,
                                  baseSHA256: .zero, targetSHA256: .zero)
        let table = entries.flatMap(\.bytes)
        return table.withUnsafeBytes { raw in
            do throws(FormatError) {
                return .success(try SectionTable(parsing: raw, header: header))
            } catch {
                return .failure(error)
            }
        }
    }

    /// Lays `entries` out back to back and parses them.
    func parse(laidOut entries: [RawEntry]) -> Result<SectionTable, FormatError> {
        let (placed, length) = laidOut(entries)
        return parse(placed, bundleLength: length)
    }

    func error(_ entries: [RawEntry]) -> FormatError? { parse(laidOut: entries).failure }

    func testValidTable() throws {
        let entries = [
            RawEntry(kind: 1, storedLength: 12),
            RawEntry(kind: 2, storedLength: 64),
            RawEntry(kind: 3, codec: 0x0C01, storedLength: 9, decodedLength: 20),   // deflate, W = 12
            RawEntry(kind: 4, storedLength: 30, decodedLength: 25),                  // chunked: lengths may differ
            RawEntry(kind: 5, codec: 0x0F01, storedLength: 40, decodedLength: 90),
            RawEntry(kind: 6, codec: 0x0801, storedLength: 7, decodedLength: 11),
            RawEntry(kind: 7, storedLength: 48),
            .signature,
        ]
        let (placed, length) = laidOut(entries)
        let table = try XCTUnwrap(parse(placed, bundleLength: length).success)
        XCTAssertEqual(table.count, 8)
        XCTAssertEqual(table.entries.map(\.kind), [.metadata, .tensorMap, .layout, .scales, .payload, .undo, .factors, .signature])
        XCTAssertEqual(table.layout?.codec, .deflate(windowBits: 12))
        XCTAssertEqual(table.payload, SectionEntry(kind: .payload, codec: .deflate(windowBits: 15), offset: placed[4].offset,
                                                   storedLength: 40, decodedLength: 90, digest: digest(repeating: 0x5C)))
        let sectionBytes: UInt32 = 12 + 64 + 9 + 30 + 40 + 7 + 48
        XCTAssertEqual(table.signature.offset, 128 + 8 * 48 + sectionBytes)
        XCTAssertEqual(table.signedLength, Int(table.signature.offset))
        XCTAssertEqual(Int(length), table.signedLength + 100)

        // The smallest bundle: the signature alone.
        let alone = try XCTUnwrap(parse(laidOut: [.signature]).success)
        XCTAssertEqual(alone.count, 1)
        XCTAssertEqual(alone.signature.offset, 176)
        XCTAssertNil(alone.metadata)
        XCTAssertNil(alone.payload)
    }

    func testTableShorterThanItsCountIsTruncated() {
        let (placed, length) = laidOut([RawEntry(kind: 1, storedLength: 4), .signature])
        let header = BundleHeader(sectionCount: 2, bundleLength: length, windowSize: 512, segmentSize: 4096, sequence: 1,
                                  baseLength: 1, targetLength: 1, baseSHA256: .zero, targetSHA256: .zero)
        let table = Array(placed.flatMap(\.bytes).prefix(95))
        let result: FormatError? = table.withUnsafeBytes { raw in
            do throws(FormatError) { _ = try SectionTable(parsing: raw, header: header); return nil } catch { return error }
        }
        XCTAssertEqual(result, .truncated(offset: 128, needed: 96, available: 95))
    }

    func testUnknownKind() {
        for kind: UInt16 in [0, 8, 14, 16, 0xFFFF] {
            XCTAssertEqual(error([RawEntry(kind: 1, storedLength: 4), RawEntry(kind: kind, storedLength: 4), .signature]),
                           .invalidSection(index: 1, .unknownKind(kind)), "\(kind)")
        }
    }

    func testUnknownCodec() {
        // Unknown ids, stored with a parameter, deflate windows outside 8 … 15.
        for codec: UInt16 in [0x0002, 0x00FF, 0x0100, 0x0001, 0x0701, 0x1001, 0xFF01] {
            XCTAssertEqual(error([RawEntry(kind: 5, codec: codec, storedLength: 4), .signature]),
                           .invalidSection(index: 0, .unknownCodec(codec)), String(codec, radix: 16))
        }
        // Deflate only on op streams: not metadata, tensor map, factors or signature.
        for kind: UInt16 in [1, 2, 7] {
            XCTAssertEqual(error([RawEntry(kind: kind, codec: 0x0F01, storedLength: 4), .signature]),
                           .invalidSection(index: 0, .unknownCodec(0x0F01)), "\(kind)")
        }
        var signature = RawEntry.signature
        signature.codec = 0x0801
        XCTAssertEqual(error([signature]), .invalidSection(index: 0, .unknownCodec(0x0801)))
        // Every W from 8 to 15 on every op-stream kind.
        for kind: UInt16 in [3, 4, 5, 6] {
            for w: UInt16 in 8 ... 15 {
                var entries = [RawEntry(kind: kind, codec: w << 8 | 1, storedLength: 4, decodedLength: 9)]
                if kind == 3 { entries.append(RawEntry(kind: 6, storedLength: 1)) }
                XCTAssertNil(error(entries + [.signature]), "kind \(kind) W \(w)")
            }
        }
    }

    func testDuplicateKind() {
        XCTAssertEqual(error([RawEntry(kind: 5, storedLength: 4), RawEntry(kind: 5, storedLength: 4), .signature]),
                       .invalidSection(index: 1, .duplicateKind(5)))
        XCTAssertEqual(error([RawEntry(kind: 1, storedLength: 4), .signature, .signature]),
                       .invalidSection(index: 2, .duplicateKind(15)))
    }

    func testKindsOutOfOrderAndSectionsAfterTheSignature() {
        XCTAssertEqual(error([.signature, RawEntry(kind: 1, storedLength: 4)]),
                       .invalidSection(index: 1, .signatureNotLast))
        // Kinds must strictly increase: a decrease anywhere is refused the same way.
        XCTAssertEqual(error([RawEntry(kind: 5, storedLength: 4), RawEntry(kind: 4, storedLength: 4), .signature]),
                       .invalidSection(index: 1, .signatureNotLast))
    }

    func testMisplacedSections() {
        // The first section must start right after the table (128 + 48n).
        var (placed, length) = laidOut([RawEntry(kind: 1, storedLength: 4), .signature])
        placed[0].offset += 1
        placed[1].offset += 1
        XCTAssertEqual(parse(placed, bundleLength: length + 1).failure,
                       .invalidSection(index: 0, .misplaced(expectedOffset: 224, actualOffset: 225)))
        // Each next one where the previous ends: no gap ...
        (placed, length) = laidOut([RawEntry(kind: 1, storedLength: 4), RawEntry(kind: 2, storedLength: 32), .signature])
        placed[1].offset += 2
        placed[2].offset += 2
        XCTAssertEqual(parse(placed, bundleLength: length + 2).failure,
                       .invalidSection(index: 1, .misplaced(expectedOffset: 276, actualOffset: 278)))
        // ... and no overlap.
        (placed, length) = laidOut([RawEntry(kind: 1, storedLength: 4), .signature])
        placed[1].offset -= 1
        XCTAssertEqual(parse(placed, bundleLength: length - 1).failure,
                       .invalidSection(index: 1, .misplaced(expectedOffset: 228, actualOffset: 227)))
    }

    func testSectionsOutOfBounds() {
        // A section that ends past the bundle length.
        let (placed, length) = laidOut([RawEntry(kind: 5, storedLength: 400), .signature])
        XCTAssertEqual(parse(placed, bundleLength: 500).failure,
                       .invalidSection(index: 0, .outOfBounds(offset: 224, length: 400, bundleLength: 500)))
        // A length so large the end overflows 32 bits.
        var huge = placed
        huge[0].storedLength = 0xFFFF_FFF0
        XCTAssertEqual(parse(huge, bundleLength: length).failure,
                       .invalidSection(index: 0, .outOfBounds(offset: 224, length: 0xFFFF_FFF0, bundleLength: length)))
        // The signature must end exactly at the bundle length.
        XCTAssertEqual(parse(placed, bundleLength: length + 1).failure,
                       .invalidSection(index: 1, .outOfBounds(offset: 624, length: 100, bundleLength: length + 1)))
        XCTAssertEqual(parse(placed, bundleLength: length - 1).failure,
                       .invalidSection(index: 1, .outOfBounds(offset: 624, length: 100, bundleLength: length - 1)))
        XCTAssertNotNil(parse(placed, bundleLength: length).success)
    }

    func testMissingRequiredSections() {
        // No signature: the last entry is something else.
        XCTAssertEqual(error([RawEntry(kind: 1, storedLength: 100)]),
                       .invalidSection(index: 0, .missingRequired(kind: 15)))
        XCTAssertEqual(error([RawEntry(kind: 1, storedLength: 4), RawEntry(kind: 5, storedLength: 100)]),
                       .invalidSection(index: 1, .missingRequired(kind: 15)))
        // A layout section needs an undo section.
        XCTAssertEqual(error([RawEntry(kind: 3, storedLength: 4), RawEntry(kind: 5, storedLength: 4), .signature]),
                       .invalidSection(index: 2, .missingRequired(kind: 6)))
        // Undo without layout is allowed.
        XCTAssertNil(error([RawEntry(kind: 5, storedLength: 4), RawEntry(kind: 6, storedLength: 4), .signature]))
    }

    func testBadLengths() {
        // The signature section is 100 bytes, stored and decoded.
        for stored: UInt32 in [0, 99, 101] {
            XCTAssertEqual(error([RawEntry(kind: 15, storedLength: stored)]),
                           .invalidSection(index: 0, .badLength(stored)), "\(stored)")
        }
        // A stored section other than scales and payload: decoded length = stored length.
        XCTAssertEqual(error([RawEntry(kind: 15, storedLength: 100, decodedLength: 64)]),
                       .invalidSection(index: 0, .badLength(64)))
        for kind: UInt16 in [1, 2, 7] {
            XCTAssertEqual(error([RawEntry(kind: kind, storedLength: 10, decodedLength: 11), .signature]),
                           .invalidSection(index: 0, .badLength(11)), "\(kind)")
        }
        XCTAssertEqual(error([RawEntry(kind: 5, storedLength: 4), RawEntry(kind: 6, storedLength: 8, decodedLength: 0), .signature]),
                       .invalidSection(index: 1, .badLength(0)))
        // Scales and payload hold chunk directories: their chunks are checked one by one.
        XCTAssertNil(error([RawEntry(kind: 4, storedLength: 10, decodedLength: 99),
                            RawEntry(kind: 5, storedLength: 10, decodedLength: 0), .signature]))
    }

    func testSignatureDigestMustBeZero() {
        for byte: UInt8 in [0x01, 0xFF] {
            var signature = RawEntry.signature
            signature.digestByte = byte
            XCTAssertEqual(error([RawEntry(kind: 1, storedLength: 4), signature]),
                           .invalidSection(index: 1, .nonzeroDigest))
        }
        // One nonzero byte is enough.
        let (placed, length) = laidOut([.signature])
        var bytes = placed[0].bytes
        bytes[47] = 1
        let header = BundleHeader(sectionCount: 1, bundleLength: length, windowSize: 512, segmentSize: 4096, sequence: 1,
                                  baseLength: 1, targetLength: 1, baseSHA256: .zero, targetSHA256: .zero)
        let result: FormatError? = bytes.withUnsafeBytes { raw in
            do throws(FormatError) { _ = try SectionTable(parsing: raw, header: header); return nil } catch { return error }
        }
        XCTAssertEqual(result, .invalidSection(index: 0, .nonzeroDigest))
    }

    /// Entries are checked in table order; an entry's kind and codec before its
    /// lengths, its length before its digest.
    func testFirstBadEntryIsReported() {
        XCTAssertEqual(error([RawEntry(kind: 9, storedLength: 4), RawEntry(kind: 1, codec: 7, storedLength: 4), .signature]),
                       .invalidSection(index: 0, .unknownKind(9)))
        XCTAssertEqual(error([RawEntry(kind: 1, codec: 7, storedLength: 4, decodedLength: 1), .signature]),
                       .invalidSection(index: 0, .unknownCodec(7)))
        var signature = RawEntry.signature
        signature.digestByte = 1
        signature.storedLength = 99
        signature.decodedLength = 99
        XCTAssertEqual(error([signature]), .invalidSection(index: 0, .badLength(99)))
    }

    func testSectionKindsAndCodecsAsTheSpecNumbersThem() {
        XCTAssertEqual(SectionKind.allCases.map(\.rawValue), [1, 2, 3, 4, 5, 6, 7, 15])
        XCTAssertEqual(SectionKind.allCases.filter(\.isOpStream), [.layout, .scales, .payload, .undo])
        XCTAssertEqual(SectionKind.allCases.filter(\.isSegmented), [.scales, .payload])
        XCTAssertEqual(SectionCodec(rawValue: 0), .stored)
        XCTAssertEqual(SectionCodec(rawValue: 0x0801), .deflate(windowBits: 8))
        XCTAssertEqual(SectionCodec(rawValue: 0x0F01), .deflate(windowBits: 15))
        XCTAssertEqual(SectionCodec.deflate(windowBits: 12).rawValue, 0x0C01)
        XCTAssertNil(SectionCodec(rawValue: 0x0101))
    }
}
