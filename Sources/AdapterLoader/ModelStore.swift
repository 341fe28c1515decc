#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// The frozen model the loader patches in place.
///
/// `capacity` is how many bytes the store can ever hold; `length` is the
/// model's current logical length (it changes when a bundle grows or shrinks
/// the model).
public protocol ModelStore {
    var capacity: Int { get }
    var length: Int { get }
    mutating func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError)
    mutating func write(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError)
    mutating func setLength(_ length: Int) throws(LoaderError)

    /// Bytes the store rewrites as one power-fail-safe step (a multiple of the
    /// bundle's segment size); 0 when writes are not journaled (RAM).
    var stepUnit: Int { get }
    /// Prepares a journaled operation of `steps` steps for the bundle `id`;
    /// called once before the first write of a fresh apply or unapply.
    mutating func beginOperation(id: Digest32, operation: JournalOperation, steps: UInt32) throws(LoaderError)
    /// Starts step `step`, which writes only inside unit `unit`. With
    /// `redo`, the unit's old bytes come from the journal's backup. A
    /// journaled store records `resume` with the step (streamed bundles).
    mutating func beginStep(_ step: UInt32, unit: Int, redo: Bool, resume: ResumePoint) throws(LoaderError)
    /// Makes the step's writes durable.
    mutating func commitStep() throws(LoaderError)
    /// The step an interrupted operation was in, if the journal knows it.
    ///
    /// Fills `cut` and returns true, or returns false (no step of this bundle
    /// was interrupted). An inout value rather than an optional result: on
    /// the device an optional of this size costs copies and code.
    mutating func interruptedStep(id: Digest32, into cut: inout InterruptedStep) throws(LoaderError) -> Bool
}

/// Which operation a journal belongs to.
public enum JournalOperation: UInt8, Sendable {
    case apply = 1
    case unapply = 2
}

/// What the journal says about an operation cut short.
public struct InterruptedStep: Equatable, Sendable {
    public var operation: JournalOperation
    /// First step to run again; `redo` says whether its unit must be rebuilt
    /// from the backup (its old bytes may be half overwritten).
    public var step: UInt32
    public var redo: Bool
    /// Where a streamed operation picks up (`ResumePoint.none` for format 1).
    public var resume: ResumePoint

    public init(operation: JournalOperation, step: UInt32, redo: Bool, resume: ResumePoint = .none) {
        self.operation = operation
        self.step = step
        self.redo = redo
        self.resume = resume
    }
}

extension ModelStore {
    // Stores without a journal (RAM) write in place and need no steps.
    public var stepUnit: Int { 0 }
    public mutating func beginOperation(id: Digest32, operation: JournalOperation, steps: UInt32) throws(LoaderError) {}
    public mutating func beginStep(_ step: UInt32, unit: Int, redo: Bool, resume: ResumePoint) throws(LoaderError) {}
    public mutating func commitStep() throws(LoaderError) {}
    public mutating func interruptedStep(id: Digest32, into cut: inout InterruptedStep) throws(LoaderError) -> Bool { false }
}

/// A model held in RAM (copied there at boot, or a host buffer).
public struct RAMStore: ModelStore {
    public let memory: UnsafeMutableRawBufferPointer
    public private(set) var length: Int

    /// `memory.count` is the capacity; the first `length` bytes are the model.
    public init(memory: UnsafeMutableRawBufferPointer, length: Int) {
        precondition(length <= memory.count)
        self.memory = memory
        self.length = length
    }

    public var capacity: Int { memory.count }

    public mutating func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        guard offset >= 0, offset + buffer.count <= memory.count else { throw .storeFailed(offset: offset) }
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: memory[offset ..< offset + buffer.count]))
    }

    public mutating func write(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        guard offset >= 0, offset + bytes.count <= memory.count else { throw .storeFailed(offset: offset) }
        UnsafeMutableRawBufferPointer(rebasing: memory[offset ..< offset + bytes.count]).copyMemory(from: bytes)
    }

    public mutating func setLength(_ length: Int) throws(LoaderError) {
        guard length >= 0, length <= memory.count else { throw .storeFailed(offset: length) }
        self.length = length
    }
}
