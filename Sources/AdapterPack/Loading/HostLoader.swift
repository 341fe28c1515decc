import AdapterFormat
import AdapterLoader

/// Runs the device loader (`StreamLoader`) on the host: same code, a RAM
/// store, the bundle fed in pieces of `piece` bytes from the offset the
/// loader asks for, as a link would deliver them.
public enum HostLoader {
    /// The largest model the host loader patches (the CLI reads no larger file).
    public static let maxModelBytes = 256 << 20

    /// Feeds `bundle` to `loader` until it is complete, `piece` bytes at a time.
    public static func feed<Store: ModelStore, Verifier: SignatureVerifier>(
        _ bundle: [UInt8], to loader: inout StreamLoader<Store, Verifier>, piece: Int) throws(LoaderError) {
        let size = max(1, piece)
        // The whole bundle is at hand: a length other than the front's is refused before anything is fed.
        if let front = bundle.withUnsafeBytes({ try? StreamHeader(parsing: $0) }), bundle.count != Int(front.bundleLength) {
            if bundle.count > Int(front.bundleLength) {
                throw .sourceLengthMismatch(headerLength: front.bundleLength, sourceLength: bundle.count)
            }
        }
        try bundle.withBytes { (raw: UnsafeRawBufferPointer) throws(LoaderError) in
            while !loader.isComplete {
                let start = loader.nextOffset
                guard start < raw.count else { break }
                let end = min(raw.count, start + size)
                try loader.feed(UnsafeRawBufferPointer(rebasing: raw[start ..< end]), at: start)
            }
            // Bytes past the end: refused unless a resume stopped early.
            if loader.isComplete, loader.nextOffset < raw.count {
                try loader.feed(UnsafeRawBufferPointer(rebasing: raw[loader.nextOffset...]), at: loader.nextOffset)
            }
        }
    }

    /// The window a format-2 bundle declares (or the fixed minimum when its
    /// front is unreadable: the loader then says what is wrong).
    public static func declaredWindow(_ bundle: [UInt8]) -> Int {
        let header = bundle.withUnsafeBytes { try? StreamHeader(parsing: $0) }
        return header.map { Int($0.windowSize) } ?? WindowLayout.fixed
    }

    /// Verifies the signature and every block; with `base`, also that the
    /// bundle applies to it (by applying it to a copy, as the device would).
    public static func verify(bundle: [UInt8], keys: TrustedKeys, base: [UInt8]? = nil,
                              minimumSequence: UInt64 = 0) throws(LoaderError) -> BundleSummary {
        let header = try verifyFront(bundle: bundle, keys: keys, minimumSequence: minimumSequence)
        // The records for people are for host tools: the device skips them, so they are checked here (FORMAT.md §6).
        do throws(FormatError) {
            let parsed = try ParsedBundle(bytes: bundle)
            _ = try parsed.metadata()
            _ = try parsed.tensorMap()
        } catch {
            throw .format(error)
        }
        if let base {
            guard base.count == Int(header.baseLength) else {
                throw .modelLengthMismatch(expected: header.baseLength, actual: base.count)
            }
            let digest = sha256(base)
            guard digest == header.baseSHA256 else { throw .baseMismatch(expected: header.baseSHA256, actual: digest) }
            _ = try apply(bundle: bundle, base: base, keys: keys, minimumSequence: minimumSequence)
        }
        return BundleSummary(header)
    }

    /// Checks the signature and every block; returns the verified front.
    public static func verifyFront(bundle: [UInt8], keys: TrustedKeys, piece: Int = 4096,
                                   minimumSequence: UInt64 = 0) throws(LoaderError) -> StreamHeader {
        var window = [UInt8](repeating: 0, count: declaredWindow(bundle))
        var empty = [UInt8](repeating: 0, count: 1)
        return try window.withMutableBytes { (w: UnsafeMutableRawBufferPointer) throws(LoaderError) -> StreamHeader in
            try empty.withMutableBytes { (m: UnsafeMutableRawBufferPointer) throws(LoaderError) -> StreamHeader in
                var loader = StreamLoader(.verify, store: RAMStore(memory: m, length: 0), verifier: keys, window: w,
                                          minimumSequence: minimumSequence)
                try feed(bundle, to: &loader, piece: piece)
                guard bundle.count == loader.nextOffset else {
                    throw .sourceLengthMismatch(headerLength: loader.header?.bundleLength ?? 0, sourceLength: bundle.count)
                }
                return try loader.finishVerify()
            }
        }
    }

