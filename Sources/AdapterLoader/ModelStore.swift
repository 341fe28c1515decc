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
        for i in 0 ..< buffer.count { buffer[i] = memory[offset + i] }
    }

    public mutating func write(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        guard offset >= 0, offset + bytes.count <= memory.count else { throw .storeFailed(offset: offset) }
        for i in 0 ..< bytes.count { memory[offset + i] = bytes[i] }
    }

    public mutating func setLength(_ length: Int) throws(LoaderError) {
        guard length >= 0, length <= memory.count else { throw .storeFailed(offset: length) }
        self.length = length
    }
}
