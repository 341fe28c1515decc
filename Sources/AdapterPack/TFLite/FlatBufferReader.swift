/// A table located inside a flatbuffer: where it starts and where its vtable is.
struct FlatBufferTable: Sendable {
    /// File offset of the table (its leading soffset to the vtable).
    let position: Int
    /// File offset of the vtable.
    let vtable: Int
    /// Size of the vtable in bytes (including its two u16 header fields).
    let vtableSize: Int
    /// Size of the table's inline data in bytes (including the soffset).
    let inlineSize: Int
}

/// A vector located inside a flatbuffer.
struct FlatBufferVector: Sendable {
    /// File offset of the u32 length prefix.
    let lengthPosition: Int
    /// File offset of the first element (just past the length prefix).
    let start: Int
    /// Number of elements.
    let count: Int
    /// Size of one element in bytes (4 for offsets to tables and strings).
    let elementSize: Int

    /// The file bytes of the elements, excluding the length prefix.
    var byteRange: Range<Int> { start..<(start + count * elementSize) }

    /// File offset of element `i`; `i` must be in `0..<count`.
    func position(_ i: Int) -> Int { start + i * elementSize }
}

/// Minimal, bounds-checked access to a flatbuffer held in memory.
///
/// Every offset read from the file is checked against the file length before it is
/// followed; nothing here traps on hostile input. Offsets are computed in `Int`
/// (64-bit) from u32/i32/u16 fields, so they cannot overflow. Because a reader only
/// ever follows a fixed schema to a fixed depth, hostile cycles (a vtable or an
/// offset pointing back at itself) cannot cause unbounded work; aliasing (many
/// tables sharing one large vector) is bounded by a decode budget proportional to
/// the file length.
///
/// `field` arguments are autoclosures producing a path such as
/// `subgraphs[0].tensors[7].shape`; they are evaluated only to build an error.
struct FlatBufferReader: Sendable {
    let bytes: [UInt8]

