import COpenSSL

// MARK: - The OpenSSL error queue, memory BIOs and C strings

extension SigningSupport {
    /// Empties this thread's OpenSSL error queue into one line.
    static func drainErrors() -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(string(fromCBuffer: buffer))
        }
        return parts.isEmpty ? "no detail in the OpenSSL error queue" : parts.joined(separator: "; ")
    }

    static func failure(_ function: String) -> KeyError {
        .openssl(function: function, message: drainErrors())
    }

    /// Runs `body` with a memory BIO holding a copy of `bytes`.
    static func withReadBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws(KeyError) -> T) throws(KeyError) -> T {
        guard let bio = BIO_new(BIO_s_mem()) else { throw failure("BIO_new") }
        defer { BIO_free(bio) }
        if !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            guard written == Int32(bytes.count) else { throw failure("BIO_write") }
        }
        return try body(bio)
    }

    /// A Swift string from a NUL-terminated C buffer.
    static func string(fromCBuffer buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes through a memory BIO and returns what was written. Writing a valid key
    /// to memory can only fail when out of memory, which is treated as fatal.
    static func writePEM(_ function: String, _ write: (OpaquePointer) -> Int32) -> [UInt8] {
        ERR_clear_error()
        guard let bio = BIO_new(BIO_s_mem()) else {
            fatalError("\(function): BIO_new failed: \(drainErrors())")
        }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else {
            fatalError("\(function) failed: \(drainErrors())")
        }
        let pending = Int(BIO_ctrl_pending(bio))
        var out = [UInt8](repeating: 0, count: pending)
        let got = out.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
        guard got == Int32(pending) else {
            fatalError("\(function): BIO_read returned \(got) of \(pending) bytes")
        }
        return out
    }
}
