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

/// What a stream of a bundle is fed for.
public enum StreamOperation: Equatable, Sendable {
    /// Check the signature and every block; touch no model.
    case verify
    /// Patch the store, which holds the base, into the target.
    case apply
    /// Patch the store, which holds the target, back into the base.
    case unapply
    /// After a reset: finish whatever the journal says was cut short, or
    /// report that the store holds the base or the target.
    case resume
}

/// Verifies a format-2 bundle block by block as its bytes arrive and applies
/// each block as soon as it is verified, in place, inside the caller's RAM
/// window (Spec/FORMAT.md). The push interface for firmware that receives
/// from a radio or a serial link: `feed` pieces of any size from 1 byte up,
/// at the offset `nextOffset` names, then `finish`.
///
/// Nothing of a block is decoded before its SHA-256 matches the digest the
/// signed front (block 0) or the previous block commits to, and nothing of
/// a block is written before all its records decoded without error. A
/// refused block leaves the blocks before it applied and journaled; `resume`
/// with the bundle's bytes continues from the block the journal names.
public struct StreamLoader<Store: ModelStore, Verifier: SignatureVerifier> {
    /// The model store; handed back to the caller when the stream ends.
    public var store: Store
    public let verifier: Verifier
    public let operation: StreamOperation
    let memory: UnsafeMutableRawBufferPointer
    let minimumSequence: UInt64

    /// The bundle offset the loader needs next. After a resume's block 0 it
    /// may jump ahead to the block the journal names.
    public internal(set) var nextOffset = 0
    /// The verified front, once block 0 has been checked against the signature.
    public var header: StreamHeader? { verified ? parsed : nil }
    var verified = false
    /// The key that signed the bundle (short id), once verified.
    public internal(set) var keyID = Digest32.zero
    /// Blocks verified and acted on so far.
    public internal(set) var blocksDone = 0
    /// True once every byte the operation needs has been processed (a resume
    /// that finds the store at the base or the target is done after block 0).
    public internal(set) var isComplete = false

    var phase = StreamPhase.front
    var filled = 0
    /// The front as parsed (not yet authenticated); meaningful once `phase`
    /// has left `.front` (a plain value, not an optional: smaller device code).
    var parsed = StreamHeader(algorithm: 0, bundleLength: 0, baseLength: 0, targetLength: 0, windowSize: 0,
                              firstBlockLength: 0, stepBound: 0, factorBytes: 0, segmentBits: 0, blockBits: 0,
                              sequence: 0, keyID: .zero, baseSHA256: .zero, targetSHA256: .zero)
    var frontHash = SHA256()
    var bundleID = Digest32.zero
    var signature: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    var blockIndex = 0
    var blockOffset = StreamHeader.firstBlockOffset
    var blockLength = 0
    var expectedDigest = Digest32.zero
    var order = BlockRecordReader.Order()
    var factorFilled = 0
    var steps = StepCursor(unitSize: 1)
    var openStep = OpenStep()
    /// The operation the journal runs (apply or unapply; a resume takes the journal's).
    var running = JournalOperation.apply
    /// A resume: the block the interrupted step began in (blocks before it
    /// only deliver their factor records).
    /// (A flag and a plain value rather than an optional: the device code
    /// then copies the point less, which keeps the loader small.)
    var resuming = false
    var resumeAt = ResumePoint.none
    var outcome = LoaderOutcome(state: .base, sequence: 0, modelLength: 0, modelSHA256: .zero,
                                interpreterMustBeRecreated: false)
    var hasOutcome = false

    /// `window` is all the memory the loader uses for the whole stream; it
    /// must be at least the front's declared window size.
    public init(_ operation: StreamOperation, store: Store, verifier: Verifier,
                window: UnsafeMutableRawBufferPointer, minimumSequence: UInt64 = 0) {
        self.operation = operation
        self.store = store
        self.verifier = verifier
        self.memory = window
        self.minimumSequence = minimumSequence
    }

    /// Takes the bundle bytes that start at `offset`. Bytes before
    /// `nextOffset` are skipped (already processed); a piece that starts
    /// after it is refused (`streamGap`). Verified blocks are applied before
    /// this returns.
    public mutating func feed(_ piece: UnsafeRawBufferPointer, at offset: Int) throws(LoaderError) {
        guard memory.count >= WindowLayout.fixed else {
            throw .windowTooSmall(needed: WindowLayout.fixed, given: memory.count)
        }
        guard offset >= 0, offset <= nextOffset else { throw .streamGap(needed: nextOffset, given: offset) }
        var position = offset
        var index = 0
        while index < piece.count {
            if position < nextOffset {
                let skip = min(nextOffset - position, piece.count - index)
                index += skip
                position += skip
                continue
            }
            if isComplete {
                // A resume that found its answer early ignores the rest; otherwise
                // these bytes lie past the bundle's end.
                if !hasOutcome, verified {
                    throw .sourceLengthMismatch(headerLength: parsed.bundleLength, sourceLength: position + piece.count - index)
                }
                return
            }
            let want = try unitLength() - filled
            let n = min(want, piece.count - index)
            try take(UnsafeRawBufferPointer(rebasing: piece[index ..< index + n]))
            index += n
            position += n
            nextOffset += n
            if filled == (try unitLength()) { try completeUnit() }
        }
    }

    /// Ends the stream: every block must have arrived. Checks the result's
    /// SHA-256 and reports what the store holds (not for `.verify`: see
    /// `finishVerify`).
    public mutating func finish() throws(LoaderError) -> LoaderOutcome {
        guard isComplete, verified else {
            throw .streamIncomplete(needed: nextOffset, length: Int(parsed.bundleLength))
        }
        if hasOutcome { return outcome }
        let header = parsed
        if try ended(running, header) { return outcome }
        let actual = try hashModel(length: store.length)
        // The blocks were authentic, so this is a writer's fault; the blocks
        // are gone, so the base comes back only by streaming the bundle again.
        guard running == .apply else { throw .unapplyMismatch(expected: header.baseSHA256, actual: actual) }
        throw .targetMismatch(expected: header.targetSHA256, actual: actual)
    }

    /// Ends a `.verify` stream: every block arrived and checked; returns the front.
    public func finishVerify() throws(LoaderError) -> StreamHeader {
        guard isComplete, verified else {
            throw .streamIncomplete(needed: nextOffset, length: Int(parsed.bundleLength))
        }
        return parsed
    }
}

/// Which part of the bundle the loader is receiving.
enum StreamPhase {
    case front, signature, block
}

extension StreamLoader {
    /// The pull interface: reads `source` from the offsets the loader asks
    /// for, 64 bytes at a time through a stack buffer, until the stream is
    /// complete (bytes past the bundle's end are refused). Then call `finish`.
    public mutating func pull<Source: BundleSource>(from source: Source) throws(LoaderError) {
        var piece: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        try withUnsafeMutableBytes(of: &piece) { (buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) in
            while nextOffset < source.length {
                if isComplete && hasOutcome { return }
                // The source's length is known: one other than the front's is refused before anything is acted on.
                if phase != .front, source.length > Int(parsed.bundleLength) {
                    throw .sourceLengthMismatch(headerLength: parsed.bundleLength, sourceLength: source.length)
                }
                let at = nextOffset
                let n = source.read(at: at, into: UnsafeMutableRawBufferPointer(
                    rebasing: buffer[0 ..< min(buffer.count, source.length - at)]))
                guard n > 0, n <= buffer.count else { throw .format(.io(offset: at)) }
                try feed(UnsafeRawBufferPointer(rebasing: buffer[0 ..< n]), at: at)
            }
        }
    }
}
