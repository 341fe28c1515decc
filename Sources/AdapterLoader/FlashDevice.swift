#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// Page-erased flash as the loader sees it: reads anywhere, erases whole
/// pages (to 0xFF), programs aligned multiples of the program size into
/// erased bytes. Firmware wraps its flash driver in this; the host tests
/// wrap a simulator that can cut power at any operation.
public protocol FlashDevice {
    /// Erase granularity in bytes.
    var pageSize: Int { get }
    /// Program granularity in bytes (offsets and lengths are multiples).
    var programSize: Int { get }
    var pageCount: Int { get }
    func read(at address: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError)
    func erase(page: Int) throws(LoaderError)
    func program(at address: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError)
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`), for journal records.
public struct CRC32 {
    public private(set) var value: UInt32 = 0xFFFF_FFFF

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            value ^= UInt32(byte)
            for _ in 0 ..< 8 { value = (value >> 1) ^ (0xEDB8_8320 & (0 &- (value & 1))) }
        }
    }

    public var checksum: UInt32 { ~value }
}
