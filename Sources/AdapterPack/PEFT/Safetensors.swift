import Foundation

/// A strict reader of the safetensors format: an 8-byte little-endian header
/// length N, N bytes of JSON (`{"name": {"dtype", "shape", "data_offsets"}, …,
/// "__metadata__": {string: string}}`), then the data buffer. Every tensor's
/// offsets are relative to the data buffer; together they must cover it
/// exactly, without gaps or overlaps, and each must be exactly
/// product(shape) × element size bytes. Anything else is refused with a
/// ``SafetensorsError`` that names the tensor and the numbers.
public struct SafetensorsFile: Sendable {
    /// Largest header accepted (the reference implementation's limit).
    public static let maxHeaderLength = 100_000_000

    public enum DType: String, Sendable, CaseIterable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16"
        public var size: Int { self == .f32 ? 4 : 2 }
    }

    public struct Tensor: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range in the file (not the data buffer).
        public let range: Range<Int>
        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let bytes: [UInt8]
    /// Tensors sorted by name.
    public let tensors: [Tensor]
    public let metadata: [String: String]

    /// Reads and parses the file at `path`. A file that cannot be read throws
    /// ``FileIOError`` (which says why); a file that does not parse, ``SafetensorsError``.
    public init(contentsOf path: String) throws {
        try self.init(bytes: try FileIO.read(path, limit: .safetensors))
    }

    public init(bytes: [UInt8]) throws(SafetensorsError) {
        self.bytes = bytes
        guard bytes.count >= 8 else { throw .tooShort(bytes.count) }
        var length: UInt64 = 0
        for i in 0 ..< 8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length >= 2, length <= UInt64(Self.maxHeaderLength) else {
            throw .headerLength(length, fileLength: bytes.count)
        }
        let headerEnd = 8 + Int(length)
        guard headerEnd <= bytes.count else { throw .headerLength(length, fileLength: bytes.count) }
        let headerBytes = Array(bytes[8 ..< headerEnd])
        guard headerBytes.first == UInt8(ascii: "{") else { throw .headerNotJSONObject }
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw .headerNotUTF8 }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(headerBytes)) } catch { throw .headerNotJSONObject }
        guard let object = json as? [String: Any] else { throw .headerNotJSONObject }

        let dataLength = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var list: [(tensor: Tensor, start: Int, end: Int)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else { throw .badMetadata }
                for (key, item) in pairs {
                    guard let text = item as? String else { throw .badMetadata }
                    metadata[key] = text
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw .badEntry(name, "not an object") }
            let unknown = Set(entry.keys).subtracting(["dtype", "shape", "data_offsets"])
            guard unknown.isEmpty else { throw .badEntry(name, "unknown field \(unknown.sorted().joined(separator: ", "))") }
            guard let dtypeName = entry["dtype"] as? String else { throw .badEntry(name, "missing dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw .unsupportedDType(name, dtypeName) }
            guard let shape = Self.integers(entry["shape"]) else { throw .badEntry(name, "shape is not a list of integers") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw .badEntry(name, "negative dimension in shape \(shape)") }
            guard let offsets = Self.integers(entry["data_offsets"]), offsets.count == 2 else {
                throw .badEntry(name, "data_offsets is not [begin, end]")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end else { throw .badOffsets(name, begin: begin, end: end) }
            guard end <= dataLength else { throw .pastData(name, end: end, dataLength: dataLength) }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataLength else { throw .sizeMismatch(name, expected: Int.max, actual: end - begin) }
                count = product
            }
            let expected = count * dtype.size
            guard expected == end - begin else { throw .sizeMismatch(name, expected: expected, actual: end - begin) }
            list.append((Tensor(name: name, dtype: dtype, shape: shape, range: headerEnd + begin ..< headerEnd + end),
                         begin, end))
        }
        // The tensors, in offset order, must tile the data buffer exactly.
        list.sort { ($0.start, $0.end, $0.tensor.name) < ($1.start, $1.end, $1.tensor.name) }
        var cursor = 0
        var previous: String?
        for item in list {
            if item.start > cursor { throw .gap(at: cursor, before: item.tensor.name) }
            if item.start < cursor { throw .overlap(item.tensor.name, previous ?? "", at: item.start) }
            cursor = item.end
            previous = item.tensor.name
        }
        guard cursor == dataLength else { throw .trailingBytes(count: dataLength - cursor, dataLength: dataLength) }
        tensors = list.map(\.tensor).sorted { $0.name < $1.name }
        self.metadata = metadata
    }

    public func tensor(_ name: String) -> Tensor? { tensors.first { $0.name == name } }

    /// The tensor's values as Double (exact for F32, F16 and BF16).
    public func values(_ tensor: Tensor) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(tensor.elementCount)
        var p = tensor.range.lowerBound
        while p < tensor.range.upperBound {
            switch tensor.dtype {
            case .f32:
                let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
                out.append(Double(Float(bitPattern: bits)))
            case .bf16:
                let bits = UInt32(bytes[p]) << 16 | UInt32(bytes[p + 1]) << 24
                out.append(Double(Float(bitPattern: bits)))
            case .f16:
                out.append(Self.half(UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8))
            }
            p += tensor.dtype.size
        }
        return out
    }

    /// IEEE 754 binary16 to Double (portable: no Float16 on every host).
    static func half(_ h: UInt16) -> Double {
        let sign: Double = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F), fraction = Double(h & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in list {
            // JSONSerialization yields NSNumber; refuse booleans and fractions.
            guard let number = item as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
            let double = number.doubleValue
            guard double == double.rounded(), abs(double) < 9e15 else { return nil }
            out.append(number.intValue)
        }
        return out
    }
}

