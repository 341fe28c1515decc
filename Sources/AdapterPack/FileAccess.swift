import Foundation

/// Reading inputs and writing outputs with errors that name the file.
public enum FileAccess {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case unwritable(path: String, reason: String)
        case empty(path: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): return "\(path): cannot read (\(reason))"
            case .unwritable(let path, let reason): return "\(path): cannot write (\(reason)); nothing was written"
            case .empty(let path): return "\(path): file is empty"
            }
        }
    }

    public static func read(_ path: String) throws -> [UInt8] {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard !data.isEmpty else { throw Failure.empty(path: path) }
            return [UInt8](data)
        } catch let failure as Failure {
            throw failure
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file"
            throw Failure.unreadable(path: path, reason: reason)
        }
    }

    /// Writes through a temporary file in the same folder and renames it into
    /// place, so a failure never leaves a partial output.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(bytes).write(to: temp)
        } catch {
            throw Failure.unwritable(path: path, reason: error.localizedDescription)
        }
        // rename(2) replaces the destination atomically.
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw Failure.unwritable(path: path, reason: reason)
        }
    }

    public static func writeAtomically(_ text: String, to path: String) throws {
        try writeAtomically(Array(text.utf8), to: path)
    }
}
