import AdapterFormat
import AdapterLoader

// Human-readable messages for the device's error enums (the device itself
// has no string formatting).

extension SectionKind: CustomStringConvertible {
    public var description: String {
        switch self {
        case .metadata: return "metadata"
        case .tensorMap: return "tensor-map"
        case .layout: return "layout"
        case .scales: return "scales"
        case .payload: return "payload"
        case .undo: return "undo"
        case .factors: return "factors"
        case .signature: return "signature"
        }
    }
}

func kindName(_ raw: UInt16) -> String {
    SectionKind(rawValue: raw).map { "\($0) (kind \(raw))" } ?? "kind \(raw)"
}

extension FormatError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .badMagic(let found):
            return "not an adapterpack bundle: magic is 0x\(String(found, radix: 16)) at offset 0, expected \"ADPB\""
        case .unsupportedVersion(let major, let minor):
            return "unsupported format version \(major).\(minor) at offset 4 (this reader understands major version \(BundleHeader.majorVersion))"
        case .truncated(let offset, let needed, let available):
            return "bundle truncated at offset \(offset): needs \(needed) bytes, has \(available)"
        case .invalidHeaderField(let field, let value):
            return "header field '\(field)' has invalid value \(value)"
        case .invalidSection(let index, let problem):
            return "section table entry \(index): \(problem)"
        case .sectionDigestMismatch(let index, let kind):
            return "digest mismatch in section \(index) (\(kindName(kind))): its bytes were altered or corrupted"
        case .malformedRecord(let section, let offset, let problem):
            return "malformed \(kindName(section)) section at decoded offset \(offset): \(problem)"
        case .inflate(let problem, let outputOffset):
            return "invalid deflate stream after \(outputOffset) decoded bytes: \(problem)"
        case .io(let offset):
            return "could not read bundle bytes at offset \(offset)"
        }
    }
}

extension SectionProblem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unknownKind(let k): return "unknown section kind \(k)"
        case .unknownCodec(let c): return "unknown or disallowed codec 0x\(String(c, radix: 16))"
        case .duplicateKind(let k): return "duplicate section \(kindName(k))"
        case .misplaced(let expected, let actual): return "section starts at offset \(actual), expected \(expected)"
        case .outOfBounds(let offset, let length, let bundleLength):
            return "section at offset \(offset) with \(length) bytes ends at \(UInt64(offset) + UInt64(length)), "
                + "not inside the bundle's \(bundleLength) bytes (the last section must end exactly there)"
        case .missingRequired(let k): return "required section \(kindName(k)) is missing"
        case .signatureNotLast: return "sections out of order (kinds must increase, signature last)"
        case .badLength(let n): return "bad section length \(n)"
        case .nonzeroDigest: return "signature entry digest must be zero"
        }
    }
}

extension RecordProblem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unknownOpcode(let op): return "opcode \(op) is unknown or not allowed in this section"
        case .unknownTag(let t): return "unknown tag \(t)"
        case .varintOverflow: return "number does not fit in 32 bits"
        case .outOfModel(let offset, let length, let limit):
            return "operation on bytes \(offset)..<\(offset + length) reaches past the model limit \(limit)"
        case .unexpectedEnd: return "record cut short"
        case .decodedLength(let expected, let actual): return "decoded length \(actual), table says \(expected)"
        case .phaseOrder: return "operations out of order"
        case .badValue(let v): return "invalid value \(v)"
        case .outsideSegment(let segment, let offset, let length):
            return "operation on bytes \(offset)..<\(offset + length) lies outside its chunk's segment \(segment)"
        case .badChunkDirectory:
            return "chunk directory invalid (segments must increase, stay inside the model, and lengths must add up)"
        case .lora(let problem): return problem.description
        }
    }
}

extension LoaderFeature: CustomStringConvertible {
    /// The name `diff --without` takes.
    public var description: String {
        switch self {
        case .deflate: return "deflate"
        case .lora: return "lora"
        case .lowRank: return "low-rank"
        case .layout: return "layout"
        }
    }

