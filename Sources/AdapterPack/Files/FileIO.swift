#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The host's one way to read and write files.
///
/// Reads take a size limit, so a wrong path (a disk image, /dev/zero) is refused with
/// the size and the limit instead of exhausting memory. Writes are atomic and durable:
/// the bytes go to a temporary file in the destination's directory, which is flushed
/// (fsync) and then renamed over the destination, or linked to it when an existing file
/// must not be replaced; then the directory is flushed. After a crash the destination
/// holds either its old content or the new, never a partial or empty file. On any error
/// the temporary file is removed and the destination is left as it was.
public enum FileIO {
    /// How large a file a read accepts, and what the file is (for messages).
    public struct ReadLimit: Sendable, Equatable {
        /// Largest accepted size in bytes.
        public var bytes: Int
        /// What the file should be, as a message finishes "over the N-byte limit for …".
        public var what: String
        /// False to refuse an empty file with `FileIOError.empty`.
        public var allowsEmpty: Bool

        public init(bytes: Int, what: String, allowsEmpty: Bool = true) {
            precondition(bytes >= 0, "a read limit cannot be negative")
            self.bytes = bytes
            self.what = what
            self.allowsEmpty = allowsEmpty
        }

        /// TFLite models and bundles: what fits a microcontroller's flash, with a wide margin.
        public static let modelOrBundle = ReadLimit(bytes: 256 << 20, what: "a model or bundle", allowsEmpty: false)
        /// PEM key files, which are a few hundred bytes.
        public static let key = ReadLimit(bytes: 1 << 20, what: "a PEM key (a few hundred bytes)")
        /// JSON inputs (adapter_config.json, tensor_map.json).
        public static let json = ReadLimit(bytes: 16 << 20, what: "a JSON file")
        /// PEFT adapter weights (adapter_model.safetensors).
        public static let safetensors = ReadLimit(bytes: 1 << 30, what: "a safetensors adapter")
    }

    /// What a write does when the destination already exists.
    public enum ExistingFile: Sendable {
        /// Replace it atomically (rename(2)).
        case replace
        /// Refuse with `FileIOError.alreadyExists` and leave it alone (link(2), which
        /// fails if the name is taken, so there is no window in which it could be replaced).
        case refuse
    }

    // MARK: reading

