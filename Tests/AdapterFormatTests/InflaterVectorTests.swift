import AdapterFormat
import XCTest

/// The device inflater on small raw deflate streams (RFC 1951) written out as
/// bytes. The differential tests against zlib are AdapterPackTests' InflaterTests.
final class InflaterVectorTests: XCTestCase {
    /// Inflates `stream` with a `windowBits` window, then checks its end.
    func inflate(_ stream: [UInt8], windowBits: Int = 8) -> Result<[UInt8], FormatError> {
        let workspace = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<BufferInput>.workspaceSize(windowBits: windowBits), alignment: 8)
        defer { workspace.deallocate() }
        return stream.withUnsafeBytes { raw in
            var inflater = Inflater(input: BufferInput(raw), windowBits: windowBits, workspace: workspace)
            var out: [UInt8] = []
            do throws(FormatError) {
                while let byte = try inflater.nextByte() { out.append(byte) }
                try inflater.finish()
                return .success(out)
            } catch {
                return .failure(error)
            }
        }
    }

    /// The history window plus the Huffman tables (Spec/FORMAT.md §6).
    func testWorkspaceSizeFormula() {
        for bits in 8...15 {
            XCTAssertEqual(Inflater<BufferInput>.workspaceSize(windowBits: bits), (1 << bits) + 1024)
        }
        XCTAssertEqual(Inflater<BufferInput>.workspaceSize(windowBits: 9), 1536)
        XCTAssertEqual(Inflater<BufferInput>.workspaceSize(windowBits: 15), 33792)
    }

    func testEmptyStreams() {
        // A final fixed block with only end-of-block; a final empty stored block.
        XCTAssertEqual(inflate([0x03, 0x00]).success, [])
        XCTAssertEqual(inflate([0x01, 0x00, 0x00, 0xFF, 0xFF]).success, [])
    }

    func testStoredBlocks() {
        // Not final, "hi"; then final, "!".
        let stream: [UInt8] = [0x00, 0x02, 0x00, 0xFD, 0xFF, 0x68, 0x69, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x21]
        XCTAssertEqual(inflate(stream).success, Array("hi!".utf8))
    }

    func testFixedHuffmanLiteralsAndMatch() {
        // "a": BFINAL 1, BTYPE 01, literal 0x61 (8-bit code 0x91), end of block.
        XCTAssertEqual(inflate([0x4B, 0x04, 0x00]).success, [0x61])
        // "aaaaa": literal 'a', then length 4 (symbol 258, code 0000010) at distance 1
        // (distance code 0, 00000), end of block.
        XCTAssertEqual(inflate([0x4B, 0x04, 0x01, 0x00]).success, Array("aaaaa".utf8))
    }

    func testRefusals() {
        // No input at all.
        XCTAssertEqual(inflate([]).failure, .inflate(.inputEnded, outputOffset: 0))
        // BTYPE 11 is reserved.
        XCTAssertEqual(inflate([0x07]).failure, .inflate(.reservedBlockType, outputOffset: 0))
        // Stored block whose NLEN is not the complement of LEN.
        XCTAssertEqual(inflate([0x01, 0x02, 0x00, 0xFD, 0xFE, 0x68, 0x69]).failure,
                       .inflate(.storedLengthMismatch, outputOffset: 0))
        // Stored block cut short after one of its two bytes.
        XCTAssertEqual(inflate([0x01, 0x02, 0x00, 0xFD, 0xFF, 0x68]).failure, .inflate(.inputEnded, outputOffset: 1))
        // A byte after the final block.
        XCTAssertEqual(inflate([0x03, 0x00, 0x00]).failure, .inflate(.trailingData, outputOffset: 0))
        // A match before any output: length 4 at distance 1 reaches before the start.
        XCTAssertEqual(inflate([0x03, 0x01, 0x00]).failure,
                       .inflate(.distanceTooFar(distance: 1, windowSize: 256), outputOffset: 0))
        XCTAssertEqual(inflate([0x03, 0x01, 0x00], windowBits: 15).failure,
                       .inflate(.distanceTooFar(distance: 1, windowSize: 32768), outputOffset: 0))
    }
}
