import Foundation

/// A byte stream to an SMP device: a serial port (a tty, set raw at the given
/// baud rate) or a TCP socket (QEMU's `-serial tcp:…`, a serial-over-IP bridge).
public final class SMPLink {
    private let fd: Int32

    public init(serial path: String, baud: Int = 115_200) throws(SMPError) {
        let fd = open(path, O_RDWR | O_NOCTTY)
        guard fd >= 0 else { throw .link("cannot open \(path): \(String(cString: strerror(errno)))") }
        var settings = termios()
        if tcgetattr(fd, &settings) == 0 {   // a pty or tty; other character devices are used as they are
            cfmakeraw(&settings)
            let speeds: [Int: speed_t] = [9600: speed_t(B9600), 19200: speed_t(B19200), 38400: speed_t(B38400),
                                          57600: speed_t(B57600), 115_200: speed_t(B115200), 230_400: speed_t(B230400)]
            guard let speed = speeds[baud] else {
                close(fd)
                throw .link("baud rate \(baud) is not one of \(speeds.keys.sorted())")
            }
            cfsetispeed(&settings, speed)
            cfsetospeed(&settings, speed)
            tcsetattr(fd, TCSANOW, &settings)
        }
        self.fd = fd
    }

    public init(tcp host: String, port: Int) throws(SMPError) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw .link("cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0, connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            if fd >= 0 { close(fd) }
            throw .link("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    public func write(_ bytes: [UInt8]) throws(SMPError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw .link("write failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// Bytes received within `timeout` seconds (empty: none arrived).
    public func read(timeout: Double) throws(SMPError) -> [UInt8] {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(timeout * 1000))
        guard ready > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw .link("the device closed the link") }
        return Array(buffer[0 ..< n])
    }
}