/// Why a safetensors file was refused.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// No longer thrown: `init(contentsOf:)` reports read failures as ``FileIOError``,
    /// which carries the reason. Kept so existing `switch`es still compile.
    case unreadable(path: String)
    case tooShort(Int)
    case headerLength(UInt64, fileLength: Int)
    case headerNotUTF8
    case headerNotJSONObject
    case badMetadata
    case badEntry(String, String)
    case unsupportedDType(String, String)
    case badOffsets(String, begin: Int, end: Int)
    case pastData(String, end: Int, dataLength: Int)
    case sizeMismatch(String, expected: Int, actual: Int)
    case gap(at: Int, before: String)
    case overlap(String, String, at: Int)
    case trailingBytes(count: Int, dataLength: Int)

    public var description: String {
        switch self {
        case .unreadable(let path): return "safetensors: cannot read \(path)"
        case .tooShort(let n): return "safetensors: file is \(n) bytes, too short for the 8-byte header length"
        case .headerLength(let n, let file):
            return "safetensors: header length \(n) is invalid for a \(file)-byte file (must be 2 … \(min(SafetensorsFile.maxHeaderLength, max(0, file - 8))))"
        case .headerNotUTF8: return "safetensors: header is not valid UTF-8"
        case .headerNotJSONObject: return "safetensors: header is not a JSON object"
        case .badMetadata: return "safetensors: __metadata__ must map strings to strings"
        case .badEntry(let name, let why): return "safetensors: tensor '\(name)': \(why)"
        case .unsupportedDType(let name, let dtype):
            return "safetensors: tensor '\(name)' has dtype \(dtype); LoRA factors must be F32, F16 or BF16"
        case .badOffsets(let name, let begin, let end):
            return "safetensors: tensor '\(name)' has data_offsets [\(begin), \(end)] (begin must be ≤ end, both ≥ 0)"
        case .pastData(let name, let end, let length):
            return "safetensors: tensor '\(name)' ends at \(end), past the \(length)-byte data buffer"
        case .sizeMismatch(let name, let expected, let actual):
            return expected == Int.max
                ? "safetensors: tensor '\(name)' has a shape too large for the file (its data is \(actual) bytes)"
                : "safetensors: tensor '\(name)' holds \(actual) bytes but its shape and dtype need \(expected)"
        case .gap(let at, let before):
            return "safetensors: data bytes from \(at) to the start of '\(before)' belong to no tensor"
        case .overlap(let a, let b, let at):
            return "safetensors: tensor '\(a)' starts at \(at), inside tensor '\(b)' (overlapping data)"
        case .trailingBytes(let count, let length):
            return "safetensors: the last \(count) of \(length) data bytes belong to no tensor"
        }
    }
}
