#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// Why the loader refused a bundle or stopped. The model store is untouched
/// unless the case says otherwise.
public enum LoaderError: Error, Equatable, Sendable {
    /// The bundle's bytes break the format (see `FormatError`).
    case format(FormatError)
    /// The caller's RAM window is smaller than the bundle needs.
    case windowTooSmall(needed: Int, given: Int)
    /// The source holds more or fewer bytes than the header's bundle length.
    case sourceLengthMismatch(headerLength: UInt32, sourceLength: Int)
    /// The signature does not verify with the key the key id names.
    case signatureInvalid
    /// No trusted key has this key id (its first eight bytes).
    case unknownKey(keyID: DigestPrefix)
    /// The verifier cannot check this signature algorithm.
    case unsupportedAlgorithm(UInt8)
    /// The bundle is older than the device's stored sequence number.
    case rollback(bundleSequence: UInt64, deviceSequence: UInt64)
    /// The store cannot hold max(base, target) bytes.
    case storeTooSmall(needed: UInt32, capacity: Int)
    /// The model in the store has the wrong length for this operation.
    case modelLengthMismatch(expected: UInt32, actual: Int)
    /// The model is not the base this bundle applies to. Digests are given
    /// by their first eight bytes (the header holds the full expected one).
    case baseMismatch(expected: DigestPrefix, actual: DigestPrefix)
    /// Unapply: the model is not the target this bundle produces.
    case notTarget(expected: DigestPrefix, actual: DigestPrefix)
    /// Apply produced the wrong model; the loader restored the base.
    case targetMismatch(expected: DigestPrefix, actual: DigestPrefix)
    /// Unapply produced the wrong model (a bundle whose undo data is wrong).
    case unapplyMismatch(expected: DigestPrefix, actual: DigestPrefix)
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

/// Codecs a firmware may leave out of the device loader to save flash, each
/// with a Swift compile condition (`-D ADAPTERPACK_NO_DEFLATE`, `…_NO_LORA`,
/// `…_NO_LOW_RANK`). A loader built without one refuses bundles that use it
/// before it changes anything; `adapterpack diff --without …` makes bundles
/// that do not use it.
public enum LoaderFeature: UInt8, Sendable, CaseIterable {
    /// Deflated sections (FORMAT.md §3.2).
    case deflate = 1
    /// `loraWeights` and `loraBias` operations (§4.2–4.3).
    case lora = 2
    /// `lowRankResidual` operations (§4.5).
    case lowRank = 3

    /// The features this build of the loader includes.
    public static func isBuiltIn(_ feature: LoaderFeature) -> Bool {
        switch feature {
        case .deflate:
            #if ADAPTERPACK_NO_DEFLATE
            return false
            #else
            return true
            #endif
        case .lora:
            #if ADAPTERPACK_NO_LORA
            return false
            #else
            return true
            #endif
        case .lowRank:
            #if ADAPTERPACK_NO_LOW_RANK
            return false
            #else
            return true
            #endif
        }
    }
}
