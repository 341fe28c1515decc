#if canImport(AdapterLoader)
import AdapterFormat
import AdapterLoader
#endif

/// Accepts every signature, so fuzzed bundles reach the block chain and the
/// decoders; the real verifier is exercised by the `bundle-verify` target.
struct AcceptingVerifier: SignatureVerifier {
    func check(algorithm: UInt8, keyID: Digest32, message: UnsafeRawBufferPointer,
               signature: UnsafeRawBufferPointer) -> SignatureCheck { .valid }
}

/// A RAM store over an exact-size allocation (an overrun is an AddressSanitizer
/// report) that bounds the work of one run: past `budget` bytes read or
/// written it fails, and the check passes the input over.
struct FuzzStore: ModelStore {
    var ram: RAMStore
    var budget: Int
    private(set) var exhausted = false

    init(memory: UnsafeMutableRawBufferPointer, length: Int, budget: Int) {
        ram = RAMStore(memory: memory, length: length)
        self.budget = budget
    }

    var capacity: Int { ram.capacity }
    var length: Int { ram.length }

    mutating func spend(_ bytes: Int, at offset: Int) throws(LoaderError) {
        budget -= bytes + 16
        if budget < 0 {
            exhausted = true
            throw .storeFailed(offset: offset)
        }
    }

    mutating func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        try spend(buffer.count, at: offset)
        try ram.read(at: offset, into: buffer)
    }

    mutating func write(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        try spend(bytes.count, at: offset)
        try ram.write(at: offset, from: bytes)
    }

    mutating func setLength(_ length: Int) throws(LoaderError) { try ram.setLength(length) }
}

/// The device's streaming loader (format 2) on a fuzzed bundle, fed in odd
/// 61-byte pieces, with the fix-ups a byte mutator cannot make so that
/// mutations reach the record decoders: the bundle length, the base
/// length/SHA-256 (of a deterministic base the check makes), out-of-range
/// front fields and block lengths, and the chain digests (each block's
/// trailer names the SHA-256 of the next, so they are recomputed from the last
/// block to the first). Setting bit 7 of the front's minor version (which
/// readers ignore) turns every fix-up off but the digests, so the loader's own
/// length checks are fuzzed too.
///
/// Invariants (Spec/FORMAT.md §8): a refused apply leaves the store exactly
/// as the last block it completed left it — the base when it refused the
/// front, the signature or block 0, since a block is decoded in full before
/// any byte of it is written; an accepted apply gives exactly the declared
/// target length and SHA-256 (a target mismatch is retried once with the
/// SHA-256 the streams produce declared); unapply of an accepted bundle either
/// refuses or gives back exactly the base. The window and the store are
/// exact-size allocations, so AddressSanitizer sees any overrun.
enum BundleLoadCheck {
    /// Inputs larger than this are passed over (bounded work per input).
    static let maxInput = 1 << 16
    /// Largest base or target the check builds a store for.
    static let maxModel = 1 << 17
    /// Store bytes one run may read and write before it is abandoned.
    static let storeBudget = 24 << 20
    /// Bytes per `feed` call (odd, so pieces straddle every field).
    static let piece = 61

    /// What one input came to (the regression tests look at the seeds').
    enum Verdict: Equatable {
        /// Too short, too long or a model too large: not run.
        case skipped
        /// Refused on apply (the invariant held).
        case refused(LoaderError)
        /// Applied; then unapply restored the base or refused.
        case applied(unapplied: Bool)
        /// The store's work budget ran out: no invariant was checked.
        case overBudget
    }

    static func run(_ input: [UInt8]) throws(InvariantViolation) {
        _ = try verdict(input)
    }

