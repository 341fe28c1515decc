#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing key files, through `FileIO`.
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
    /// at all (written to a temporary file in the same directory, flushed, then linked
    /// into place), and if the public file cannot be placed the private one is removed again.
    @discardableResult
    public static func writeKeyPair(_ key: SigningKey, to privatePath: String)
        throws(KeyError) -> (privatePath: String, publicPath: String)
    {
        let publicPath = publicKeyPath(forPrivateKeyPath: privatePath)
        for path in [privatePath, publicPath] where FileIO.exists(path) {
            throw .fileExists(path: path)
        }
        try write(key.privatePEM(), to: privatePath, mode: 0o600)
        do throws(KeyError) {
            try write(key.verifyingKey.publicPEM(), to: publicPath, mode: 0o644)
        } catch {
            unlink(privatePath)  // created just above by us; do not leave half a pair
            throw error
        }
        return (privatePath, publicPath)
    }

    /// The bytes of a key file, at most `FileIO.ReadLimit.key`.
    static func read(_ path: String) throws(KeyError) -> [UInt8] {
        do throws(FileIOError) {
            return try FileIO.read(path, limit: .key)
        } catch {
            throw .unreadableFile(path: path, reason: error.reason)
        }
    }

    /// Writes one key file, never replacing an existing one.
    private static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws(KeyError) {
        do throws(FileIOError) {
            try FileIO.write(bytes, to: path, mode: mode, existing: .refuse)
        } catch {
            if case .alreadyExists = error { throw .fileExists(path: path) }
            throw .unwritableFile(path: path, reason: error.reason)
        }
    }
}
