// The error catalog of the loader, in the form FormatError.swift describes,
// plus the C API's codes: each case's `- code:` line names its AP_E_* code
// (`format` maps the wrapped FormatError: AP_E_FORMAT unless a sub-item names
// another code), and the table in the enum's doc comment gives every code's
// value, its `ap_error_name` and its comment in adapter_loader.h. From this
// file Scripts/generate-errors.py writes LoaderError+Embedded.swift,
// LoaderError+CCodes.swift (`apCode`, `ap_error_name`), the return-code enum
// of adapter_loader.h and the host messages. Edit this file, then run
// `python3 Scripts/generate-errors.py`.

#if canImport(AdapterFormat)
import AdapterFormat
#endif

#if !hasFeature(Embedded)
/// Why the loader refused a bundle or stopped. The model store is untouched
/// unless the case says otherwise. Device builds carry only the kind
/// (LoaderError+Embedded.swift, generated from this declaration).
///
/// The C API reports these as negative codes (`adapter_loader.h`):
/// - AP_OK = 0 "ok"
/// - AP_E_FORMAT = -1 "malformed bundle": malformed bundle (bad magic, truncated, ...)
/// - AP_E_VERSION = -2 "unsupported format version": unknown major format version
/// - AP_E_DIGEST = -3 "digest mismatch": (unused since format 2: a block's digest mismatch is AP_E_BLOCK)
/// - AP_E_SIGNATURE = -4 "signature invalid": signature invalid
/// - AP_E_UNKNOWN_KEY = -5 "key id unknown": no trusted key has the bundle's key id
/// - AP_E_ALGORITHM = -6 "signature algorithm not supported": signature algorithm not supported
/// - AP_E_WINDOW = -7 "RAM window too small": RAM window too small: see ap_window_size
/// - AP_E_ROLLBACK = -8 "rollback refused": bundle older than min_sequence
/// - AP_E_BASE_MISMATCH = -9 "base model hash mismatch": the model is not the bundle's base
/// - AP_E_NOT_TARGET = -10 "model is not the bundle's target": unapply: the model is not the bundle's target
/// - AP_E_TARGET_MISMATCH = -11 "result is not the bundle's target": apply produced a wrong model (a faulty bundle)
/// - AP_E_STORE = -12 "model store error": model store too small, wrong length, or I/O error
/// - AP_E_FLASH = -13 "flash operation failed": a flash callback failed
/// - AP_E_JOURNAL = -14 "journal too small": journal too small for this bundle
/// - AP_E_CANNOT_RESUME = -15 "cannot resume": model is neither base nor target and no journal
/// - AP_E_UNIT = -16 "unit size not a multiple of the segment size": unit size not a multiple of the segment size
/// - AP_E_ARGUMENT = -17 "invalid argument": a NULL pointer or inconsistent argument
/// - AP_E_NOT_BUILT_IN = -18 "codec not built into this loader": the bundle needs a codec this loader was built without
/// - AP_E_STREAM = -19 "stream out of order": bytes fed at an offset other than the one the loader asked for, or the stream ended early
/// - AP_E_BLOCK = -20 "block refused": a streamed block does not match its digest or is malformed; blocks before it stay applied (see resume)
/// - AP_E_ONE_WAY = -21 "bundle is one-way": unapply of a one-way bundle: apply its restore bundle instead
public enum LoaderError: Error, Equatable, Sendable {
    /// The bundle's bytes break the format (see `FormatError`).
    /// - message: "\(error)"
    /// - code: AP_E_FORMAT
    ///   - unsupportedVersion: AP_E_VERSION
    ///   - malformedBlock: AP_E_BLOCK
    /// - device: keeps payload (the C code depends on the format error's kind)
    case format(_ error: FormatError)
    /// The caller's RAM window is smaller than the bundle needs.
    /// - message: "RAM window too small: the bundle needs \(needed) bytes, \(given) given"
    /// - code: AP_E_WINDOW
    case windowTooSmall(needed: Int, given: Int)
    /// The source holds more or fewer bytes than the header's bundle length.
    /// - message: "bundle is \(sourceLength) bytes but its header says \(headerLength): trailing bytes after the signature"
    /// - code: AP_E_FORMAT
    case sourceLengthMismatch(headerLength: UInt32, sourceLength: Int)
    /// The signature does not verify with the key the key id names.
    /// - message: "signature invalid: the bundle was altered after it was signed (its key id is a trusted key's, but the signature does not match its content)"
    /// - code: AP_E_SIGNATURE
    case signatureInvalid
    /// No trusted key has this key id.
    /// - message: "key id unknown: the bundle is signed by key \(keyID.hex), which is not among the trusted keys"
    /// - code: AP_E_UNKNOWN_KEY
    case unknownKey(keyID: Digest32)
    /// The verifier cannot check this signature algorithm.
    /// - message: "signature algorithm \(algorithm) is not supported"
    /// - code: AP_E_ALGORITHM
    case unsupportedAlgorithm(_ algorithm: UInt8)
    /// The bundle is older than the device's stored sequence number.
    /// - message: "rollback refused: bundle sequence \(bundleSequence) is older than the device's \(deviceSequence)"
    /// - code: AP_E_ROLLBACK
    case rollback(bundleSequence: UInt64, deviceSequence: UInt64)
    /// The store cannot hold max(base, target) bytes.
    /// - message: "model store too small: needs \(needed) bytes, has \(capacity)"
    /// - code: AP_E_STORE
    case storeTooSmall(needed: UInt32, capacity: Int)
    /// The model in the store has the wrong length for this operation.
    /// - message: "model length mismatch: expected \(expected) bytes, found \(actual)"
    /// - code: AP_E_STORE
    case modelLengthMismatch(expected: UInt32, actual: Int)
    /// The model is not the base this bundle applies to.
    /// - message: "base model hash mismatch: the bundle applies to \(expected.hex), this model is \(actual.hex)"
    /// - code: AP_E_BASE_MISMATCH
    case baseMismatch(expected: Digest32, actual: Digest32)
    /// Unapply: the model is not the target this bundle produces.
    /// - message: "model is not this bundle's target (expected \(expected.hex), found \(actual.hex))"
    /// - code: AP_E_NOT_TARGET
    case notTarget(expected: Digest32, actual: Digest32)
    /// Apply produced the wrong model from authentic blocks: a faulty bundle
    /// (writers self-check every bundle); the store holds what the blocks produced.
    /// - message: "applying produced \(actual.hex), not the target \(expected.hex): the bundle is faulty (its blocks are authentic); the model holds what they produced"
    /// - code: AP_E_TARGET_MISMATCH
    case targetMismatch(expected: Digest32, actual: Digest32)
    /// Unapply produced the wrong model (a bundle whose undo data is wrong).
    /// - message: "unapply produced \(actual.hex), not the base \(expected.hex)"
    /// - code: AP_E_TARGET_MISMATCH
    case unapplyMismatch(expected: Digest32, actual: Digest32)
    /// The model store failed to read or write at this offset.
    /// - message: "model store failed at offset \(offset)"
    /// - code: AP_E_STORE
    case storeFailed(offset: Int)
    /// The store's power-fail unit is not a multiple of the bundle's segment size.
    /// - message: "the store's power-fail unit (\(stepUnit) bytes) is not a multiple of the bundle's segment size \(segmentSize)"
    /// - code: AP_E_UNIT
    case stepUnitMismatch(segmentSize: UInt32, stepUnit: Int)
    /// The journal has room for fewer steps than the operation needs.
    /// - message: "journal too small: the operation needs \(neededSteps) steps, the journal holds \(capacity)"
    /// - code: AP_E_JOURNAL
    case journalTooSmall(neededSteps: UInt32, capacity: Int)
    /// After a reset the store holds neither model and its journal does not
    /// tell how to finish: restore the model from a backup.
    /// - message: "cannot resume: the model is neither the base nor the target and the journal does not say how to finish"
    /// - code: AP_E_CANNOT_RESUME
    case cannotResume
    /// The flash rejected an erase or program at this address.
    /// - message: "flash operation failed at address 0x\(String(address, radix: 16))"
    /// - code: AP_E_FLASH
    case flashFailed(address: Int)
    /// The bundle needs a codec this loader was built without (see
    /// `LoaderFeature`); the model is untouched.
    /// - message: notBuiltInMessage(feature)
    /// - code: AP_E_NOT_BUILT_IN
    /// - device: keeps payload (one byte, and the throw sites pass a constant)
    case notBuiltIn(_ feature: LoaderFeature)
    /// A streamed piece does not start at or before the offset the loader
    /// needs next (`StreamLoader.nextOffset`): bytes would be missing.
    /// - message: "stream gap: the loader needs bundle offset \(needed) next, the piece starts at \(given)"
    /// - code: AP_E_STREAM
    case streamGap(needed: Int, given: Int)
    /// The stream was finished before the loader had every block it needs.
    /// - message: "stream incomplete: the loader still needs bundle offset \(needed) of \(length)"
    /// - code: AP_E_STREAM
    case streamIncomplete(needed: Int, length: Int)
    /// Unapply of a bundle whose front has the one-way flag (FORMAT.md §2):
    /// it keeps no copy of what it overwrites; the model is untouched.
    /// - message: "the bundle is one-way (its signed front says so): it cannot be unapplied; apply its restore bundle (the .restore.apb that adapterpack build wrote beside it) to get the base model back"
    /// - code: AP_E_ONE_WAY
    case oneWay
}
#endif
