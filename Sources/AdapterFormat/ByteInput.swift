/// A pull source of bytes, one at a time.
///
/// Device decoders (`Inflater`, ...) are generic over this protocol rather than
/// holding an existential, so they build with Embedded Swift and specialise fully.
public protocol ByteInput {
    /// The next byte, or `nil` at the end of the input. Once `nil` has been
    /// returned, later calls keep returning `nil`.
    mutating func nextByte() throws(FormatError) -> UInt8?
}

/// A `ByteInput` over memory the caller keeps alive for as long as the input is used.
public struct BufferInput: ByteInput {
    /// The bytes being read.
    public let buffer: UnsafeRawBufferPointer
    @usableFromInline
    internal var _position: Int

    public init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
        self._position = 0
    }

    /// Bytes already returned.
    @inlinable
    public var position: Int { _position }

    /// Bytes not yet returned.
    @inlinable
    public var remaining: Int { buffer.count - position }

    @inlinable
    public mutating func nextByte() throws(FormatError) -> UInt8? {
        guard _position < buffer.count else { return nil }
        let byte = buffer[_position]
        _position += 1
        return byte
    }
}