    /// Elements (vector entries, string bytes, tables) still allowed to be decoded.
    private(set) var budget: Int

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // A well-formed file never decodes more elements than it has bytes (each element
        // occupies at least one byte and flatbuffer builders rarely share vectors); twice
        // that plus slack leaves room for shared strings and vectors.
        self.budget = bytes.count * 2 + 4096
    }

    var count: Int { bytes.count }

    // MARK: Scalars

    /// Reads a little-endian integer at `offset`.
    func read<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) throws(TFLiteError) -> T {
        let size = MemoryLayout<T>.size
        guard offset >= 0 else {
            throw .offsetOutOfBounds(field: "scalar", offset: offset)
        }
        guard offset <= bytes.count - size else {
            throw .truncated(offset: offset, needed: size, fileLength: bytes.count)
        }
        let raw = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        return T(littleEndian: raw)
    }

    /// Reads a little-endian IEEE-754 float32 at `offset`, bit for bit.
    func readFloat(at offset: Int) throws(TFLiteError) -> Float {
        Float(bitPattern: try read(UInt32.self, at: offset))
    }

    /// Throws unless `length` bytes starting at `offset` lie inside the file.
    func check(_ offset: Int, _ length: Int, field: @autoclosure () -> String) throws(TFLiteError) {
        guard offset >= 0, length >= 0 else {
            throw .offsetOutOfBounds(field: field(), offset: offset)
        }
        guard offset <= bytes.count, length <= bytes.count - offset else {
            throw .truncated(offset: offset, needed: length, fileLength: bytes.count)
        }
    }

    /// Charges `n` decoded elements against the budget.
    mutating func charge(_ n: Int, field: @autoclosure () -> String, offset: Int) throws(TFLiteError) {
        guard n >= 0, n <= budget else {
            throw .decodeBudgetExceeded(field: field(), offset: offset)
        }
        budget -= n
    }

    // MARK: Tables

    /// The root table: a u32 at offset 0 gives its position.
    func rootTable() throws(TFLiteError) -> FlatBufferTable {
        let root = Int(try read(UInt32.self, at: 0))
        guard root >= 4, root <= bytes.count - 4 else {
            throw .badRootOffset(offset: root, fileLength: bytes.count)
        }
        return try table(at: root, field: "root")
    }

    /// Locates the table at `position` and validates its vtable.
    func table(at position: Int, field: @autoclosure () -> String) throws(TFLiteError) -> FlatBufferTable {
        guard position >= 0, position <= bytes.count - 4 else {
            throw .offsetOutOfBounds(field: field(), offset: position)
        }
        // soffset: vtable = table - soffset (either direction).
        let soffset = Int(try read(Int32.self, at: position))
        let vtable = position - soffset
        guard vtable >= 0, vtable <= bytes.count - 4 else {
            throw .badVTable(field: field(), offset: vtable)
        }
        let vtableSize = Int(try read(UInt16.self, at: vtable))
        let inlineSize = Int(try read(UInt16.self, at: vtable + 2))
        guard vtableSize >= 4, vtableSize % 2 == 0, vtableSize <= bytes.count - vtable,
              inlineSize >= 4, inlineSize <= bytes.count - position
        else {
            throw .badVTable(field: field(), offset: vtable)
        }
        return FlatBufferTable(position: position, vtable: vtable, vtableSize: vtableSize, inlineSize: inlineSize)
    }

    /// File offset of field `index` of `table`, or nil when the field is absent.
    /// `size` is the inline size of the field, which must lie inside the table.
    func fieldPosition(_ table: FlatBufferTable, _ index: Int, size: Int,
                       field: @autoclosure () -> String) throws(TFLiteError) -> Int? {
        let slot = 4 + 2 * index
        guard slot + 2 <= table.vtableSize else { return nil }   // vtable predates the field
        let offset = Int(try read(UInt16.self, at: table.vtable + slot))
        guard offset != 0 else { return nil }
        guard offset >= 4, offset + size <= table.inlineSize else {
            throw .offsetOutOfBounds(field: field(), offset: table.position + offset)
        }
        return table.position + offset
    }

    /// A scalar field, or `defaultValue` when absent.
    func scalar<T: FixedWidthInteger>(_ table: FlatBufferTable, _ index: Int, default defaultValue: T,
                                      field: @autoclosure () -> String) throws(TFLiteError) -> T {
        guard let at = try fieldPosition(table, index, size: MemoryLayout<T>.size, field: field()) else {
            return defaultValue
        }
        return try read(T.self, at: at)
    }

    /// A bool field (one byte, non-zero is true), or `defaultValue` when absent.
    func bool(_ table: FlatBufferTable, _ index: Int, default defaultValue: Bool,
              field: @autoclosure () -> String) throws(TFLiteError) -> Bool {
        try scalar(table, index, default: defaultValue ? UInt8(1) : 0, field: field()) != 0
    }

    /// Follows the u32 offset stored at `position` (relative to `position` itself).
    func followOffset(at position: Int, field: @autoclosure () -> String) throws(TFLiteError) -> Int {
        let relative = Int(try read(UInt32.self, at: position))
        // An offset of 0 would point at itself; above 2^31 is outside any valid flatbuffer.
        guard relative != 0, relative < 0x8000_0000 else {
            throw .offsetOutOfBounds(field: field(), offset: position)
        }
        let target = position + relative
        guard target < bytes.count else {
            throw .offsetOutOfBounds(field: field(), offset: target)
        }
        return target
    }

    /// Target of the offset field `index` (to a table, vector or string), or nil when absent.
    func indirect(_ table: FlatBufferTable, _ index: Int,
                  field: @autoclosure () -> String) throws(TFLiteError) -> Int? {
        guard let at = try fieldPosition(table, index, size: 4, field: field()) else { return nil }
        return try followOffset(at: at, field: field())
    }

    /// The sub-table in field `index`, or nil when absent.
    func subtable(_ table: FlatBufferTable, _ index: Int,
                  field: @autoclosure () -> String) throws(TFLiteError) -> FlatBufferTable? {
        guard let target = try indirect(table, index, field: field()) else { return nil }
        return try self.table(at: target, field: field())
    }

    // MARK: Vectors

    /// The vector at `position` (its u32 length prefix), with elements of `elementSize` bytes.
    func vector(at position: Int, elementSize: Int,
                field: @autoclosure () -> String) throws(TFLiteError) -> FlatBufferVector {
        let count = Int(try read(UInt32.self, at: position))
        let start = position + 4
        let (bytesNeeded, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, bytesNeeded <= bytes.count - start else {
            throw .vectorTooLong(field: field(), count: count, offset: position)
        }
        return FlatBufferVector(lengthPosition: position, start: start, count: count, elementSize: elementSize)
    }

    /// The vector in field `index`, or nil when absent.
    func vector(_ table: FlatBufferTable, _ index: Int, elementSize: Int,
                field: @autoclosure () -> String) throws(TFLiteError) -> FlatBufferVector? {
        guard let target = try indirect(table, index, field: field()) else { return nil }
        return try vector(at: target, elementSize: elementSize, field: field())
    }

    /// Element `i` of a vector of tables.
    mutating func table(in vector: FlatBufferVector, _ i: Int,
                        field: @autoclosure () -> String) throws(TFLiteError) -> FlatBufferTable {
        precondition(vector.elementSize == 4 && i >= 0 && i < vector.count)
        try charge(1, field: field(), offset: vector.position(i))
        let target = try followOffset(at: vector.position(i), field: field())
        return try table(at: target, field: field())
    }

    /// All elements of a vector of little-endian integers.
    mutating func integers<T: FixedWidthInteger>(_ vector: FlatBufferVector, as type: T.Type,
                                                 field: @autoclosure () -> String) throws(TFLiteError) -> [T] {
        precondition(vector.elementSize == MemoryLayout<T>.size)
        try charge(vector.count, field: field(), offset: vector.lengthPosition)
        var result: [T] = []
        result.reserveCapacity(vector.count)
        for i in 0..<vector.count {
            result.append(try read(T.self, at: vector.position(i)))
        }
        return result
    }

    /// All elements of a vector of float32.
    mutating func floats(_ vector: FlatBufferVector,
                         field: @autoclosure () -> String) throws(TFLiteError) -> [Float] {
        try integers(vector, as: UInt32.self, field: field()).map { Float(bitPattern: $0) }
    }

    /// An integer-vector field, decoded; `[]` when absent.
    mutating func integers<T: FixedWidthInteger>(_ table: FlatBufferTable, _ index: Int, as type: T.Type,
                                                 field: @autoclosure () -> String) throws(TFLiteError) -> [T] {
        guard let v = try vector(table, index, elementSize: MemoryLayout<T>.size, field: field()) else { return [] }
        return try integers(v, as: T.self, field: field())
    }

    // MARK: Strings

    /// The string whose u32 length prefix is at `position`, validated as UTF-8.
    mutating func string(at position: Int, field: @autoclosure () -> String) throws(TFLiteError) -> String {
        let v = try vector(at: position, elementSize: 1, field: field())
        try charge(v.count, field: field(), offset: position)
        guard let s = String(validating: bytes[v.byteRange], as: UTF8.self) else {
            throw .invalidUTF8(field: field(), offset: position)
        }
        return s
    }

    /// The string in field `index`, or nil when absent.
    mutating func string(_ table: FlatBufferTable, _ index: Int,
                         field: @autoclosure () -> String) throws(TFLiteError) -> String? {
        guard let target = try indirect(table, index, field: field()) else { return nil }
        return try string(at: target, field: field())
    }

    /// Element `i` of a vector of strings.
    mutating func string(in vector: FlatBufferVector, _ i: Int,
                         field: @autoclosure () -> String) throws(TFLiteError) -> String {
        precondition(vector.elementSize == 4 && i >= 0 && i < vector.count)
        let target = try followOffset(at: vector.position(i), field: field())
        return try string(at: target, field: field())
    }
}
