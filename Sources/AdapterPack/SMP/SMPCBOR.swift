/// The CBOR (RFC 8949) that SMP requests and responses use: maps with text
/// keys; unsigned integers, byte and text strings, booleans, nested maps and
/// arrays.
public indirect enum SMPValue: Equatable, Sendable {
    case unsigned(UInt64)
    case negative(Int64)
    case bytes([UInt8])
    case text(String)
    case bool(Bool)
    case array([SMPValue])
    case map([(String, SMPValue)])

    public static func == (a: SMPValue, b: SMPValue) -> Bool {
        switch (a, b) {
        case (.unsigned(let x), .unsigned(let y)): return x == y
        case (.negative(let x), .negative(let y)): return x == y
        case (.bytes(let x), .bytes(let y)): return x == y
        case (.text(let x), .text(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.map(let x), .map(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(key: String) -> SMPValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.0 == key }?.1
    }

    public var unsignedValue: UInt64? { if case .unsigned(let v) = self { return v }; return nil }
    public var bytesValue: [UInt8]? { if case .bytes(let v) = self { return v }; return nil }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    private static func head(_ major: UInt8, _ value: UInt64, _ out: inout [UInt8]) {
        switch value {
        case 0 ..< 24: out.append(major << 5 | UInt8(value))
        case 24 ... 0xFF: out += [major << 5 | 24, UInt8(value)]
        case 0x100 ... 0xFFFF: out += [major << 5 | 25, UInt8(value >> 8), UInt8(value & 0xFF)]
        case 0x1_0000 ... 0xFFFF_FFFF: out.append(major << 5 | 26); out += (0 ..< 4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        default: out.append(major << 5 | 27); out += (0 ..< 8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
        }
    }

    private func append(to out: inout [UInt8]) {
        switch self {
        case .unsigned(let v): Self.head(0, v, &out)
        case .negative(let v): Self.head(1, UInt64(-(v + 1)), &out)
        case .bytes(let b): Self.head(2, UInt64(b.count), &out); out += b
        case .text(let t): Self.head(3, UInt64(t.utf8.count), &out); out += Array(t.utf8)
        case .bool(let b): out.append(b ? 0xF5 : 0xF4)
        case .array(let items): Self.head(4, UInt64(items.count), &out); for item in items { item.append(to: &out) }
        case .map(let entries):
            Self.head(5, UInt64(entries.count), &out)
            for (key, value) in entries { SMPValue.text(key).append(to: &out); value.append(to: &out) }
        }
    }

    /// Parses one item; throws on malformed, indefinite or float items and on
    /// nesting deeper than 16.
    public static func decode(_ bytes: [UInt8]) throws(SMPError) -> SMPValue {
        var at = 0
        let value = try item(bytes, &at, depth: 0)
        return value
    }

    private static func item(_ b: [UInt8], _ at: inout Int, depth: Int) throws(SMPError) -> SMPValue {
        guard depth < 16, at < b.count else { throw .badResponse("CBOR ends early or nests too deep") }
        let first = b[at]
        at += 1
        let major = first >> 5, info = first & 0x1F
        var value = UInt64(info)
        if info >= 24 {
            guard info <= 27 else { throw .badResponse("CBOR indefinite length or reserved value") }
            let size = 1 << Int(info - 24)
            guard b.count - at >= size else { throw .badResponse("CBOR head cut short") }
            value = 0
            for _ in 0 ..< size { value = value << 8 | UInt64(b[at]); at += 1 }
        }
        func take(_ n: UInt64) throws(SMPError) -> [UInt8] {
            guard n <= UInt64(b.count - at) else { throw .badResponse("CBOR string longer than the packet") }
            defer { at += Int(n) }
            return Array(b[at ..< at + Int(n)])
        }
        switch major {
        case 0: return .unsigned(value)
        case 1:
            guard value < UInt64(Int64.max) else { throw .badResponse("CBOR negative integer out of range") }
            return .negative(-1 - Int64(value))
        case 2: return .bytes(try take(value))
        case 3: return .text(String(decoding: try take(value), as: UTF8.self))
        case 4:
            guard value <= UInt64(b.count - at) else { throw .badResponse("CBOR array longer than the packet") }
            var items: [SMPValue] = []
            for _ in 0 ..< value { items.append(try item(b, &at, depth: depth + 1)) }
            return .array(items)
        case 5:
            guard value <= UInt64(b.count - at) else { throw .badResponse("CBOR map longer than the packet") }
            var entries: [(String, SMPValue)] = []
            for _ in 0 ..< value {
                guard case .text(let key) = try item(b, &at, depth: depth + 1) else { throw .badResponse("CBOR map key is not text") }
                entries.append((key, try item(b, &at, depth: depth + 1)))
            }
            return .map(entries)
        case 7 where info == 20 || info == 21: return .bool(info == 21)
        default: throw .badResponse("CBOR item of major type \(major) (info \(info)) is not used by SMP")
        }
    }
}
