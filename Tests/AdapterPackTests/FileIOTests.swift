import Foundation
import XCTest
@testable import AdapterPack

/// FileIO: bounded reads with errors that say why, atomic writes that leave nothing
/// behind when they fail. The tests run as root, so permission bits cannot make a
/// write fail; failures come from missing parents, files used as directories, and
/// directories standing where the file should go.
final class FileIOTests: XCTestCase {
    private func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fileio-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// Written with Foundation, independently of FileIO.
    private func put(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private func contents(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private func temporaryFiles(in dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp") }
    }

    private func mode(_ path: String) throws -> Int? {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }

    private func fileIOError(_ body: () throws(FileIOError) -> Void) -> FileIOError? {
        do { try body() } catch { return error }
        return nil
    }

    private let small = FileIO.ReadLimit(bytes: 10, what: "a test file")

    // MARK: reading

    func testReadReturnsTheWholeFile() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/data.bin"
        // Several read chunks, not a multiple of any of them.
        let bytes = (0 ..< 300_001).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }
        try put(bytes, path)
        XCTAssertEqual(try FileIO.read(path, limit: .modelOrBundle), bytes)
        // Exactly at the limit is accepted.
        try put(Array(repeating: 1, count: 10), path)
        XCTAssertEqual(try FileIO.read(path, limit: small), Array(repeating: 1, count: 10))
    }

    func testReadOverTheLimitNamesTheSizeAndTheLimit() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/big.bin"
        try put(Array(repeating: 0xAB, count: 11), path)
        let error = fileIOError { () throws(FileIOError) in _ = try FileIO.read(path, limit: small) }
        XCTAssertEqual(error, .tooLarge(path: path, size: 11, limit: 10, what: "a test file"))
        XCTAssertEqual(error?.description,
                       "\(path): cannot read (file is 11 bytes, over the 10-byte limit for a test file)")

