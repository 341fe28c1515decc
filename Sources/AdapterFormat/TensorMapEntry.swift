/// One 32-byte tensor-map entry: a model region the bundle changes (Spec/FORMAT.md §7).
public struct TensorMapEntry: Equatable, Sendable {
    public static let size = 32

    /// What the region holds.
    public struct Role: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let weights = Role(rawValue: 1)
        public static let bias = Role(rawValue: 2)
        public static let scales = Role(rawValue: 4)
        public static let zeroPoints = Role(rawValue: 8)
        public static let other = Role(rawValue: 16)
    }

    /// Offset of the region in the target model.
    public var offset: UInt32
    public var length: UInt32
    /// TFLite `TensorType` code (9 = INT8, 2 = INT32, 0 = FLOAT32, ...).
    public var elementType: UInt8
    public var rank: UInt8
    /// Quantized (per-channel) dimension; 255 when per-tensor or unknown.
    public var quantizedDimension: UInt8
    public var role: Role
    /// Tensor index in subgraph 0 (0xFFFF_FFFF when the region is not a tensor).
    public var tensorIndex: UInt32
    /// Up to four dimensions; unused ones are 0.
    public var shape: (UInt32, UInt32, UInt32, UInt32)

    public init(offset: UInt32, length: UInt32, elementType: UInt8, rank: UInt8, quantizedDimension: UInt8,
                role: Role, tensorIndex: UInt32, shape: (UInt32, UInt32, UInt32, UInt32)) {
        self.offset = offset
        self.length = length
        self.elementType = elementType
        self.rank = rank
        self.quantizedDimension = quantizedDimension
        self.role = role
        self.tensorIndex = tensorIndex
        self.shape = shape
    }

    /// Parses one entry; `targetLength` bounds the region.
    public init(parsing b: UnsafeRawBufferPointer, at position: Int, targetLength: UInt32) throws(FormatError) {
        let section = SectionKind.tensorMap.rawValue
        guard b.count >= Self.size else { throw .malformedRecord(section: section, offset: position, .unexpectedEnd) }
        offset = b.le32(0)
        length = b.le32(4)
        elementType = b[8]
        rank = b[9]
        quantizedDimension = b[10]
        role = Role(rawValue: b[11])
        tensorIndex = b.le32(12)
        shape = (b.le32(16), b.le32(20), b.le32(24), b.le32(28))
        guard UInt64(offset) + UInt64(length) <= UInt64(targetLength) else {
            throw .malformedRecord(section: section, offset: position,
                                   .outOfModel(offset: offset, length: length, limit: targetLength))
        }
        guard rank <= 4 else { throw .malformedRecord(section: section, offset: position + 9, .badValue(UInt32(rank))) }
        guard role.rawValue & ~0x1F == 0 else {
            throw .malformedRecord(section: section, offset: position + 11, .badValue(UInt32(role.rawValue)))
        }
    }

    public func write(into b: UnsafeMutableRawBufferPointer) {
        b.put32(offset, at: 0)
        b.put32(length, at: 4)
        b[8] = elementType
        b[9] = rank
        b[10] = quantizedDimension
        b[11] = role.rawValue
        b.put32(tensorIndex, at: 12)
        b.put32(shape.0, at: 16)
        b.put32(shape.1, at: 20)
        b.put32(shape.2, at: 24)
        b.put32(shape.3, at: 28)
    }

    public static func == (a: TensorMapEntry, b: TensorMapEntry) -> Bool {
        a.offset == b.offset && a.length == b.length && a.elementType == b.elementType && a.rank == b.rank
            && a.quantizedDimension == b.quantizedDimension && a.role == b.role && a.tensorIndex == b.tensorIndex
            && a.shape.0 == b.shape.0 && a.shape.1 == b.shape.1 && a.shape.2 == b.shape.2 && a.shape.3 == b.shape.3
    }
}

/// Metadata tags (Spec/FORMAT.md §7). Readers skip tags they do not know.
public enum MetadataTag: UInt16, Sendable {
    case name = 1, tool = 2, baseFile = 3, targetFile = 4, adapterID = 5, note = 6
    /// The accuracy guard's measurement of an approximate bundle (`AccuracyRecord`).
    case accuracy = 7
}