    /// The whole content of the file at `path`, refused if it is over `limit.bytes`.
    public static func read(_ path: String, limit: ReadLimit) throws(FileIOError) -> [UInt8] {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw .missing(path: path)
            case EISDIR: throw .isDirectory(path: path)
            default: throw .readFailed(path: path, operation: "open", code: code)
            }
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .readFailed(path: path, operation: "fstat", code: errno) }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { throw .isDirectory(path: path) }
        let isRegular = type == S_IFREG
        let size = Int(info.st_size)
        if isRegular && size > limit.bytes {
            throw .tooLarge(path: path, size: size, limit: limit.bytes, what: limit.what)
        }

        // One byte more than expected, so reaching the end is seen without another
        // allocation and a file that grew past the limit is caught.
        let ceiling = limit.bytes < Int.max ? limit.bytes + 1 : Int.max
        var bytes = [UInt8](repeating: 0, count: isRegular ? size + 1 : min(ceiling, 1 << 16))
        var count = 0
        while true {
            if count == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: min(max(count, 1 << 16), ceiling - count)))
            }
            let n = bytes.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw .readFailed(path: path, operation: "read", code: code)
            }
            if n == 0 { break }
            count += n
            if count > limit.bytes {
                throw .tooLarge(path: path, size: nil, limit: limit.bytes, what: limit.what)
            }
        }
        bytes.removeSubrange(count...)
        if count == 0 && !limit.allowsEmpty { throw .empty(path: path, what: limit.what) }
        return bytes
    }

    // MARK: writing

    /// Writes `bytes` to `path` atomically and durably (see `FileIO`), with permissions
    /// `mode` (0600 for private keys; the umask is not applied).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644,
                             existing: ExistingFile = .replace) throws(FileIOError)
    {
        let (directory, name) = split(path)
        var info = stat()
        if stat(directory, &info) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw .noDirectory(path: path, directory: directory, exists: false)
            }
            throw .writeFailed(path: path, operation: "stat of directory '\(directory)'", code: code)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw .noDirectory(path: path, directory: directory, exists: true)
        }
        if existing == .refuse && exists(path) { throw .alreadyExists(path: path) }

        // The temporary name starts with a dot and says what it is for; at most 48
        // scalars of the name are kept, so a long name cannot push it over NAME_MAX.
        let stem = String(String.UnicodeScalarView(name.unicodeScalars.prefix(48)))
        var template = Array("\(directory)/.\(stem).tmp-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else {
            throw .writeFailed(path: path, operation: "mkstemp in '\(directory)'", code: errno)
        }
        let temp = string(fromCBuffer: template)
        do throws(FileIOError) {
            try fill(fd, with: bytes, mode: mode, temp: temp, path: path)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        guard close(fd) == 0 else {
            let code = errno
            unlink(temp)
            throw .writeFailed(path: path, operation: "close of '\(temp)'", code: code)
        }
        do throws(FileIOError) {
            try publish(temp, as: path, existing: existing)
        } catch {
            unlink(temp)
            throw error
        }
        syncDirectory(directory)
    }

    /// Writes the UTF-8 bytes of `text`; see `write(_:to:mode:existing:)`.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644,
                             existing: ExistingFile = .replace) throws(FileIOError)
    {
        try write(Array(text.utf8), to: path, mode: mode, existing: existing)
    }

    // MARK: helpers

    /// Sets the mode, writes every byte (short writes continue where they stopped) and
    /// flushes the file to disk.
    private static func fill(_ fd: Int32, with bytes: [UInt8], mode: mode_t, temp: String, path: String)
        throws(FileIOError)
    {
        guard fchmod(fd, mode) == 0 else {
            throw .writeFailed(path: path, operation: "fchmod \(String(mode, radix: 8)) of '\(temp)'", code: errno)
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 {
                let code = n < 0 ? errno : EIO
                if code == EINTR { continue }
                throw .writeFailed(path: path,
                                   operation: "write to '\(temp)' after \(offset) of \(bytes.count) bytes", code: code)
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            throw .writeFailed(path: path, operation: "fsync of '\(temp)'", code: errno)
        }
    }

    /// Gives the flushed temporary file its final name. `.refuse` uses link(2), which
    /// fails with EEXIST if the name is taken; on file systems without hard links it
    /// falls back to a rename after checking the name is free.
    private static func publish(_ temp: String, as path: String, existing: ExistingFile) throws(FileIOError) {
        switch existing {
        case .replace:
            guard rename(temp, path) == 0 else {
                throw .writeFailed(path: path, operation: "rename '\(temp)' to '\(path)'", code: errno)
            }
        case .refuse:
            if link(temp, path) == 0 {
                unlink(temp)
                return
            }
            let code = errno
            if code == EEXIST { throw .alreadyExists(path: path) }
            guard code == EPERM || code == EOPNOTSUPP || code == ENOTSUP || code == EMLINK || code == ENOSYS else {
                throw .writeFailed(path: path, operation: "link '\(temp)' to '\(path)'", code: code)
            }
            if exists(path) { throw .alreadyExists(path: path) }
            guard rename(temp, path) == 0 else {
                throw .writeFailed(path: path, operation: "rename '\(temp)' to '\(path)'", code: errno)
            }
        }
    }

    /// Flushes the directory entry of a new or renamed file. Best effort: the file is
    /// already in place, and some file systems refuse fsync on a directory.
    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// True if anything is at `path`; a dangling symlink counts.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// "a/b/c" → ("a/b", "c"); "c" → (".", "c"); "/c" → ("/", "c").
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private static func string(fromCBuffer buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

// read(2) and write(2), which `FileIO.read` and `FileIO.write` would otherwise shadow.
#if canImport(Glibc)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Glibc.read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { Glibc.write(fd, buffer, count) }
#elseif canImport(Darwin)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Darwin.read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { Darwin.write(fd, buffer, count) }
#endif
