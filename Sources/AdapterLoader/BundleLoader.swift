#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// What a successful apply, unapply or resume did.
public struct LoaderOutcome: Equatable, Sendable {
    /// Which model the store now holds.
    public enum ModelState: Equatable, Sendable {
        case base
        case target
    }

    public let state: ModelState
    /// The bundle's sequence number: persist it as the device's new minimum
    /// only after a successful apply is reported.
    public let sequence: UInt64
    /// The model's length now.
    public let modelLength: Int
    /// SHA-256 of the model now (target after apply, base after unapply).
    public let modelSHA256: Digest32
    /// True whenever model bytes changed: the firmware must then re-create
    /// its TFLite Micro interpreter (kernels cache values computed from the
    /// weights at Prepare time).
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
        try patch(&store, .apply, minimumSequence: minimumSequence)
    }

    /// Verifies the bundle and that the store holds its target, then restores
    /// the base byte for byte (so another adapter can be applied).
    public func unapply<Store: ModelStore>(from store: inout Store) throws(LoaderError) -> LoaderOutcome {
        try patch(&store, .unapply, minimumSequence: 0)
    }

    /// Apply and unapply: one body, so the device carries one copy of it.
    @inline(never)
    private func patch<Store: ModelStore>(_ store: inout Store, _ operation: JournalOperation,
                                          minimumSequence: UInt64) throws(LoaderError) -> LoaderOutcome {
        let bundle = try verifyBundle(minimumSequence: minimumSequence)
        let header = bundle.header
        let applying = operation == .apply
        // The model the operation starts from is the one its opposite ends with.
        let (length, expected) = Self.model(after: applying ? .unapply : .apply, header)
        try checkStore(store, header: header, expectedLength: length)
        let current = try hashModel(&store, length: Int(length))
        guard current == expected else {
            throw applying ? .baseMismatch(expected: expected, actual: current)
                           : .notTarget(expected: expected, actual: current)
        }
        try runFresh(bundle, &store, operation)
        return try finish(operation, bundle, &store)
    }

    /// After a reset: finds out whether the store holds the base or the
    /// target, and if an apply or unapply was cut short, finishes it from its
    /// journal. Ends at exactly the base or exactly the target, and says which.
    public func resume<Store: ModelStore>(_ store: inout Store) throws(LoaderError) -> LoaderOutcome {
        let bundle = try verifyBundle(minimumSequence: 0)
        let header = bundle.header
        guard store.capacity >= Int(header.storeCapacityNeeded) else {
            throw .storeTooSmall(needed: header.storeCapacityNeeded, capacity: store.capacity)
        }
        // A store that holds either model needs nothing (the cut came before
        // the first write or after the last one).
        try store.setLength(Int(header.targetLength))
        if let done = try ended(.apply, header, &store) { return done }
        try store.setLength(Int(header.baseLength))
        if let done = try ended(.unapply, header, &store) { return done }
        guard let cut = try store.interruptedStep(id: header.targetSHA256) else { throw .cannotResume }
        if cut.operation == .unapply { try store.setLength(Int(header.targetLength)) }
        try withUnsafeMutablePointer(to: &store) { (pointer) throws(LoaderError) in
            var executor = try makeExecutor(pointer, bundle, resumeFrom: cut.step, redo: cut.redo)
            try run(cut.operation, bundle, &executor, mode: .forward)
        }
        return try finish(cut.operation, bundle, &store)
    }

    // MARK: Phases

    /// Decodes the operation's streams once without writing, so a malformed
    /// stream is refused while the model is untouched (this also counts the
    /// steps), opens the store's journal, then runs the operation.
    private func runFresh<Store: ModelStore>(_ bundle: VerifiedBundle, _ store: inout Store,
                                             _ operation: JournalOperation) throws(LoaderError) {
        try withUnsafeMutablePointer(to: &store) { (pointer) throws(LoaderError) in
            var executor = try makeExecutor(pointer, bundle)
            #if !ADAPTERPACK_NO_LAYOUT  // (without layout support, verifyBundle refuses undo sections)
            if operation == .apply {
                // Refuse now a bundle whose later unapply would fail.
                try executor.run(bundle.table.undo, source: source, window: window, mode: .validate)
                executor.steps.next = 0
            }
            #endif
            try run(operation, bundle, &executor, mode: .validate)
            try executor.store.beginOperation(id: bundle.header.targetSHA256, operation: operation,
                                              steps: executor.steps.next)
            executor.steps.next = 0
            try run(operation, bundle, &executor, mode: .forward)
        }
    }

    /// Apply: layout (moves, length), then content unit by unit. Unapply:
    /// content inverted unit by unit, then the undo stream. `.validate`
    /// decodes everything (directories included) and counts the steps.
    /// Not inlined: runFresh and resume call it with several modes.
    @inline(never)
    private func run<Store: ModelStore>(_ operation: JournalOperation, _ bundle: VerifiedBundle,
                                        _ executor: inout OpExecutor<Store>, mode: ExecutionMode) throws(LoaderError) {
        let applying = operation == .apply
        let validating = mode == .validate
        #if !ADAPTERPACK_NO_LAYOUT  // (without layout support, verifyBundle refuses layout and undo sections)
        if applying { try executor.run(bundle.table.layout, source: source, window: window, mode: mode) }
        #endif
        try runContent(bundle, &executor, mode: validating ? .validate : applying ? .forward : .inverse)
        #if !ADAPTERPACK_NO_LAYOUT
        if !applying {
            try executor.run(bundle.table.undo, source: source, window: window, mode: validating ? .validate : .forward)
        }
        #endif
    }

    /// Length and SHA-256 of the model `operation` ends with: the target
    /// after apply, the base after unapply. (One copy for its callers.)
    @inline(never)
    private static func model(after operation: JournalOperation, _ header: BundleHeader) -> (UInt32, Digest32) {
        operation == .apply ? (header.targetLength, header.targetSHA256) : (header.baseLength, header.baseSHA256)
    }

    /// The outcome if the store holds exactly the model `operation` ends
    /// with; nil otherwise.
    @inline(never)
    private func ended<Store: ModelStore>(_ operation: JournalOperation, _ header: BundleHeader,
                                          _ store: inout Store) throws(LoaderError) -> LoaderOutcome? {
        let (length, expected) = Self.model(after: operation, header)
        guard store.length == Int(length) else { return nil }
        let result = try hashModel(&store, length: store.length)
        guard result == expected else { return nil }
        return LoaderOutcome(state: operation == .apply ? .target : .base, sequence: header.sequence,
                             modelLength: store.length, modelSHA256: result, interpreterMustBeRecreated: true)
    }

    /// Checks the result of an apply (the target) or an unapply (the base).
    /// Only a wrong result is hashed a second time, for the error's digest.
    private func finish<Store: ModelStore>(_ operation: JournalOperation, _ bundle: VerifiedBundle,
                                           _ store: inout Store) throws(LoaderError) -> LoaderOutcome {
        let header = bundle.header
        if let done = try ended(operation, header, &store) { return done }
        let actual = try hashModel(&store, length: store.length)
        guard operation == .apply else { throw .unapplyMismatch(expected: header.baseSHA256, actual: actual) }
        // Put the base back: the inverse is exact whatever the claimed target.
        try runFresh(bundle, &store, .unapply)
        throw .targetMismatch(expected: header.targetSHA256, actual: actual)
    }

    private func makeExecutor<Store: ModelStore>(_ store: UnsafeMutablePointer<Store>, _ bundle: VerifiedBundle,
                                                 resumeFrom: UInt32 = 0,
                                                 redo: Bool = false) throws(LoaderError) -> OpExecutor<Store> {
        let header = bundle.header
        let segment = Int(header.segmentSize)
        let unit = store.pointee.stepUnit > 0 ? store.pointee.stepUnit : segment
        guard unit % segment == 0 else { throw .stepUnitMismatch(segmentSize: header.segmentSize, stepUnit: unit) }
        return OpExecutor(store: store, buffer: window.modelBuffer, limit: header.storeCapacityNeeded,
                          factors: bundle.table.factors,
                          steps: StepCursor(unitSize: unit, resumeFrom: resumeFrom, redoFirst: redo))
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
