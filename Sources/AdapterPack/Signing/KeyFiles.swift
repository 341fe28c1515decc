import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing key pairs to disk.
public enum KeyFiles {
    /// "Keys/dev.pem" → "Keys/dev.pub.pem"; a path without ".pem" gets ".pub.pem" appended.
    public static func publicKeyPath(forPrivateKeyPath privatePath: String) -> String {
        if privatePath.hasSuffix(".pem") {
            return String(privatePath.dropLast(4)) + ".pub.pem"
        }
        return privatePath + ".pub.pem"
    }

    /// Writes `key` as NAME.pem (PKCS#8, mode 0600) and its public key as NAME.pub.pem
    /// (SPKI, mode 0644). Refuses to overwrite either file. Each file appears whole or not
    /// at all (written to a temporary file in the same directory, then linked into place),
    /// and if the public file cannot be placed the private one is removed again.
    @discardableResult
    public static func writeKeyPair(_ key: SigningKey, to privatePath: String)
        throws(KeyError) -> (privatePath: String, publicPath: String)
    {
        let publicPath = publicKeyPath(forPrivateKeyPath: privatePath)
        for path in [privatePath, publicPath] where exists(path) {
            throw .fileExists(path: path)
        }
        let privateTemp = try writeTemporary(key.privatePEM(), near: privatePath, mode: 0o600)
        let publicTemp: String
        do throws(KeyError) {
            publicTemp = try writeTemporary(key.verifyingKey.publicPEM(), near: publicPath, mode: 0o644)
        } catch {
            unlink(privateTemp)
            throw error
        }
        do throws(KeyError) {
            try publish(privateTemp, as: privatePath)
        } catch {
            unlink(publicTemp)
            throw error
        }
        do throws(KeyError) {
            try publish(publicTemp, as: publicPath)
        } catch {
            unlink(privatePath)  // created just above by us; do not leave half a pair
            throw error
        }
        syncDirectory(of: privatePath)
        return (privatePath, publicPath)
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0  // a dangling symlink counts as existing
    }

    private static func directory(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    private static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Creates a uniquely named temporary file next to `finalPath` holding `bytes`.
    private static func writeTemporary(_ bytes: [UInt8], near finalPath: String, mode: mode_t) throws(KeyError) -> String {
        let dir = directory(of: finalPath)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .unwritableFile(path: finalPath, reason: "directory '\(dir)' does not exist")
        }
        let base = (finalPath as NSString).lastPathComponent
        var template = Array("\(dir)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        if fd < 0 {
            throw .unwritableFile(path: finalPath, reason: "cannot create a temporary file in '\(dir)': \(errorText(errno))")
        }
        let tempPath = SigningSupport.string(fromCBuffer: template)
        func fail(_ what: String) -> KeyError {
            let reason = "\(what) '\(tempPath)': \(errorText(errno))"
            close(fd)
            unlink(tempPath)
            return .unwritableFile(path: finalPath, reason: reason)
        }
        guard fchmod(fd, mode) == 0 else { throw fail("cannot set mode of") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("cannot write")
            }
            offset += n
        }
        guard fsync(fd) == 0 else { throw fail("cannot flush") }
        guard close(fd) == 0 else {
            let reason = "cannot close '\(tempPath)': \(errorText(errno))"
            unlink(tempPath)
            throw .unwritableFile(path: finalPath, reason: reason)
        }
        return tempPath
    }

    /// Moves `tempPath` to `finalPath` without ever replacing an existing file: link(2)
    /// fails with EEXIST if the name is taken. On file systems without hard links, falls
    /// back to a checked rename.
    private static func publish(_ tempPath: String, as finalPath: String) throws(KeyError) {
        defer { unlink(tempPath) }
        if link(tempPath, finalPath) == 0 { return }
        let code = errno
        if code == EEXIST {
            throw .fileExists(path: finalPath)
        }
        if code == EPERM || code == EOPNOTSUPP || code == ENOTSUP || code == EMLINK || code == ENOSYS {
            if exists(finalPath) { throw .fileExists(path: finalPath) }
            if rename(tempPath, finalPath) == 0 { return }
            throw .unwritableFile(path: finalPath, reason: errorText(errno))
        }
        throw .unwritableFile(path: finalPath, reason: errorText(code))
    }

    private static func syncDirectory(of path: String) {
        let fd = open(directory(of: path), O_RDONLY)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
