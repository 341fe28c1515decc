/// What every reader, writer, skipper and runner of op streams needs to know
/// about one operation (Spec/FORMAT.md §4), as static data: adding an
/// operation means one `Opcode` case with its descriptor (Opcode.swift), its
/// runner in the loader and its encoder on the host; everything else is
/// derived from here.
public struct OperationDescriptor: Sendable {
    /// The name `inspect` prints and error messages use.
    public let name: StaticString
    /// The varint fields after the opcode byte.
    public let fields: OperationFields
    /// The data that follows the fields.
    public let data: OperationData
    /// The section kinds whose streams may hold the operation.
    public let sections: SectionKinds
    /// The loader build option that carries the operation; nil when every
    /// loader build runs it.
    public let feature: LoaderFeature?
    /// Bytes of model per counted unit of `Operation.length`: 1, or 4 when
    /// the length counts int32 values.
    public let unitBytes: UInt8
    /// How unapply undoes the operation.
    public let inverse: InverseRule
}

/// The varint fields of an operation header, in stream order.
public enum OperationFields: Sendable {
    /// `offset, length`.
    case offsetLength
    /// `source, destination, length` (`Operation.offset` is the source).
    case sourceDestinationLength
    /// `length` alone (`Operation.offset` is 0).
    case length
    /// `offset, length, block`: a factor block's offset in the factors section
    /// (`Operation.destination`).
    case offsetLengthBlock
}

/// The data an operation carries after its fields.
public enum OperationData: Sendable {
    /// Nothing.
    case none
    /// `length` raw bytes.
    case bytes
    /// `length` zigzag varints.
    case zigzag
    /// A varint mode, then a varint byte count `n` and `n` coded bytes.
    case modeAndCoded
    /// Two coded blocks, each a varint byte count `n` and `n` bytes.
    case twoCoded
}

/// How unapply undoes an operation.
public enum InverseRule: Sendable {
    /// Running it again undoes it (`xor`, xor-mode `coded`).
    case itself
    /// Its inverse form runs in place of it (subtract, the inverse residual).
    case inverted
    /// Content it overwrote comes back from the undo section, or it belongs
    /// to the layout and undo streams, which each run in one direction only.
    case undoSection
}

/// A set of section kinds, one bit per kind code.
public struct SectionKinds: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    // Computed from literals: no lazily initialised globals in device builds.
    public static var layout: SectionKinds { SectionKinds(rawValue: 1 << 3) }
    public static var scales: SectionKinds { SectionKinds(rawValue: 1 << 4) }
    public static var payload: SectionKinds { SectionKinds(rawValue: 1 << 5) }
    public static var undo: SectionKinds { SectionKinds(rawValue: 1 << 6) }
    /// The content sections, whose streams are cut into per-segment chunks.
    public static var content: SectionKinds { SectionKinds(rawValue: 1 << 4 | 1 << 5) }

    public func contains(_ kind: SectionKind) -> Bool { rawValue & (1 << UInt32(kind.rawValue & 31)) != 0 }
}
