import AdapterFormat
import XCTest

/// The chunk directory of content sections (Spec/FORMAT.md §4.1), on
/// hand-made directories: varint D, then per chunk segment gap, stored
/// length, decoded length; the chunks' bytes follow.
final class ChunkDirectoryTests: XCTestCase {
    /// A payload section at bundle offset 1000 holding `bytes`.
    func section(_ bytes: [UInt8], decodedLength: UInt32, codec: SectionCodec = .stored,
                 storedLength: UInt32? = nil) -> SectionEntry {
        SectionEntry(kind: .payload, codec: codec, offset: 1000, storedLength: storedLength ?? UInt32(bytes.count),
                     decodedLength: decodedLength, digest: .zero)
    }

    /// Reads the whole directory: the chunks, or the first error.
    func read(_ bytes: [UInt8], section: SectionEntry, segments: UInt32) -> (chunks: [ContentChunk], error: FormatError?) {
        bytes.withUnsafeBytes { raw in
            var chunks: [ContentChunk] = []
            do throws(FormatError) {
                var reader = try ChunkDirectoryReader(input: BufferInput(raw), section: section, segmentCount: segments)
                while let chunk = try reader.next() { chunks.append(chunk) }
                return (chunks, nil)
            } catch {
                return (chunks, error)
            }
        }
    }

    func read(_ bytes: [UInt8], decodedLength: UInt32, segments: UInt32 = 4,
              codec: SectionCodec = .stored) -> (chunks: [ContentChunk], error: FormatError?) {
        read(bytes, section: section(bytes, decodedLength: decodedLength, codec: codec), segments: segments)
    }

    func bad(at offset: Int) -> FormatError { .malformedRecord(section: 5, offset: offset, .badChunkDirectory) }

    func testValidDirectory() {
        // Segments 0 and 3 (gap 2): 3 and 4 stored bytes.
        let bytes: [UInt8] = [6, 0, 3, 3, 2, 4, 4] + [1, 2, 3] + [4, 5, 6, 7]
        let result = read(bytes, decodedLength: 7)
        XCTAssertNil(result.error)
        XCTAssertEqual(result.chunks, [
            ContentChunk(segment: 0, offset: 1007, storedLength: 3, decodedLength: 3),
            ContentChunk(segment: 3, offset: 1010, storedLength: 4, decodedLength: 4),
        ])
        // The first chunk's segment is its gap; multi-byte varints; deflate
        // chunks' stored and decoded lengths differ.
        let wide: [UInt8] = [9, 0x81, 0x01, 0x80, 0x01, 2, 0, 1, 0x80, 0x01] + [UInt8](repeating: 9, count: 128 + 1)
        let bigger = read(wide, decodedLength: 130, segments: 200, codec: .deflate(windowBits: 9))
        XCTAssertNil(bigger.error)
        XCTAssertEqual(bigger.chunks, [
            ContentChunk(segment: 129, offset: 1010, storedLength: 128, decodedLength: 2),
            ContentChunk(segment: 130, offset: 1138, storedLength: 1, decodedLength: 128),
        ])
        // No chunks at all.
        XCTAssertEqual(read([0], decodedLength: 0).chunks, [])
        XCTAssertNil(read([0], decodedLength: 0).error)
    }

    func testChunkAsEntryKeepsTheSectionsKindAndCodec() {
        let entry = SectionEntry(kind: .scales, codec: .deflate(windowBits: 10), offset: 300, storedLength: 50,
                                 decodedLength: 70, digest: .zero)
        let chunk = ContentChunk(segment: 2, offset: 320, storedLength: 5, decodedLength: 9)
        XCTAssertEqual(chunk.asEntry(of: entry), SectionEntry(kind: .scales, codec: .deflate(windowBits: 10), offset: 320,
                                                              storedLength: 5, decodedLength: 9, digest: .zero))
    }

