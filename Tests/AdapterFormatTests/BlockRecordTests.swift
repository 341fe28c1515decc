import XCTest
import AdapterFormat

/// Records inside a block's payload (FORMAT.md §4) and the block trailer,
/// from hand-made bytes.
final class BlockRecordTests: XCTestCase {
    func read(_ payload: [UInt8], segments: UInt32 = 4, order: BlockRecordReader.Order = .init())
        -> (records: [BlockRecord], error: FormatError?) {
        var records: [BlockRecord] = []
        var order = order
        let error: FormatError? = payload.withUnsafeBytes { raw in
            var reader = BlockRecordReader(payload: raw, block: 3, segmentCount: segments)
            do throws(FormatError) {
                while let record = try reader.next(order: &order) { records.append(record) }
                return nil
            } catch { return error }
        }
        return (records, error)
    }

    func testRecordsOfEveryKindInOrder() {
        // factors (stored), layout (deflate W=9: codec 2), payload segment 1, payload segment 1, undo.
        let payload: [UInt8] = [0x07, 2, 0xAA, 0xBB,
                                0x23, 1, 5, 0x00,
                                0x05, 1, 1, 0x01,
                                0x04, 0, 1,
                                0x06, 0]
        let (records, error) = read(payload)
        XCTAssertNil(error)
        XCTAssertEqual(records.map(\.kind), [.factors, .layout, .payload, .scales, .undo])
        XCTAssertEqual(records[1].codec, .deflate(windowBits: 9))
        XCTAssertEqual(records[1].decodedLength, 5)
        XCTAssertEqual(records[0].start, 2)
        XCTAssertEqual(records[0].headerLength, 2)
        XCTAssertEqual(records[2].segment, 1)
        XCTAssertEqual(records[3].storedLength, 0)
    }

    func testRefusals() {
        XCTAssertEqual(read([0x08, 0]).error, .malformedBlock(block: 3, offset: 0, .unknownRecord(0x08)))
        XCTAssertEqual(read([0x0F, 0]).error, .malformedBlock(block: 3, offset: 0, .unknownRecord(0x0F)))
        XCTAssertEqual(read([0x17, 0, 0]).error, .malformedBlock(block: 3, offset: 0, .unknownRecord(0x17)),
                       "factors are stored only")
        XCTAssertEqual(read([0x95, 0, 0, 0]).error, .malformedBlock(block: 3, offset: 0, .unknownRecord(0x95)),
                       "codec 9 is unknown")
        XCTAssertEqual(read([0x05, 3, 0, 1]).error, .malformedBlock(block: 3, offset: 0, .recordPastBlock(length: 3)))
        XCTAssertEqual(read([0x05, 0, 4]).error, .malformedBlock(block: 3, offset: 0, .segmentOutsideModel(4)))
        XCTAssertEqual(read([0x05, 0x80]).error, .malformedBlock(block: 3, offset: 0, .badRecordHeader))
        XCTAssertEqual(read([0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]).error, .malformedBlock(block: 3, offset: 0, .badRecordHeader))
        // Order: content after undo, a lower segment after a higher one, factors after layout.
        XCTAssertEqual(read([0x06, 0, 0x05, 0, 0]).error, .malformedBlock(block: 3, offset: 2, .recordOrder))
        XCTAssertEqual(read([0x05, 0, 2, 0x04, 0, 1]).error, .malformedBlock(block: 3, offset: 3, .recordOrder))
        XCTAssertEqual(read([0x03, 0, 0x07, 0]).error, .malformedBlock(block: 3, offset: 2, .recordOrder))
    }

    /// The order carries over from the previous block.
    func testOrderCarriesAcrossBlocks() {
        var order = BlockRecordReader.Order()
        order.rank = BlockRecord.rank(.payload)
        order.segment = 2
        XCTAssertEqual(read([0x05, 0, 1], order: order).error, .malformedBlock(block: 3, offset: 0, .recordOrder))
        XCTAssertNil(read([0x05, 0, 2], order: order).error)
    }

    func testTrailerRoundTrip() {
        var block = [UInt8](repeating: 0xEE, count: 40)
        block.withUnsafeMutableBytes { BlockTrailer.write(length: 0x1234, digest: digest(repeating: 7), into: $0) }
        XCTAssertEqual(Array(block[6 ..< 8]), [0x34, 0x12])
        let parsed = block.withUnsafeBytes { BlockTrailer.parse($0) }
        XCTAssertEqual(parsed.length, 0x1234)
        XCTAssertEqual(parsed.digest, digest(repeating: 7))
    }
}
