import AdapterFormat
import AdapterLoader

/// Runs the device loader (`BundleLoader`) on the host: same code, a RAM
/// store and a window of the requested size.
public enum HostLoader {
    /// Verifies structure, digests and signature; with `base`, also that the
    /// bundle applies to it.
    public static func verify(bundle: [UInt8], keys: TrustedKeys, base: [UInt8]? = nil,
                              window: Int? = nil, minimumSequence: UInt64 = 0) throws(LoaderError) -> VerifiedBundle {
        let verified = try withLoader(bundle: bundle, keys: keys, window: window) { loader throws(LoaderError) in
            try loader.verify(minimumSequence: minimumSequence)
        }
        // The records (metadata, tensor map) are for host tools; the device
        // loader never reads them, so they are checked here (FORMAT.md §7).
        do throws(FormatError) {
            let parsed = try ParsedBundle(bytes: bundle)
            _ = try parsed.metadata()
            _ = try parsed.tensorMap()
        } catch {
            throw .format(error)
        }
        if let base {
            let digest = sha256(base)
            guard base.count == Int(verified.header.baseLength) else {
                throw .modelLengthMismatch(expected: verified.header.baseLength, actual: base.count)
            }
            guard digest == verified.header.baseSHA256 else {
                throw .baseMismatch(expected: verified.header.baseSHA256, actual: digest)
            }
            // "Applies to base" is only true if the device path gets through:
            // decode every stream and patch a copy, as `apply` does.
            _ = try apply(bundle: bundle, base: base, keys: keys, window: window, minimumSequence: minimumSequence)
        }
        return verified
    }

    /// Applies the bundle to a copy of `base` and returns the target bytes.
    public static func apply(bundle: [UInt8], base: [UInt8], keys: TrustedKeys, window: Int? = nil,
                             minimumSequence: UInt64 = 0, maxChunk: Int = .max) throws(LoaderError) -> (model: [UInt8], outcome: LoaderOutcome) {
        if BundleFormat.of(bundle) == 2 {
            return try StreamHostLoader.apply(bundle: bundle, base: base, keys: keys, piece: min(maxChunk, 4096),
                                              minimumSequence: minimumSequence)
        }
        return try patch(bundle: bundle, model: base, keys: keys, window: window, maxChunk: maxChunk) { loader, store throws(LoaderError) in
            try loader.apply(to: &store, minimumSequence: minimumSequence)
        }
    }

    /// Removes the bundle from a copy of `target` and returns the base bytes.
    public static func unapply(bundle: [UInt8], target: [UInt8], keys: TrustedKeys, window: Int? = nil,
                               maxChunk: Int = .max) throws(LoaderError) -> (model: [UInt8], outcome: LoaderOutcome) {
        if BundleFormat.of(bundle) == 2 {
            return try StreamHostLoader.unapply(bundle: bundle, target: target, keys: keys, piece: min(maxChunk, 4096))
        }
        return try patch(bundle: bundle, model: target, keys: keys, window: window, maxChunk: maxChunk) { loader, store throws(LoaderError) in
            try loader.unapply(from: &store)
        }
    }

    /// The largest model the host loader patches (the CLI reads no larger file).
    public static let maxModelBytes = 256 << 20

    /// The window the bundle declares, or `fixed` when the header is unreadable
    /// (the loader then reports what is wrong with it).
    public static func declaredWindow(_ bundle: [UInt8]) -> Int {
        if BundleFormat.of(bundle) == 2 { return StreamHostLoader.declaredWindow(bundle) }
        let header = bundle.withUnsafeBytes { try? BundleHeader(parsing: $0) }
        return header.map { Int($0.windowSize) } ?? WindowLayout.fixed
    }

    private static func patch(bundle: [UInt8], model: [UInt8], keys: TrustedKeys, window: Int?, maxChunk: Int,
                              _ body: (BundleLoader<MemoryBundleSource, TrustedKeys>, inout RAMStore) throws(LoaderError) -> LoaderOutcome)
        throws(LoaderError) -> (model: [UInt8], outcome: LoaderOutcome) {
        // Memory is sized from the header only once the signature covers it,
        // and then within the host's model limit.
        let header = try withLoader(bundle: bundle, keys: keys, window: window, maxChunk: maxChunk) {
            loader throws(LoaderError) in try loader.verify().header
        }
        let needed = Int(header.storeCapacityNeeded)
        guard needed <= maxModelBytes else { throw .storeTooSmall(needed: header.storeCapacityNeeded, capacity: maxModelBytes) }
        let capacity = max(model.count, needed)
        var memory = model + [UInt8](repeating: 0, count: capacity - model.count)
        let result: (Int, LoaderOutcome) = try withLoader(bundle: bundle, keys: keys, window: window, maxChunk: maxChunk) {
            loader throws(LoaderError) in
            try memory.withMutableBytes { (raw: UnsafeMutableRawBufferPointer) throws(LoaderError) in
                var store = RAMStore(memory: raw, length: model.count)
                let outcome = try body(loader, &store)
                return (store.length, outcome)
            }
        }
        return (Array(memory[0 ..< result.0]), result.1)
    }

    private static func withLoader<R>(bundle: [UInt8], keys: TrustedKeys, window: Int?, maxChunk: Int = .max,
                                      _ body: (BundleLoader<MemoryBundleSource, TrustedKeys>) throws(LoaderError) -> R)
        throws(LoaderError) -> R {
        var memory = [UInt8](repeating: 0, count: window ?? declaredWindow(bundle))
        return try bundle.withBytes { (source: UnsafeRawBufferPointer) throws(LoaderError) in
            try memory.withMutableBytes { (raw: UnsafeMutableRawBufferPointer) throws(LoaderError) in
                let loader = BundleLoader(source: MemoryBundleSource(bytes: source, maxChunk: maxChunk),
                                          verifier: keys, window: raw)
                return try body(loader)
            }
        }
    }
}