    /// Gaps are unsigned, so segments strictly increase by construction:
    /// gap 0 after segment 0 is segment 1, never segment 0 again.
    func testSegmentsStrictlyIncrease() {
        let bytes: [UInt8] = [6, 0, 1, 1, 0, 1, 1, 0xAA, 0xBB]
        XCTAssertEqual(read(bytes, decodedLength: 2).chunks.map(\.segment), [0, 1])
        // A gap that would wrap back to segment 1 in 32 bits lands past the model instead.
        let wrap: [UInt8] = [10, 1, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 1, 0xAA, 0xBB]
        XCTAssertEqual(read(wrap, decodedLength: 2, segments: 4).error, bad(at: 11))
    }

    func testSegmentBeyondTheModel() {
        // Segment 3 with 3 segments: refused once its entry is read (7 bytes in).
        let bytes: [UInt8] = [6, 0, 3, 3, 2, 4, 4] + [1, 2, 3] + [4, 5, 6, 7]
        XCTAssertEqual(read(bytes, decodedLength: 7, segments: 3).error, bad(at: 7))
        XCTAssertEqual(read([3, 0, 1, 1, 0xAA], decodedLength: 1, segments: 0).error, bad(at: 4))
        XCTAssertNil(read([3, 0, 1, 1, 0xAA], decodedLength: 1, segments: 1).error)
    }

    func testLengthsMustAddUp() {
        // Stored lengths: the section holds one byte more than the directory says.
        let extra: [UInt8] = [3, 0, 2, 2, 0xAA, 0xBB, 0xCC]
        let more = read(extra, decodedLength: 2)
        XCTAssertEqual(more.chunks.count, 1)
        XCTAssertEqual(more.error, bad(at: 4))
        // Decoded lengths: the table says 3, the chunks 2.
        XCTAssertEqual(read([3, 0, 2, 2, 0xAA, 0xBB], decodedLength: 3).error, bad(at: 4))
        // An empty directory with bytes after it, or a decoded length.
        XCTAssertEqual(read([0, 0xAA], decodedLength: 0).error, bad(at: 1))
        XCTAssertEqual(read([0], decodedLength: 1).error, bad(at: 1))
        // With the stored codec each chunk's stored and decoded lengths are equal.
        XCTAssertEqual(read([3, 0, 2, 3, 0xAA, 0xBB], decodedLength: 3).error, bad(at: 4))
        XCTAssertNil(read([3, 0, 2, 3, 0xAA, 0xBB], decodedLength: 3, codec: .deflate(windowBits: 8)).error)
    }

    func testChunksMustStayInsideTheSection() {
        // The second chunk's bytes run past the section's end.
        XCTAssertEqual(read([6, 0, 1, 1, 0, 5, 5, 0xAA, 0xBB], decodedLength: 6).error, bad(at: 7))
        // A directory longer than the section.
        XCTAssertEqual(read([9, 0, 1, 1], decodedLength: 1).error, bad(at: 1))
        // An entry that runs past the directory length.
        XCTAssertEqual(read([2, 0, 1, 1, 0xAA], decodedLength: 1).error, bad(at: 4))
    }

    func testVarintsOverflowOrCutShort() {
        // The directory length: five bytes at most, value below 2^32.
        XCTAssertEqual(read([0xFF, 0xFF, 0xFF, 0xFF, 0x1F], decodedLength: 0).error,
                       .malformedRecord(section: 5, offset: 0, .varintOverflow))
        XCTAssertEqual(read([0x80, 0x80, 0x80, 0x80, 0x80, 0x00], decodedLength: 0).error,
                       .malformedRecord(section: 5, offset: 0, .varintOverflow))
        // A stored length, at offset 2.
        XCTAssertEqual(read([7, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x10, 0], decodedLength: 0).error,
                       .malformedRecord(section: 5, offset: 2, .varintOverflow))
        // No bytes at all; a directory that ends inside an entry.
        XCTAssertEqual(read([], decodedLength: 0).error, .malformedRecord(section: 5, offset: 0, .unexpectedEnd))
        XCTAssertEqual(read([0x80], decodedLength: 0).error, .malformedRecord(section: 5, offset: 1, .unexpectedEnd))
        let cut: [UInt8] = [3, 0, 1]
        XCTAssertEqual(read(cut, section: section(cut, decodedLength: 1, storedLength: 10), segments: 4).error,
                       .malformedRecord(section: 5, offset: 3, .unexpectedEnd))
    }
}
