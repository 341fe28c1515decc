/// Codecs a firmware may leave out of the device loader to save flash, each
/// with a Swift compile condition (`-D ADAPTERPACK_NO_DEFLATE`, `…_NO_LORA`,
/// `…_NO_LOW_RANK`, `…_NO_LAYOUT`). A loader built without one refuses bundles that use it
/// before it changes anything; `adapterpack diff --without …` makes bundles
/// that do not use it.
public enum LoaderFeature: UInt8, Sendable, CaseIterable {
    /// Deflated sections (FORMAT.md §3, codec 1).
    case deflate = 1
    /// `loraWeights` and `loraBias` operations (§4.2–4.3).
    case lora = 2
    /// `lowRankResidual` operations (§4.5).
    case lowRank = 3
    /// Layout and undo sections: targets whose tensors moved or changed size (§4.1).
    case layout = 4

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
        case .layout:
            #if ADAPTERPACK_NO_LAYOUT
            return false
            #else
            return true
            #endif
        }
    }
}