    /// The compile condition's suffix: ADAPTERPACK_NO_<suffix>.
    public var conditionSuffix: String {
        switch self {
        case .deflate: return "DEFLATE"
        case .lora: return "LORA"
        case .lowRank: return "LOW_RANK"
        case .layout: return "LAYOUT"
        }
    }
}

extension LoaderError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .format(let error): return error.description
        case .windowTooSmall(let needed, let given):
            return "RAM window too small: the bundle needs \(needed) bytes, \(given) given"
        case .sourceLengthMismatch(let header, let source):
            return "bundle is \(source) bytes but its header says \(header): trailing bytes after the signature"
        case .signatureInvalid: return "signature invalid: the bundle was altered or signed with another key"
        case .unknownKey(let keyID):
            return "key id unknown: the bundle is signed by key \(keyID.hex), which is not among the trusted keys"
        case .unsupportedAlgorithm(let a): return "signature algorithm \(a) is not supported"
        case .rollback(let bundle, let device):
            return "rollback refused: bundle sequence \(bundle) is older than the device's \(device)"
        case .storeTooSmall(let needed, let capacity):
            return "model store too small: needs \(needed) bytes, has \(capacity)"
        case .modelLengthMismatch(let expected, let actual):
            return "model length mismatch: expected \(expected) bytes, found \(actual)"
        case .baseMismatch(let expected, let actual):
            return "base model hash mismatch: the bundle applies to \(expected.hex), this model is \(actual.hex)"
        case .notTarget(let expected, let actual):
            return "model is not this bundle's target (expected \(expected.hex), found \(actual.hex))"
        case .targetMismatch(let expected, let actual):
            return "applying produced \(actual.hex), not the target \(expected.hex); the base was restored"
        case .unapplyMismatch(let expected, let actual):
            return "unapply produced \(actual.hex), not the base \(expected.hex)"
        case .storeFailed(let offset): return "model store failed at offset \(offset)"
        case .stepUnitMismatch(let segment, let unit):
            return "the store's power-fail unit (\(unit) bytes) is not a multiple of the bundle's segment size \(segment)"
        case .journalTooSmall(let steps, let capacity):
            return "journal too small: the operation needs \(steps) steps, the journal holds \(capacity)"
        case .cannotResume:
            return "cannot resume: the model is neither the base nor the target and the journal does not say how to finish"
        case .flashFailed(let address): return "flash operation failed at address 0x\(String(address, radix: 16))"
        case .notBuiltIn(let feature):
            let fix = feature == .lora
                ? "LoRA operations come only from `adapterpack build`: ship a `diff` of the LoRA-merged model instead"
                : "make the bundle with `adapterpack diff --without \(feature)`"
            return "this loader was built without \(feature) support (ADAPTERPACK_NO_\(feature.conditionSuffix)); \(fix)"
        }
    }
}

extension InflateProblem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .inputEnded: return "input ended early"
        case .reservedBlockType: return "reserved block type 3"
        case .storedLengthMismatch: return "stored block LEN/NLEN mismatch"
        case .badCodeLengths: return "invalid Huffman code lengths"
        case .badSymbol: return "invalid symbol"
        case .distanceTooFar(let d, let w): return "distance \(d) beyond the \(w)-byte window"
        case .trailingData: return "data after the final block"
        }
    }
}

extension LoRAProblem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .noFactorsSection: return "LoRA operation in a bundle without a factors section (kind 7)"
        case .badBlock(let block):
            return "factor block at factors offset \(block) is invalid or runs past the factors section"
        case .badRow(let row): return "factor block row \(row) has an invalid shift, mode or ratio"
        case .outsideTensor(let offset, let length):
            return "LoRA operation on \(offset) (length \(length)) is not inside its factor block's tensor"
        }
    }
}
