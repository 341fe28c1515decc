#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// What a successful apply or unapply did.
public struct LoaderOutcome: Equatable, Sendable {
    /// The bundle's sequence number: persist it as the device's new minimum
    /// only after the outcome is reported.
    public let sequence: UInt64
    /// The model's length now.
    public let modelLength: Int
    /// SHA-256 of the model now (target after apply, base after unapply).
    public let modelSHA256: Digest32
    /// Always true after apply and unapply: the model bytes changed, so the
    /// firmware must re-create its TFLite Micro interpreter (kernels cache
    /// values computed from the weights at Prepare time).
    public let interpreterMustBeRecreated: Bool
}

/// Verifies a bundle and applies it to, or removes it from, a model store in
/// place, using only the caller's RAM window. This is the device code; the
/// host CLI runs the same loader.
public struct BundleLoader<Source: BundleSource, Verifier: SignatureVerifier> {
    public let source: Source
    public let verifier: Verifier
    let window: RAMWindow

    /// `window` is all the memory the loader may use; it must be at least the
    /// bundle header's declared window size.
    public init(source: Source, verifier: Verifier, window: UnsafeMutableRawBufferPointer) {
        self.source = source
        self.verifier = verifier
        self.window = RAMWindow(window)
    }

    /// Checks structure, digests and signature; acts on nothing.
    public func verify(minimumSequence: UInt64 = 0) throws(LoaderError) -> VerifiedBundle {
        try verifyBundle(minimumSequence: minimumSequence)
    }

    /// Verifies the bundle and the base model, then patches the store into the
    /// target. On a wrong result the store is restored to the base.
    public func apply<Store: ModelStore>(to store: inout Store,
                                         minimumSequence: UInt64 = 0) throws(LoaderError) -> LoaderOutcome {
        let bundle = try verifyBundle(minimumSequence: minimumSequence)
        let header = bundle.header
        try checkStore(store, header: header, expectedLength: header.baseLength)
        let base = try hashModel(&store, length: Int(header.baseLength))
        guard base == header.baseSHA256 else { throw .baseMismatch(expected: header.baseSHA256, actual: base) }

        var executor = OpExecutor(store: store, buffer: window.modelBuffer, limit: header.storeCapacityNeeded)
        // Decode everything once before the first write, so a malformed stream
        // is refused while the model is still the base.
        try executor.run(bundle.table.layout, source: source, window: window, mode: .validate)
        try validateChunks(bundle.table.scales, header, &executor)
        try validateChunks(bundle.table.payload, header, &executor)
        try executor.run(bundle.table.undo, source: source, window: window, mode: .validate)
        try executor.run(bundle.table.layout, source: source, window: window, mode: .forward)
        try runContent(bundle, &executor, mode: .forward)
        store = executor.store
        let result = try hashModel(&store, length: store.length)
        if store.length != Int(header.targetLength) || result != header.targetSHA256 {
            try revert(bundle, store: &store)
            throw .targetMismatch(expected: header.targetSHA256, actual: result)
        }
        return LoaderOutcome(sequence: header.sequence, modelLength: store.length, modelSHA256: result,
                             interpreterMustBeRecreated: true)
    }

    /// Verifies the bundle and that the store holds its target, then restores
    /// the base byte for byte (so another adapter can be applied).
    public func unapply<Store: ModelStore>(from store: inout Store) throws(LoaderError) -> LoaderOutcome {
        let bundle = try verifyBundle(minimumSequence: 0)
        let header = bundle.header
        try checkStore(store, header: header, expectedLength: header.targetLength)
        let current = try hashModel(&store, length: Int(header.targetLength))
        guard current == header.targetSHA256 else { throw .notTarget(expected: header.targetSHA256, actual: current) }
        var executor = OpExecutor(store: store, buffer: window.modelBuffer, limit: header.storeCapacityNeeded)
        try validateChunks(bundle.table.scales, header, &executor)
        try validateChunks(bundle.table.payload, header, &executor)
        try executor.run(bundle.table.undo, source: source, window: window, mode: .validate)
        try revert(bundle, store: &store)
        let result = try hashModel(&store, length: store.length)
        guard store.length == Int(header.baseLength), result == header.baseSHA256 else {
            throw .unapplyMismatch(expected: header.baseSHA256, actual: result)
        }
        return LoaderOutcome(sequence: header.sequence, modelLength: store.length, modelSHA256: result,
                             interpreterMustBeRecreated: true)
    }

    /// Inverts the content streams, then runs the undo stream.
    private func revert<Store: ModelStore>(_ bundle: VerifiedBundle, store: inout Store) throws(LoaderError) {
        var executor = OpExecutor(store: store, buffer: window.modelBuffer, limit: bundle.header.storeCapacityNeeded)
        try runContent(bundle, &executor, mode: .inverse)
        try executor.run(bundle.table.undo, source: source, window: window, mode: .forward)
        store = executor.store
    }

    private func checkStore<Store: ModelStore>(_ store: Store, header: BundleHeader,
                                               expectedLength: UInt32) throws(LoaderError) {
        guard store.capacity >= Int(header.storeCapacityNeeded) else {
            throw .storeTooSmall(needed: header.storeCapacityNeeded, capacity: store.capacity)
        }
        guard store.length == Int(expectedLength) else {
            throw .modelLengthMismatch(expected: expectedLength, actual: store.length)
        }
    }

    /// SHA-256 of the first `length` model bytes, read through the model buffer.
    private func hashModel<Store: ModelStore>(_ store: inout Store, length: Int) throws(LoaderError) -> Digest32 {
        var hash = SHA256()
        var position = 0
        let buffer = window.modelBuffer
        while position < length {
            let n = min(buffer.count, length - position)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< n])
            try store.read(at: position, into: chunk)
            hash.update(UnsafeRawBufferPointer(chunk))
            position += n
        }
        return hash.finalize()
    }
}
