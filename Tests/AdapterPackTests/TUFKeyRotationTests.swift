import Foundation
import TestSupport
import XCTest
@testable import AdapterPack

/// `rotateRole` for targets, snapshot and timestamp: the new key is in force after it, the
/// old one refused, and a kill at any write leaves a repository that loads.
final class TUFKeyRotationTests: TUFScratchTestCase {
    func repo(_ name: String, bins: Int) throws -> String {
        let path = dir(name)
        try create(path, bins: bins)
        try TUFRepository.publish([TUFRepository.BundleInput(path: "a.apb", bytes: try TUFRepositoryTests.bundle(sequence: 1))],
                                  to: path, trusted: TUFRepositoryTests.trusted, targetsKey: keys.targets,
                                  snapshotKey: keys.snapshot, timestampKey: keys.timestamp)
        return path
    }

    func rotate(_ role: String, _ path: String, _ newKey: RoleSigningKey, writer: RepositoryWriter = FileIOWriter()) throws {
        try TUFRepository.rotateRole(role, in: path, rootKeys: [keys.root], newKey: newKey, targetsKey: keys.targets,
                                     snapshotKey: keys.snapshot, timestampKey: keys.timestamp, writer: writer)
    }

    func testEachRoleRotates() throws {
        for bins in [0, 4] {
            for role in ["targets", "snapshot", "timestamp"] {
                let path = try repo("\(role)-\(bins)", bins: bins)
                let before = try RepositoryState.load(path).allTargets
                let newKey = RoleSigningKey(path: "new-\(role).pem", key: try SigningKey.generate(.ed25519))
                try rotate(role, path, newKey)
                let state = try RepositoryState.load(path)
                XCTAssertEqual(state.root.signed.version, 2)
                XCTAssertEqual(state.root.signed.role(role).keyids, [newKey.tufKey.keyID])
                XCTAssertEqual(state.allTargets, before, "targets unchanged by a key rotation")
                // The old key is refused from now on, the new one works.
                let old = role == "targets" ? keys.targets : role == "snapshot" ? keys.snapshot : keys.timestamp
                let bundle = TUFRepository.BundleInput(path: "b.apb", bytes: try TUFRepositoryTests.bundle(sequence: 2))
                XCTAssertThrowsError(try TUFRepository.publish([bundle], to: path, trusted: TUFRepositoryTests.trusted,
                                                               targetsKey: keys.targets, snapshotKey: keys.snapshot,
                                                               timestampKey: keys.timestamp)) {
                    XCTAssertTrue("\($0)".contains("\(old.path) (key id \(old.tufKey.keyID)) is not a key of the \(role) role"), "\($0)")
                }
                try TUFRepository.publish([bundle], to: path, trusted: TUFRepositoryTests.trusted,
                                          targetsKey: role == "targets" ? newKey : keys.targets,
                                          snapshotKey: role == "snapshot" ? newKey : keys.snapshot,
                                          timestampKey: role == "timestamp" ? newKey : keys.timestamp)
                XCTAssertEqual(try RepositoryState.load(path).allTargets.count, 2)
            }
        }
    }

    func testKillAtEveryWriteOfAKeyRotationLeavesALoadableRepository() throws {
        for role in ["targets", "timestamp"] {
            let original = try repo("orig-\(role)", bins: 2)
            let newKey = RoleSigningKey(path: "new.pem", key: try SigningKey.generate(.ed25519))
            let counting = TUFRepositoryTests.CrashingWriter(after: .max)
            let probe = dir("probe-\(role)")
            try FileManager.default.copyItem(atPath: original, toPath: probe)
            try rotate(role, probe, newKey, writer: counting)
            for k in 0 ... counting.count {
                let copy = dir("crash-\(role)-\(k)")
                try FileManager.default.copyItem(atPath: original, toPath: copy)
                _ = try? rotate(role, copy, newKey, writer: TUFRepositoryTests.CrashingWriter(after: k))
                let state = try RepositoryState.load(copy)
                let rootVersion = state.root.signed.version
                XCTAssertEqual(rootVersion, k >= counting.count - 1 ? 2 : 1, "\(role) after \(k) writes")
                XCTAssertEqual(state.allTargets.count, 1)
            }
        }
    }

    func testRefusals() throws {
        let path = try repo("r", bins: 0)
        let newKey = RoleSigningKey(path: "new.pem", key: try SigningKey.generate(.ed25519))
        let before = try RepositoryState.load(path)
        XCTAssertThrowsError(try rotate("root", path, newKey)) { XCTAssertTrue("\($0)".contains("--role root"), "\($0)") }
        XCTAssertThrowsError(try rotate("timestamp", path, keys.timestamp)) {
            XCTAssertTrue("\($0)".contains("is already the timestamp role's key"), "\($0)")
        }
        let stranger = RoleSigningKey(path: "stranger.pem", key: try SigningKey.generate(.ed25519))
        XCTAssertThrowsError(try TUFRepository.rotateRole("snapshot", in: path, rootKeys: [stranger], newKey: newKey,
                                                          targetsKey: keys.targets, snapshotKey: keys.snapshot,
                                                          timestampKey: keys.timestamp)) {
            XCTAssertTrue("\($0)".contains("stranger.pem"), "\($0)")
        }
        XCTAssertEqual(try RepositoryState.load(path).timestamp.signed.version, before.timestamp.signed.version)
    }
}
