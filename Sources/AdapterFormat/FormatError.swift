// The error catalog of the bundle format. Each case's doc comment ends with
// structured lines that Scripts/generate-errors.py reads:
//   - message: the host's text for the case, a Swift `String` expression over
//     the case's payload names (usually a string literal with interpolation;
//     deeper-indented lines continue it);
//   - device: keeps payload — the Embedded variant keeps this case's payload
//     (otherwise it drops it).
// From them the script writes FormatError+Embedded.swift (the device's
// payload-free variant) and the host messages in
// Sources/AdapterPack/Loading/ErrorMessages.swift. Edit this file, then run
// `python3 Scripts/generate-errors.py`.

#if !hasFeature(Embedded)
/// Why a bundle (or a piece of one) was refused.
///
/// Every case carries what a person needs to act: the field, the offset, the
/// expected and the actual value. `AdapterFormat` has no `String` formatting
/// (it must build with Embedded Swift); the host renders these cases as text.
/// Device builds carry only the kind (FormatError+Embedded.swift, generated
/// from this declaration).
public enum FormatError: Error, Equatable, Sendable {
    /// The first four bytes are not the bundle magic.
    /// - message: "not an adapterpack bundle: magic is 0x\(String(found, radix: 16)) at offset 0, expected \"ADPB\""
    case badMagic(found: UInt32)
    /// The major format version is not one this reader understands.
    /// - message: "unsupported format version \(major).\(minor) at offset 4 (this reader understands major version \(StreamHeader.majorVersion))"
    case unsupportedVersion(major: UInt16, minor: UInt16)
    /// A fixed-size structure or a declared length runs past the end of the data.
    /// - message: "bundle truncated at offset \(offset): needs \(needed) bytes, has \(available)"
    case truncated(offset: Int, needed: Int, available: Int)
    /// A header field has a value the specification does not allow.
    /// - message: "header field '\(field)' has invalid value \(value)"
    case invalidHeaderField(_ field: HeaderField, value: UInt32)
    /// A record's content (metadata, tensor map, op stream) is malformed; `section` is its kind.
    /// - message: "malformed \(kindName(section)) section at decoded offset \(offset): \(problem)"
    case malformedRecord(section: UInt16, offset: Int, _ problem: RecordProblem)
    /// The deflate stream of a section is invalid.
    /// - message: "invalid deflate stream after \(outputOffset) decoded bytes: \(problem)"
    case inflate(_ problem: InflateProblem, outputOffset: Int)
    /// A block of a format-2 bundle, or a record in it, is malformed or altered.
    /// - message: "block \(block), offset \(offset) in the block: \(problem)"
    case malformedBlock(block: Int, offset: Int, _ problem: BlockProblem)
    /// The bundle source delivered no bytes at this bundle offset.
    /// - message: "could not read bundle bytes at offset \(offset)"
    case io(offset: Int)
}
#endif

/// Header fields, named for error messages.
public enum HeaderField: UInt8, Sendable {
    case flags, bundleLength, windowSize, segmentSize
    case baseLength, targetLength, reserved
    case algorithm, blockSize, firstBlockLength
}

/// What is wrong with a block of a format-2 bundle or a record in it.
public enum BlockProblem: Equatable, Sendable {
    /// The block's SHA-256 differs from the digest its predecessor (or the signature) commits to.
    /// - message: "its SHA-256 differs from the digest the previous block commits to: altered or corrupted"
    case digestMismatch
    /// A declared block length is 0, over the bundle's block limit, too short for its trailer, or runs past the bundle.
    /// - message: "block length \(length) is invalid (1 ... the bundle's block limit, room for the 34-byte trailer, inside the bundle)"
    case badBlockLength(_ length: UInt32)
    /// The record tag names no record kind, or a codec the kind does not allow.
    /// - message: "unknown record tag 0x\(String(tag, radix: 16))"
    case unknownRecord(_ tag: UInt8)
    /// A record's header (its varints) is cut short or does not fit 32 bits.
    /// - message: "record header cut short or a number over 32 bits"
    case badRecordHeader
    /// A record's stored bytes run past the block's payload.
    /// - message: "record of \(length) bytes runs past the end of the block's payload"
    case recordPastBlock(length: UInt32)
    /// Records out of the format's order (factors, layout, content by ascending segment, undo).
    /// - message: "record out of order (metadata, tensor map, factors, layout, content by ascending segment, undo)"
    case recordOrder
    /// A content record names a segment past the model.
    /// - message: "content record for segment \(segment), past the model"
    case segmentOutsideModel(_ segment: UInt32)
    /// Factor records add up to more or fewer bytes than the header declares.
    /// - message: "factor records do not add up to the header's factor bytes"
    case factorBytes
    /// A deflated record's inflater does not fit the window the header declares.
    /// - message: "the record's deflate window does not fit the bundle's declared RAM window"
    case workspace
}

/// What is wrong with a record inside a section.
public enum RecordProblem: Equatable, Sendable {
    /// The opcode is unknown, or not allowed in this section.
    /// - message: "opcode \(opcode) is unknown or not allowed in this section"
    case unknownOpcode(_ opcode: UInt8)
    /// A varint does not fit in 32 bits.
    /// - message: "number does not fit in 32 bits"
    case varintOverflow
    /// An operation reaches past the model bytes it may touch.
    /// - message: "operation on bytes \(offset)..<\(UInt64(offset) + UInt64(length)) reaches past the model limit \(limit)"
    case outOfModel(offset: UInt32, length: UInt32, limit: UInt32)
    /// The section ended in the middle of a record.
    /// - message: "record cut short"
    case unexpectedEnd
    /// The decoded length differs from the table's decoded length.
    /// - message: "decoded length \(actual), table says \(expected)"
    case decodedLength(expected: UInt32, actual: UInt32)
    /// A field has a value the specification does not allow.
    /// - message: "invalid value \(value)"
    case badValue(_ value: UInt32)
    /// A content chunk's operation reaches outside the chunk's segment.
    /// - message: "operation on bytes \(offset)..<\(UInt64(offset) + UInt64(length)) lies outside its chunk's segment \(segment)"
    case outsideSegment(segment: UInt32, offset: UInt32, length: UInt32)
    /// A LoRA operation or its factor block is invalid.
    /// - message: "\(problem)"
    case lora(_ problem: LoRAProblem)
}

/// Why a raw deflate (RFC 1951) stream was refused.
public enum InflateProblem: Equatable, Sendable {
    /// The stream ended before its final block did.
    /// - message: "input ended early"
    case inputEnded
    /// A block header has the reserved type 3.
    /// - message: "reserved block type 3"
    case reservedBlockType
    /// A stored block's LEN is not the complement of its NLEN.
    /// - message: "stored block LEN/NLEN mismatch"
    case storedLengthMismatch
    /// The code lengths do not form a valid Huffman code.
    /// - message: "invalid Huffman code lengths"
    case badCodeLengths
    /// A code decodes to no symbol, or to one that is not allowed.
    /// - message: "invalid symbol"
    case badSymbol
    /// A back-reference reaches further back than the window.
    /// - message: "distance \(distance) beyond the \(windowSize)-byte window"
    case distanceTooFar(distance: Int, windowSize: Int)
    /// Bytes follow the final block.
    /// - message: "data after the final block"
    case trailingData
}
