#if hasFeature(Embedded)
/// Why a bundle (or a piece of one) was refused: on the device, only which
/// kind of refusal.
///
/// The device reports errors as integer codes (`adapter_loader.h`), so the
/// details the host prints would be computed and copied through every error
/// path only to be dropped at the C boundary: payload-free errors make the
/// loader about 4 KB smaller on a Cortex-M4. The factories below have the
/// host cases' names and labels, so every throw site is the same source in
/// both builds; their arguments are discarded (and optimized away).
public enum FormatError: Error, Equatable, Sendable {
    case badMagic, unsupportedVersion, truncated, invalidHeaderField, invalidSection
    case sectionDigestMismatch, malformedRecord, inflate, io

    @inline(__always) public static func badMagic(found: UInt32) -> FormatError { .badMagic }
    @inline(__always) public static func unsupportedVersion(major: UInt16, minor: UInt16) -> FormatError {
        .unsupportedVersion
    }
    @inline(__always) public static func truncated(offset: Int, needed: Int, available: Int) -> FormatError {
        .truncated
    }
    @inline(__always) public static func invalidHeaderField(_ field: HeaderField, value: UInt32) -> FormatError {
        .invalidHeaderField
    }
    @inline(__always) public static func invalidSection(index: Int, _ problem: SectionProblem) -> FormatError {
        .invalidSection
    }
    @inline(__always) public static func sectionDigestMismatch(index: Int, kind: UInt16) -> FormatError {
        .sectionDigestMismatch
    }
    @inline(__always) public static func malformedRecord(section: UInt16, offset: Int,
                                                         _ problem: RecordProblem) -> FormatError {
        .malformedRecord
    }
    @inline(__always) public static func inflate(_ problem: InflateProblem, outputOffset: Int) -> FormatError {
        .inflate
    }
    @inline(__always) public static func io(offset: Int) -> FormatError { .io }
}
#else
/// Why a bundle (or a piece of one) was refused.
///
/// Every case carries what a person needs to act: the field, the offset, the
/// expected and the actual value. `AdapterFormat` has no `String` formatting
/// (it must build with Embedded Swift); the host renders these cases as text.
/// Device builds carry only the kind (see the Embedded variant above).
public enum FormatError: Error, Equatable, Sendable {
    /// The first four bytes are not the bundle magic.
    case badMagic(found: UInt32)
    /// The major format version is not one this reader understands.
    case unsupportedVersion(major: UInt16, minor: UInt16)
    /// A fixed-size structure or a declared length runs past the end of the data.
    case truncated(offset: Int, needed: Int, available: Int)
    /// A header field has a value the specification does not allow.
    case invalidHeaderField(HeaderField, value: UInt32)
    /// A section-table entry has a bad value.
    case invalidSection(index: Int, SectionProblem)
    /// The SHA-256 of a section's stored bytes differs from the table's digest.
    case sectionDigestMismatch(index: Int, kind: UInt16)
    /// A record inside a section (metadata, tensor map, op stream) is malformed.
    case malformedRecord(section: UInt16, offset: Int, RecordProblem)
    /// The deflate stream of a section is invalid.
    case inflate(InflateProblem, outputOffset: Int)
    /// The bundle source delivered no bytes at this bundle offset.
    case io(offset: Int)
}
#endif

/// Header fields, named for error messages.
public enum HeaderField: UInt8, Sendable {
    case headerSize, sectionCount, flags, bundleLength, windowSize, segmentSize
    case baseLength, targetLength, reserved
}

/// What is wrong with a section-table entry.
public enum SectionProblem: Equatable, Sendable {
    case unknownKind(UInt16)
    case unknownCodec(UInt16)
    case duplicateKind(UInt16)
    /// Sections must follow the table back to back, in table order.
    case misplaced(expectedOffset: UInt32, actualOffset: UInt32)
    case outOfBounds(offset: UInt32, length: UInt32, bundleLength: UInt32)
    case missingRequired(kind: UInt16)
    /// The signature section must be the last one and have the fixed size.
    case signatureNotLast
    case badLength(UInt32)
    case nonzeroDigest
}

/// What is wrong with a record inside a section.
public enum RecordProblem: Equatable, Sendable {
    case unknownOpcode(UInt8)
    case unknownTag(UInt16)
    case varintOverflow
    /// An operation reaches past the model bytes it may touch.
    case outOfModel(offset: UInt32, length: UInt32, limit: UInt32)
    /// The section ended in the middle of a record.
    case unexpectedEnd
    /// The decoded length differs from the table's decoded length.
    case decodedLength(expected: UInt32, actual: UInt32)
    case phaseOrder
    case badValue(UInt32)
    /// A content chunk's operation reaches outside the chunk's segment.
    case outsideSegment(segment: UInt32, offset: UInt32, length: UInt32)
    /// Chunk directory: segments not strictly increasing, beyond the model, or
    /// lengths that do not add up to the section's.
    case badChunkDirectory
    /// A LoRA operation or its factor block is invalid.
    case lora(LoRAProblem)
}

/// Why a raw deflate (RFC 1951) stream was refused.
public enum InflateProblem: Equatable, Sendable {
    case inputEnded
    case reservedBlockType
    case storedLengthMismatch
    case badCodeLengths
    case badSymbol
    case distanceTooFar(distance: Int, windowSize: Int)
    case trailingData
}