    static func verdict(_ input: [UInt8]) throws(InvariantViolation) -> Verdict {
        guard input.count > StreamHeader.firstBlockOffset, input.count <= maxInput else { return .skipped }
        var bundle = input
        let raw = bundle[5] & 0x80 != 0
        if !raw { fixFront(&bundle) }
        let baseLength = Int(read32(bundle, 12)), targetLength = Int(read32(bundle, 16))
        guard baseLength <= maxModel, targetLength <= maxModel else { return .skipped }
        let base = baseModel(baseLength)
        putDigest(&bundle, 48, base.withUnsafeBytes { SHA256.hash($0) })
        let blocks = fixChain(&bundle, fixLengths: !raw)

        var first = apply(bundle, base, blocks: blocks)
        if case .failure(.targetMismatch(_, let actual)) = first.result, first.model.count == targetLength {
            // Declare what the streams produce, so the run goes on to unapply.
            putDigest(&bundle, 80, actual)
            first = apply(bundle, base, blocks: blocks)
        }
        if first.exhausted { return .overBudget }
        switch first.result {
        case .failure(let error):
            if let expected = first.expectedAfterRefusal, first.memory != expected.memory || first.model.count != expected.length {
                throw InvariantViolation(description:
                    "refused apply (\(error)) after \(first.blocksDone) blocks left the store other than the blocks it completed left it")
            }
            return .refused(error)
        case .success(let outcome):
            let produced = first.model.withUnsafeBytes { SHA256.hash($0) }
            guard outcome.state == .target, first.model.count == targetLength, outcome.modelLength == targetLength,
                  produced == readDigest(bundle, 80), outcome.modelSHA256 == produced else {
                throw InvariantViolation(description: "apply reported success without the declared target")
            }
            let back = unapply(bundle, first.model, blocks: blocks)
            if back.exhausted { return .overBudget }
            if case .success(let restored) = back.result {
                guard back.model == base, restored.state == .base else {
                    throw InvariantViolation(description: "unapply reported success without the base")
                }
                return .applied(unapplied: true)
            }
            return .applied(unapplied: false)
        }
    }

    /// The base the check declares: `length` bytes of a fixed pattern.
    static func baseModel(_ length: Int) -> [UInt8] {
        (0 ..< length).map { UInt8(truncatingIfNeeded: ($0 &* 131 &+ 7) ^ ($0 >> 9)) }
    }

    // MARK: Fix-ups

    /// Makes the front's lengths and ranges acceptable (FORMAT.md §2), leaving
    /// in-range values as the mutator made them.
    static func fixFront(_ b: inout [UInt8]) {
        store32(&b, 8, UInt32(b.count))
        for at in [12, 16] {
            let length = read32(b, at)
            if length == 0 || Int(length) > maxModel { store32(&b, at, length % UInt32(maxModel) + 1) }
        }
        if !(8 ... 24).contains(b[36]) { b[36] = 8 + b[36] % 17 }
        if !StreamHeader.blockBitsRange.contains(b[37]) { b[37] = 8 + b[37] % 8 }
        let blockLimit = 1 << Int(b[37])
        let factorBytes = Int(read16(b, 30))
        let required = blockLimit + factorBytes + WindowLayout.fixed + (factorBytes > 0 ? WindowLayout.factorBuffer : 0)
        let window = Int(read32(b, 20))
        if window < required || window > StreamWindow.maximum {
            store32(&b, 20, UInt32(required + Inflater<EmptyInput>.workspaceSize(windowBits: 15)))
        }
        let first = Int(read16(b, 28))
        let room = min(blockLimit, b.count - StreamHeader.firstBlockOffset)
        if first < 1 || first > room { store16(&b, 28, UInt16(room)) }
    }

    /// Walks the block chain from block 0 (fixing each block length to fit
    /// the block limit and the bundle with `fixLengths`), then rewrites each
    /// trailer's digest to the SHA-256 of the block after it, last block
    /// first (a trailer is part of the block its predecessor hashes).
    /// Returns the end offset of each block walked.
    static func fixChain(_ b: inout [UInt8], fixLengths: Bool) -> [Int] {
        let blockBits = b[37]
        guard StreamHeader.blockBitsRange.contains(blockBits) else { return [] }
        let blockLimit = 1 << Int(blockBits)
        let bundleLength = min(Int(read32(b, 8)), b.count)
        var starts: [Int] = []
        var ends: [Int] = []
        var offset = StreamHeader.firstBlockOffset
        var length = Int(read16(b, 28))
        var lengthField = 28
        while offset < bundleLength {
            let remaining = bundleLength - offset
            if fixLengths {
                var fixed = length
                if fixed < 1 || fixed > min(blockLimit, remaining) { fixed = min(blockLimit, remaining) }
                // A block that is not the last holds at least its trailer.
                if fixed < remaining, fixed < BlockTrailer.size { fixed = min(BlockTrailer.size, remaining) }
                if fixed != length { store16(&b, lengthField, UInt16(fixed)); length = fixed }
            } else if length < 1 || length > min(blockLimit, remaining) {
                break
            }
            starts.append(offset)
            ends.append(offset + length)
            if offset + length == bundleLength || length < BlockTrailer.size { break }
            lengthField = offset + length - BlockTrailer.size
            offset += length
            length = Int(read16(b, lengthField))
        }
        var k = starts.count - 1
        while k >= 1 {
            let digest = b[starts[k] ..< ends[k]].withUnsafeBytes { SHA256.hash($0) }
            putDigest(&b, ends[k - 1] - BlockTrailer.size + 2, digest)
            k -= 1
        }
        return ends
    }

