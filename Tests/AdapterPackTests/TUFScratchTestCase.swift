import Foundation
import XCTest
@testable import AdapterPack

/// What the repository tests share: a scratch directory per test (removed
/// after it), the role keys of `TUFRepositoryTests`, and making a repository.
class TUFScratchTestCase: XCTestCase {
    var scratch: URL!
    let keys = TUFRepositoryTests.Keys()

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tuf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func dir(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// `repo init` with one root key and `bins` hashed bins (0: none).
    func create(_ path: String, bins: Int) throws {
        try TUFRepository.create(at: path, rootKeys: [keys.root], rootThreshold: 1, targetsKey: keys.targets,
                                 snapshotKey: keys.snapshot, timestampKey: keys.timestamp, bins: bins)
    }
}
