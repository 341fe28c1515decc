import XCTest
@testable import AdapterPack
import TestSupport

/// The strict safetensors reader: every malformed header gets its own error.
final class SafetensorsTests: XCTestCase {
    /// A file with `header` as its JSON and `data` bytes after it.
    static func file(_ header: String, data: Int, lengthOverride: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        let length = lengthOverride ?? UInt64(json.count)
        return (0 ..< 8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json
            + (0 ..< data).map { UInt8(truncatingIfNeeded: $0) }
    }

    func refusal(_ bytes: [UInt8]) -> SafetensorsError? {
        do { _ = try SafetensorsFile(bytes: bytes); return nil } catch { return error }
    }

    func testValidFileWithAllThreeFloatTypes() throws {
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F16","shape":[1,2],"data_offsets":[8,12]},"c":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]}}"#
        var bytes = Self.file(header, data: 16)
        let data = bytes.count - 16
        // a = [1.5, -2], b = [1.0, -0.5] (binary16), c = [3.0, 0.15625] (bfloat16)
        let values: [UInt8] = [0, 0, 0xC0, 0x3F, 0, 0, 0, 0xC0, 0x00, 0x3C, 0x00, 0xB8, 0x40, 0x40, 0x20, 0x3E]
        for (i, v) in values.enumerated() { bytes[data + i] = v }
        let file = try SafetensorsFile(bytes: bytes)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.tensors.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(file.values(file.tensor("a")!), [1.5, -2])
        XCTAssertEqual(file.values(file.tensor("b")!), [1, -0.5])
        XCTAssertEqual(file.values(file.tensor("c")!), [3, 0.15625])
        XCTAssertEqual(SafetensorsFile.half(0x7BFF), 65504)
        XCTAssertEqual(SafetensorsFile.half(0x0001), 0x1p-24)
    }

    func testEachBadHeaderHasItsOwnError() {
        let one = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertEqual(refusal([1, 2, 3]), .tooShort(3))
        XCTAssertEqual(refusal(Self.file(one, data: 8, lengthOverride: 1_000)), .headerLength(1_000, fileLength: 8 + one.utf8.count + 8))
        XCTAssertEqual(refusal(Self.file(one, data: 8, lengthOverride: 200_000_000)), .headerLength(200_000_000, fileLength: 8 + one.utf8.count + 8))
        XCTAssertEqual(refusal(Self.file("[1,2]", data: 0)), .headerNotJSONObject)
        XCTAssertEqual(refusal(Self.file("{\"a\":", data: 0)), .headerNotJSONObject)
        XCTAssertEqual(refusal([5, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "{"), 0xFF, 0xFE, UInt8(ascii: "}"), UInt8(ascii: " ")]), .headerNotUTF8)
        XCTAssertEqual(refusal(Self.file(#"{"__metadata__":{"x":1}}"#, data: 0)), .badMetadata)
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}"#, data: 2)),
                       .unsupportedDType("a", "I8"))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[2]}}"#, data: 8)),
                       .badEntry("a", "data_offsets is not [begin, end]"))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}"#, data: 8)),
                       .badEntry("a", "unknown field x"))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: 8)),
                       .badEntry("a", "negative dimension in shape [-2]"))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, data: 4)),
                       .badEntry("a", "shape is not a list of integers"))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: 8)),
                       .badOffsets("a", begin: 8, end: 0))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}"#, data: 8)),
                       .pastData("a", end: 12, dataLength: 8))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8)),
                       .sizeMismatch("a", expected: 12, actual: 8))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8)),
                       .gap(at: 0, before: "a"))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8)),
                       .overlap("b", "a", at: 4))
        XCTAssertEqual(refusal(Self.file(one, data: 12)), .trailingBytes(count: 4, dataLength: 12))
        XCTAssertEqual(refusal(Self.file(#"{"a":{"dtype":"F32","shape":[4000000000000000,4],"data_offsets":[0,8]}}"#, data: 8)),
                       .sizeMismatch("a", expected: Int.max, actual: 8))
        // Messages name the tensor and the numbers.
        XCTAssertEqual(SafetensorsError.sizeMismatch("a", expected: 12, actual: 8).description,
                       "safetensors: tensor 'a' holds 8 bytes but its shape and dtype need 12")
    }

    func testCorpusAdapterReads() throws {
        let path = RepoPaths.root.appendingPathComponent("Examples/digits/lora-adapter/adapter_model.safetensors").path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("shared corpus not present") }
        let file = try SafetensorsFile(contentsOf: path)
        XCTAssertEqual(file.tensors.map(\.shape), [[4, 512], [48, 4], [4, 48], [10, 4]])
        XCTAssertTrue(file.tensors.allSatisfy { $0.dtype == .f32 })
    }
}
