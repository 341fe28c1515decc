#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// Where the loader reads bundle bytes from: a flash slot, a download buffer,
/// a file. Reads may be of any size and may come back short.
public protocol BundleSource {
    /// Total bytes available.
    var length: Int { get }
    /// Copies up to `buffer.count` bytes starting at `offset` into `buffer`
    /// and returns how many were copied; 0 means the source failed.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int
}

/// A bundle that is already in memory (RAM or memory-mapped flash).
public struct MemoryBundleSource: BundleSource {
    public let bytes: UnsafeRawBufferPointer
    /// Largest number of bytes one `read` returns (to exercise chunking).
    public let maxChunk: Int

    public init(bytes: UnsafeRawBufferPointer, maxChunk: Int = Int.max) {
        self.bytes = bytes
        self.maxChunk = max(1, maxChunk)
    }

    public var length: Int { bytes.count }

    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard offset >= 0, offset < bytes.count else { return 0 }
        let n = min(buffer.count, bytes.count - offset, maxChunk)
        for i in 0 ..< n { buffer[i] = bytes[offset + i] }
        return n
    }
}

/// Fills `buffer` completely from `source` at `offset`, looping over short reads.
func readFully<S: BundleSource>(_ source: S, at offset: Int,
                                into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) {
    var done = 0
    while done < buffer.count {
        let n = source.read(at: offset + done, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
        guard n > 0, n <= buffer.count - done else { throw .format(.io(offset: offset + done)) }
        done += n
    }
}

/// Streams the stored bytes of one section through a small buffer.
struct SectionReader<S: BundleSource>: ByteInput {
    let source: S
    private var position: Int
    private let end: Int
    private let buffer: UnsafeMutableRawBufferPointer
    private var index = 0
    private var filled = 0

    init(source: S, entry: SectionEntry, buffer: UnsafeMutableRawBufferPointer) {
        self.source = source
        self.position = Int(entry.offset)
        self.end = Int(entry.offset) + Int(entry.storedLength)
        self.buffer = buffer
    }

    mutating func nextByte() throws(FormatError) -> UInt8? {
        if index == filled {
            if position == end { return nil }
            let want = min(buffer.count, end - position)
            let n = source.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< want]))
            guard n > 0, n <= want else { throw .io(offset: position) }
            position += n
            filled = n
            index = 0
        }
        let byte = buffer[index]
        index += 1
        return byte
    }
}

/// The decoded bytes of one op-stream section, stored or deflated, as one
/// concrete input type: the op runners are generic over their input, and with
/// a single type for both codecs they are specialized once, not once per
/// codec (the duplicates were 6.6 KB of the device loader's code). The codec
/// is chosen per byte at run time; the bytes are exactly those of
/// `SectionReader` (stored) or of an `Inflater` over it (deflated).
struct SectionStream<S: BundleSource>: ByteInput {
    /// The section's stored bytes; read directly only when `inflater` is nil.
    private var reader: SectionReader<S>
    #if ADAPTERPACK_NO_DEFLATE
    // Built without deflate: verifyBundle refuses deflated sections, so every
    // section read here is stored.
    init(source: S, entry: SectionEntry, buffer: UnsafeMutableRawBufferPointer,
         workspace: UnsafeMutableRawBufferPointer) {
        reader = SectionReader(source: source, entry: entry, buffer: buffer)
    }

    mutating func nextByte() throws(FormatError) -> UInt8? { try reader.nextByte() }
    mutating func finish() throws(FormatError) {}
    #else
    /// The decoder of a deflated section, which owns its own copy of `reader`.
    private var inflater: Inflater<SectionReader<S>>?
    private let deflated: Bool

    init(source: S, entry: SectionEntry, buffer: UnsafeMutableRawBufferPointer,
         workspace: UnsafeMutableRawBufferPointer) {
        reader = SectionReader(source: source, entry: entry, buffer: buffer)
        switch entry.codec {
        case .stored, .values:    // values only on factors records, which never come here
            inflater = nil
            deflated = false
        case .deflate(let bits):
            inflater = Inflater(input: reader, windowBits: bits, workspace: workspace)
            deflated = true
        }
    }

    mutating func nextByte() throws(FormatError) -> UInt8? {
        if deflated { return try inflatedByte() }
        return try reader.nextByte()
    }

    /// Not inlined: the inflater's decoding would otherwise be copied into
    /// every op runner that reads a byte.
    @inline(never)
    private mutating func inflatedByte() throws(FormatError) -> UInt8? {
        try inflater!.nextByte()
    }

    /// Deflated: the stream must end exactly with the section (`Inflater.finish()`).
    /// Stored: nothing to check (the op reader's count is checked by the caller).
    mutating func finish() throws(FormatError) {
        if deflated { try inflater!.finish() }
    }
    #endif
}
