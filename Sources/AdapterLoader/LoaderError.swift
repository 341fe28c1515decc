#if canImport(AdapterFormat)
import AdapterFormat
#endif

#if hasFeature(Embedded)
/// Why the loader refused a bundle or stopped: on the device, only which kind
/// of refusal (the C API reports it as an integer code; see `FormatError`'s
/// Embedded variant for why). The factories have the host cases' names and
/// labels; their arguments are discarded.
public enum LoaderError: Error, Equatable, Sendable {
    case format(FormatError)
    case windowTooSmall, sourceLengthMismatch, signatureInvalid, unknownKey, unsupportedAlgorithm, rollback
    case storeTooSmall, modelLengthMismatch, baseMismatch, notTarget, targetMismatch, unapplyMismatch
    case storeFailed, stepUnitMismatch, journalTooSmall, cannotResume, flashFailed
    case notBuiltIn(LoaderFeature)

    @inline(__always) public static func windowTooSmall(needed: Int, given: Int) -> LoaderError { .windowTooSmall }
    @inline(__always) public static func sourceLengthMismatch(headerLength: UInt32, sourceLength: Int) -> LoaderError {
        .sourceLengthMismatch
    }
    @inline(__always) public static func unknownKey(keyID: Digest32) -> LoaderError { .unknownKey }
    @inline(__always) public static func unsupportedAlgorithm(_ algorithm: UInt8) -> LoaderError { .unsupportedAlgorithm }
    @inline(__always) public static func rollback(bundleSequence: UInt64, deviceSequence: UInt64) -> LoaderError {
        .rollback
    }
    @inline(__always) public static func storeTooSmall(needed: UInt32, capacity: Int) -> LoaderError { .storeTooSmall }
    @inline(__always) public static func modelLengthMismatch(expected: UInt32, actual: Int) -> LoaderError {
        .modelLengthMismatch
    }
    @inline(__always) public static func baseMismatch(expected: Digest32, actual: Digest32) -> LoaderError {
        .baseMismatch
    }
    @inline(__always) public static func notTarget(expected: Digest32, actual: Digest32) -> LoaderError { .notTarget }
    @inline(__always) public static func targetMismatch(expected: Digest32, actual: Digest32) -> LoaderError {
        .targetMismatch
    }
    @inline(__always) public static func unapplyMismatch(expected: Digest32, actual: Digest32) -> LoaderError {
        .unapplyMismatch
    }
    @inline(__always) public static func storeFailed(offset: Int) -> LoaderError { .storeFailed }
    @inline(__always) public static func stepUnitMismatch(segmentSize: UInt32, stepUnit: Int) -> LoaderError {
        .stepUnitMismatch
    }
    @inline(__always) public static func journalTooSmall(neededSteps: UInt32, capacity: Int) -> LoaderError {
        .journalTooSmall
    }
    @inline(__always) public static func flashFailed(address: Int) -> LoaderError { .flashFailed }
}
#else
/// Why the loader refused a bundle or stopped. The model store is untouched
/// unless the case says otherwise. Device builds carry only the kind (see the
/// Embedded variant above).
public enum LoaderError: Error, Equatable, Sendable {
    /// The bundle's bytes break the format (see `FormatError`).
    case format(FormatError)
    /// The caller's RAM window is smaller than the bundle needs.
    case windowTooSmall(needed: Int, given: Int)
    /// The source holds more or fewer bytes than the header's bundle length.
    case sourceLengthMismatch(headerLength: UInt32, sourceLength: Int)
    /// The signature does not verify with the key the key id names.
    case signatureInvalid
    /// No trusted key has this key id.
    case unknownKey(keyID: Digest32)
    /// The verifier cannot check this signature algorithm.
    case unsupportedAlgorithm(UInt8)
    /// The bundle is older than the device's stored sequence number.
    case rollback(bundleSequence: UInt64, deviceSequence: UInt64)
    /// The store cannot hold max(base, target) bytes.
    case storeTooSmall(needed: UInt32, capacity: Int)
    /// The model in the store has the wrong length for this operation.
    case modelLengthMismatch(expected: UInt32, actual: Int)
    /// The model is not the base this bundle applies to.
    case baseMismatch(expected: Digest32, actual: Digest32)
    /// Unapply: the model is not the target this bundle produces.
    case notTarget(expected: Digest32, actual: Digest32)
    /// Apply produced the wrong model; the loader restored the base.
    case targetMismatch(expected: Digest32, actual: Digest32)
    /// Unapply produced the wrong model (a bundle whose undo data is wrong).
    case unapplyMismatch(expected: Digest32, actual: Digest32)
    /// The model store failed to read or write at this offset.
    case storeFailed(offset: Int)
    /// The store's power-fail unit is not a multiple of the bundle's segment size.
    case stepUnitMismatch(segmentSize: UInt32, stepUnit: Int)
    /// The journal has room for fewer steps than the operation needs.
    case journalTooSmall(neededSteps: UInt32, capacity: Int)
    /// After a reset the store holds neither model and its journal does not
    /// tell how to finish: restore the model from a backup.
    case cannotResume
    /// The flash rejected an erase or program at this address.
    case flashFailed(address: Int)
    /// The bundle needs a codec this loader was built without (see
    /// `LoaderFeature`); the model is untouched.
    case notBuiltIn(LoaderFeature)
}

#endif