        // A key limit says what a key should look like.
        try put(Array(repeating: 0x41, count: (1 << 20) + 1), path)
        let key = fileIOError { () throws(FileIOError) in _ = try FileIO.read(path, limit: .key) }
        XCTAssertEqual(key?.reason,
                       "file is 1048577 bytes, over the 1048576-byte limit for a PEM key (a few hundred bytes)")
    }

    func testReadOfAnEndlessDeviceStopsAtTheLimit() throws {
        guard FileManager.default.fileExists(atPath: "/dev/zero") else { throw XCTSkip("no /dev/zero") }
        let error = fileIOError { () throws(FileIOError) in _ = try FileIO.read("/dev/zero", limit: small) }
        XCTAssertEqual(error, .tooLarge(path: "/dev/zero", size: nil, limit: 10, what: "a test file"))
        XCTAssertEqual(error?.description, "/dev/zero: cannot read (file is over the 10-byte limit for a test file)")
    }

    func testReadOfAMissingFile() throws {
        let path = try temporaryDirectory() + "/missing.apb"
        let error = fileIOError { () throws(FileIOError) in _ = try FileIO.read(path, limit: .modelOrBundle) }
        XCTAssertEqual(error, .missing(path: path))
        XCTAssertEqual(error?.description, "\(path): cannot read (no such file)")
        XCTAssertFalse(error!.isWriteError)
    }

    func testReadOfADirectory() throws {
        let dir = try temporaryDirectory()
        let error = fileIOError { () throws(FileIOError) in _ = try FileIO.read(dir, limit: .modelOrBundle) }
        XCTAssertEqual(error, .isDirectory(path: dir))
        XCTAssertEqual(error?.description, "\(dir): cannot read (it is a directory, not a file)")
    }

    func testReadThroughAFileUsedAsADirectory() throws {
        let dir = try temporaryDirectory()
        try put([1], dir + "/plain")
        let path = dir + "/plain/inner.bin"
        let error = fileIOError { () throws(FileIOError) in _ = try FileIO.read(path, limit: .modelOrBundle) }
        XCTAssertEqual(error, .readFailed(path: path, operation: "open", code: ENOTDIR))
        XCTAssertEqual(error?.description, "\(path): cannot read (open: \(String(cString: strerror(ENOTDIR))))")
    }

    func testEmptyFiles() throws {
        let path = try temporaryDirectory() + "/empty"
        try put([], path)
        XCTAssertEqual(try FileIO.read(path, limit: .key), [])
        let error = fileIOError { () throws(FileIOError) in _ = try FileIO.read(path, limit: .modelOrBundle) }
        XCTAssertEqual(error, .empty(path: path, what: "a model or bundle"))
        XCTAssertEqual(error?.description, "\(path): cannot read (file is empty; expected a model or bundle)")
    }

    // MARK: writing

    func testWriteCreatesAndAtomicallyReplaces() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/out.apb"
        try FileIO.write([1, 2, 3], to: path)
        XCTAssertEqual(try contents(path), [1, 2, 3])
        XCTAssertEqual(try mode(path), 0o644)

        let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber
        let larger = (0 ..< 200_000).map { UInt8(truncatingIfNeeded: $0) }
        try FileIO.write(larger, to: path)
        XCTAssertEqual(try contents(path), larger)
        // Replaced by rename: a new inode, not the old file rewritten in place.
        let after = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber
        XCTAssertNotEqual(before, after)

        try FileIO.write("text\n", to: path)
        XCTAssertEqual(try contents(path), Array("text\n".utf8))
        try FileIO.write([], to: path)
        XCTAssertEqual(try contents(path), [])

        XCTAssertEqual(try temporaryFiles(in: dir), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.apb"])
    }

    func testWriteSetsTheRequestedMode() throws {
        let dir = try temporaryDirectory()
        try FileIO.write([7], to: dir + "/private.pem", mode: 0o600)
        XCTAssertEqual(try mode(dir + "/private.pem"), 0o600)
        // Replacing gives the new mode too.
        try FileIO.write([8], to: dir + "/private.pem", mode: 0o640)
        XCTAssertEqual(try mode(dir + "/private.pem"), 0o640)
    }

    func testWriteIntoAMissingDirectoryWritesNothing() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/no/such/dir/out.apb"
        let error = fileIOError { () throws(FileIOError) in try FileIO.write([1], to: path) }
        XCTAssertEqual(error, .noDirectory(path: path, directory: dir + "/no/such/dir", exists: false))
        XCTAssertEqual(error?.description,
                       "\(path): cannot write (directory '\(dir)/no/such/dir' does not exist); nothing was written")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testWriteUnderAFileWritesNothing() throws {
        let dir = try temporaryDirectory()
        try put([9, 9], dir + "/plain")
        let path = dir + "/plain/out.apb"
        let error = fileIOError { () throws(FileIOError) in try FileIO.write([1], to: path) }
        XCTAssertEqual(error, .noDirectory(path: path, directory: dir + "/plain", exists: true))
        XCTAssertEqual(error?.reason, "'\(dir)/plain' is not a directory")
        XCTAssertEqual(try contents(dir + "/plain"), [9, 9])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["plain"])
    }

    /// The temporary file is written and flushed, then the rename fails: the temporary
    /// file is removed and what stood at the destination is still there.
    func testFailedRenameRemovesTheTemporaryFileAndLeavesTheDestination() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/taken"
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        try put([5], path + "/inside/keep")
        let error = fileIOError { () throws(FileIOError) in try FileIO.write([1, 2, 3], to: path) }
        guard case let .writeFailed(failedPath, operation, _)? = error else {
            return XCTFail("expected a failed rename, got \(String(describing: error))")
        }
        XCTAssertEqual(failedPath, path)
        XCTAssertTrue(operation.hasPrefix("rename '\(dir)/.taken.tmp-"), operation)
        XCTAssertTrue(error!.description.hasPrefix("\(path): cannot write (rename "), error!.description)
        XCTAssertTrue(error!.description.hasSuffix("; nothing was written"), error!.description)
        XCTAssertEqual(try contents(path + "/inside/keep"), [5])
        XCTAssertEqual(try temporaryFiles(in: dir), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["taken"])
    }

    func testNoClobberWriteRefusesAnExistingFile() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/key.pem"
        try put([1, 1, 1], path)
        let error = fileIOError { () throws(FileIOError) in
            try FileIO.write([2], to: path, mode: 0o600, existing: .refuse)
        }
        XCTAssertEqual(error, .alreadyExists(path: path))
        XCTAssertEqual(error?.description,
                       "\(path): cannot write (file already exists and is not replaced); nothing was written")
        XCTAssertEqual(try contents(path), [1, 1, 1])

        // A dangling symlink counts as taken; its target is not created.
        let link = dir + "/dangling.pem"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir + "/nowhere")
        XCTAssertEqual(fileIOError { () throws(FileIOError) in try FileIO.write([3], to: link, existing: .refuse) },
                       .alreadyExists(path: link))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/nowhere"))

        // A free name is written, with the mode asked for.
        try FileIO.write([4], to: dir + "/new.pem", mode: 0o600, existing: .refuse)
        XCTAssertEqual(try contents(dir + "/new.pem"), [4])
        XCTAssertEqual(try mode(dir + "/new.pem"), 0o600)
        XCTAssertEqual(try temporaryFiles(in: dir), [])
    }

    func testLongNamesKeepTheTemporaryNameShort() throws {
        let dir = try temporaryDirectory()
        let name = String(repeating: "n", count: 250)
        try FileIO.write([1], to: dir + "/" + name)
        XCTAssertEqual(try contents(dir + "/" + name), [1])
        XCTAssertEqual(try temporaryFiles(in: dir), [])
    }

    func testSplitPath() {
        XCTAssertEqual(FileIO.split("a/b/c.apb").directory, "a/b")
        XCTAssertEqual(FileIO.split("a/b/c.apb").name, "c.apb")
        XCTAssertEqual(FileIO.split("c.apb").directory, ".")
        XCTAssertEqual(FileIO.split("/c.apb").directory, "/")
        XCTAssertEqual(FileIO.split("/c.apb").name, "c.apb")
    }
}