    // MARK: Runs

    struct Run {
        var result: Result<LoaderOutcome, LoaderError>
        /// The model bytes the store reports; `memory` is the whole store.
        var model: [UInt8]
        var memory: [UInt8]
        var blocksDone: Int
        var exhausted: Bool
        /// The store as the last completed block left it, when the run
        /// saw that state (nil: a piece completed several blocks at once).
        var expectedAfterRefusal: (memory: [UInt8], length: Int)?
    }

    static func apply(_ bundle: [UInt8], _ base: [UInt8], blocks: [Int]) -> Run {
        stream(.apply, bundle, model: base, blocks: blocks)
    }

    static func unapply(_ bundle: [UInt8], _ target: [UInt8], blocks: [Int]) -> Run {
        stream(.unapply, bundle, model: target, blocks: blocks)
    }

    /// Feeds `bundle` in `piece`-byte pieces (also cut at the block ends the
    /// chain walk found) into a loader over an exact-size window and store,
    /// remembering the store after each block.
    static func stream(_ operation: StreamOperation, _ bundle: [UInt8], model: [UInt8], blocks: [Int]) -> Run {
        let declared = bundle.withUnsafeBytes { try? StreamHeader(parsing: $0) }
        let capacity = max(model.count, Int(declared?.storeCapacityNeeded ?? 0), 1)
        let windowSize = max(WindowLayout.fixed, Int(declared?.windowSize ?? 0))
        // Exact-size allocations: an overrun is an AddressSanitizer report.
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: windowSize, alignment: 8)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { window.deallocate(); memory.deallocate() }
        window.initializeMemory(as: UInt8.self, repeating: 0xA5)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        model.withUnsafeBytes { memory.copyMemory(from: $0) }
        var loader = StreamLoader(operation, store: FuzzStore(memory: memory, length: model.count, budget: storeBudget),
                                  verifier: AcceptingVerifier(), window: window)
        var snapshot: (memory: [UInt8], length: Int, blocks: Int) = (Array(memory), model.count, 0)
        let result: Result<LoaderOutcome, LoaderError> = bundle.withUnsafeBytes { raw in
            do throws(LoaderError) {
                var position = 0
                var nextEnd = 0
                while position < raw.count, !loader.isComplete {
                    while nextEnd < blocks.count, blocks[nextEnd] <= position { nextEnd += 1 }
                    let stop = min(raw.count, position + piece, nextEnd < blocks.count ? blocks[nextEnd] : Int.max)
                    try loader.feed(UnsafeRawBufferPointer(rebasing: raw[position ..< stop]), at: position)
                    position = stop
                    if loader.blocksDone != snapshot.blocks {
                        snapshot = (Array(memory), loader.store.length, loader.blocksDone)
                    }
                }
                if position < raw.count {
                    try loader.feed(UnsafeRawBufferPointer(rebasing: raw[position...]), at: position)
                }
                return .success(try loader.finish())
            } catch { return .failure(error) }
        }
        let length = min(loader.store.length, capacity)
        return Run(result: result, model: Array(memory[0 ..< length]), memory: Array(memory),
                   blocksDone: loader.blocksDone, exhausted: loader.store.exhausted,
                   expectedAfterRefusal: snapshot.blocks == loader.blocksDone ? (snapshot.memory, snapshot.length) : nil)
    }

    // MARK: Bytes

    static func read16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }

    static func read32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    static func store16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) {
        b[at] = UInt8(truncatingIfNeeded: v)
        b[at + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }

    static func store32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for k in 0 ..< 4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }

    static func putDigest(_ b: inout [UInt8], _ at: Int, _ d: Digest32) {
        for k in 0 ..< 32 { b[at + k] = d[k] }
    }

    static func readDigest(_ b: [UInt8], _ at: Int) -> Digest32 {
        b[at ..< at + 32].withUnsafeBytes { Digest32(bytes: UnsafeRawBufferPointer($0)) }
    }
}