    /// Applies the bundle to a copy of `base`, streamed in `piece`-byte pieces.
    /// `window`: the RAM window to give the loader (default: what the bundle declares).
    public static func apply(bundle: [UInt8], base: [UInt8], keys: TrustedKeys, piece: Int = 4096, window: Int? = nil,
                             minimumSequence: UInt64 = 0) throws(LoaderError) -> (model: [UInt8], outcome: LoaderOutcome) {
        try run(.apply, bundle: bundle, model: base, keys: keys, piece: piece, window: window, minimumSequence: minimumSequence)
    }

    /// Removes the bundle from a copy of `target`, streamed in `piece`-byte pieces.
    public static func unapply(bundle: [UInt8], target: [UInt8], keys: TrustedKeys, piece: Int = 4096,
                               window: Int? = nil) throws(LoaderError) -> (model: [UInt8], outcome: LoaderOutcome) {
        try run(.unapply, bundle: bundle, model: target, keys: keys, piece: piece, window: window, minimumSequence: 0)
    }

    private static func run(_ operation: StreamOperation, bundle: [UInt8], model: [UInt8], keys: TrustedKeys, piece: Int,
                            window given: Int?, minimumSequence: UInt64) throws(LoaderError) -> (model: [UInt8], outcome: LoaderOutcome) {
        // The store is sized from the front only once the signature covers it.
        let header = try verifyFront(bundle: bundle, keys: keys, piece: piece, minimumSequence: minimumSequence)
        let needed = Int(header.storeCapacityNeeded)
        guard needed <= maxModelBytes else {
            throw .storeTooSmall(needed: header.storeCapacityNeeded, capacity: maxModelBytes)
        }
        var memory = model + [UInt8](repeating: 0, count: max(0, needed - model.count))
        var window = [UInt8](repeating: 0, count: given ?? Int(header.windowSize))
        let result = try memory.withMutableBytes { (m: UnsafeMutableRawBufferPointer) throws(LoaderError) -> (Int, LoaderOutcome) in
            try window.withMutableBytes { (w: UnsafeMutableRawBufferPointer) throws(LoaderError) -> (Int, LoaderOutcome) in
                var loader = StreamLoader(operation, store: RAMStore(memory: m, length: model.count), verifier: keys,
                                          window: w, minimumSequence: minimumSequence)
                try feed(bundle, to: &loader, piece: piece)
                let outcome = try loader.finish()
                return (loader.store.length, outcome)
            }
        }
        return (Array(memory[0 ..< result.0]), result.1)
    }

    /// Steps an apply and an unapply take at one step per segment (the
    /// front's step bound), counted by the loader itself.
    static func countSteps(_ bundle: [UInt8], base: [UInt8], target: [UInt8], key: SigningKey) throws -> UInt32 {
        let keys = TrustedKeys([key.verifyingKey])
        let header = try verifyFront(bundle: bundle, keys: keys)
        var most: UInt32 = 0
        let oneWay = header.flags & StreamHeader.oneWayFlag != 0
        for (operation, model) in [(StreamOperation.apply, base), (.unapply, target)] where !(oneWay && operation == .unapply) {
            var memory = model + [UInt8](repeating: 0, count: max(0, Int(header.storeCapacityNeeded) - model.count))
            var window = [UInt8](repeating: 0, count: Int(header.windowSize))
            let count = try memory.withMutableBytes { (m: UnsafeMutableRawBufferPointer) throws(LoaderError) -> UInt32 in
                try window.withMutableBytes { (w: UnsafeMutableRawBufferPointer) throws(LoaderError) -> UInt32 in
                    let store = StepCountingStore(ram: RAMStore(memory: m, length: model.count),
                                                  stepUnit: Int(header.segmentSize))
                    var loader = StreamLoader(operation, store: store, verifier: keys, window: w)
                    try feed(bundle, to: &loader, piece: 1 << 15)
                    _ = try loader.finish()
                    return loader.store.steps
                }
            }
            most = max(most, count)
        }
        return most
    }
}

/// A RAM store that counts the steps an operation starts, one per segment.
struct StepCountingStore: ModelStore {
    var ram: RAMStore
    let stepUnit: Int
    var steps: UInt32 = 0

    var capacity: Int { ram.capacity }
    var length: Int { ram.length }
    mutating func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        try ram.read(at: offset, into: buffer)
    }
    mutating func write(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        try ram.write(at: offset, from: bytes)
    }
    mutating func setLength(_ length: Int) throws(LoaderError) { try ram.setLength(length) }
    mutating func beginStep(_ step: UInt32, unit: Int, redo: Bool, resume: ResumePoint) throws(LoaderError) {
        steps += 1  // one journal record per step begun
    }
}
