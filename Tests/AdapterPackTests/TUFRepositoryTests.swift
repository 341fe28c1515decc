import AdapterLoader
import Foundation
import TestSupport
import XCTest
@testable import AdapterPack

/// `TUFRepository` in-process: init, publish, timestamp; crash safety at every file
/// write; each refusal names the problem and writes nothing.
final class TUFRepositoryTests: XCTestCase {
    // Bundles of the digits models, made once (base → head-ft and base → full-ft, a few sequences).
    nonisolated(unsafe) static var bundleCache: [String: [UInt8]] = [:]
    static let bundleKey = try! SigningKey(pemFile: RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path)
    static let trusted = TrustedKeys([bundleKey.verifyingKey])

    static func bundle(_ target: String = "head-ft", sequence: UInt64) throws -> [UInt8] {
        let name = "\(target)-\(sequence)"
        if let cached = bundleCache[name] { return cached }
        var options = BundleOptions()
        options.sequence = sequence
        options.maxBytes = 1 << 20
        let bytes = try DiffBundler.bundle(base: RepoPaths.modelBytes("base"), target: RepoPaths.modelBytes(target),
                                           key: bundleKey, options: options).bytes
        bundleCache[name] = bytes
        return bytes
    }

    struct Keys {
        let root = RoleSigningKey(path: "root.pem", key: try! SigningKey.generate(.ed25519))
        let root2 = RoleSigningKey(path: "root2.pem", key: try! SigningKey.generate(.ed25519))
        let targets = RoleSigningKey(path: "targets.pem", key: try! SigningKey.generate(.ed25519))
        let snapshot = RoleSigningKey(path: "snapshot.pem", key: try! SigningKey.generate(.ed25519))
        let timestamp = RoleSigningKey(path: "timestamp.pem", key: try! SigningKey.generate(.ed25519))
    }

    var scratch: URL!
    let keys = Keys()

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tuf-repo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: scratch)
    }

    func dir(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    @discardableResult
    func create(_ path: String, writer: RepositoryWriter = FileIOWriter()) throws -> RepositoryState {
        try TUFRepository.create(at: path, rootKeys: [keys.root], rootThreshold: 1, targetsKey: keys.targets,
                                 snapshotKey: keys.snapshot, timestampKey: keys.timestamp, writer: writer)
    }

    @discardableResult
    func publish(_ bundles: [(String, [UInt8])], to path: String, cohort: String? = nil, deviceClass: String? = nil,
                 targetsKey: RoleSigningKey? = nil, writer: RepositoryWriter = FileIOWriter()) throws -> [TUFRepository.Published] {
        try TUFRepository.publish(bundles.map { TUFRepository.BundleInput(path: $0.0, bytes: $0.1) }, to: path,
                                  cohort: cohort, deviceClass: deviceClass, trusted: Self.trusted,
                                  targetsKey: targetsKey ?? keys.targets, snapshotKey: keys.snapshot,
                                  timestampKey: keys.timestamp, writer: writer)
    }

    /// Every file under `path` (relative path → bytes), to show nothing was written.
    func contents(_ path: String) -> [String: Data] {
        var out: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: path) else { return out }
        while let item = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            let full = path + "/" + item
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                out[item] = FileManager.default.contents(atPath: full)
            }
        }
        return out
    }

    func assertRefused(_ path: String, _ expected: [String], file: StaticString = #filePath, line: UInt = #line,
                       _ body: () throws -> Void) {
        let before = contents(path)
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = "\(error)"
            for word in expected {
                XCTAssertTrue(message.contains(word), "message lacks \"\(word)\": \(message)", file: file, line: line)
            }
        }
        XCTAssertEqual(contents(path), before, "a refused command changed the repository", file: file, line: line)
    }

    // MARK: the happy path

    func testInitPublishTimestampLoad() throws {
        let repo = dir("r")
        let created = try create(repo)
        XCTAssertEqual(created.root.signed.version, 1)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: repo + "/metadata")),
                       ["1.root.json", "root.json", "1.targets.json", "1.snapshot.json", "timestamp.json"])

        let b1 = try Self.bundle(sequence: 1)
        let published = try publish([("digits-head.apb", b1)], to: repo, cohort: "beta", deviceClass: "cortex-m4")
        XCTAssertEqual(published.map(\.targetPath), ["beta/digits-head.apb"])
        let digest = hexString(sha256(b1).bytes)
        XCTAssertEqual(FileManager.default.contents(atPath: repo + "/targets/beta/\(digest).digits-head.apb"), Data(b1))

        let state = try RepositoryState.load(repo)
        XCTAssertEqual([state.targets.signed.version, state.snapshot.signed.version, state.timestamp.signed.version], [2, 2, 2])
        let target = try XCTUnwrap(state.targets.signed.targets["beta/digits-head.apb"])
        XCTAssertEqual(target.length, Int64(b1.count))
        XCTAssertEqual(target.sha256, digest)
        let info = try XCTUnwrap(BundleTargetInfo(custom: target.custom))
        let header = try HostLoader.verify(bundle: b1, keys: Self.trusted)
        XCTAssertEqual(info, BundleTargetInfo(baseSHA256: header.baseSHA256.hex, targetSHA256: header.targetSHA256.hex,
                                              sequence: 1, windowSize: header.windowSize, formatVersion: "3.0",
                                              cohort: "beta", deviceClass: "cortex-m4"))

        // A higher sequence for the same base and cohort, a second target, and the same
        // sequence in another cohort are all accepted.
        try publish([("digits-head-2.apb", try Self.bundle(sequence: 2)), ("digits-full.apb", try Self.bundle("full-ft", sequence: 3))],
                    to: repo, cohort: "beta")
        try publish([("digits-head.apb", b1)], to: repo)
        let after = try TUFRepository.refreshTimestamp(repo, timestampKey: keys.timestamp)
        let reloaded = try RepositoryState.load(repo)
        XCTAssertEqual(reloaded.timestamp.signed.version, after.signed.version)
        XCTAssertEqual(reloaded.timestamp.signed.version, 5)
        XCTAssertEqual(reloaded.snapshot.signed.version, 4)
        XCTAssertEqual(Set(reloaded.targets.signed.targets.keys),
                       ["beta/digits-head.apb", "beta/digits-head-2.apb", "beta/digits-full.apb", "digits-head.apb"])
        // Every version's targets and snapshot stay on disk (consistent snapshots).
        for v in 1 ... 4 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: repo + "/metadata/\(v).targets.json"))
            XCTAssertTrue(FileManager.default.fileExists(atPath: repo + "/metadata/\(v).snapshot.json"))
        }
    }

    func testExpiryDefaultsAndSignedBytesAreCanonical() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.75)
        let state = try TUFRepository.create(at: dir("r"), rootKeys: [keys.root], rootThreshold: 1, targetsKey: keys.targets,
                                             snapshotKey: keys.snapshot, timestampKey: keys.timestamp, now: now)
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        XCTAssertEqual(state.root.signed.expires, base + 365 * 86_400)
        XCTAssertEqual(state.targets.signed.expires, base + 90 * 86_400)
        XCTAssertEqual(state.snapshot.signed.expires, base + 7 * 86_400)
        XCTAssertEqual(state.timestamp.signed.expires, base + 86_400)
        XCTAssertEqual(TUFTime.string(base), "2027-01-15T08:00:00Z")
        let file = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dir("r") + "/metadata/1.root.json"))))
        let signed = try XCTUnwrap(file["signed"])
        let sig = try XCTUnwrap(file["signatures"]?.arrayValue?.first)
        XCTAssertEqual(sig["keyid"]?.stringValue, keys.root.tufKey.keyID)
        XCTAssertTrue(keys.root.tufKey.verify(CanonicalJSON.encode(signed), signatureHex: sig["sig"]!.stringValue!))
    }

    // MARK: crash safety

    /// Writes through FileIO until `limit` writes are done, then throws, as a kill would.
    final class CrashingWriter: RepositoryWriter {
        let limit: Int
        var count = 0
        init(after limit: Int) { self.limit = limit }
        func write(_ bytes: [UInt8], to path: String) throws(RepositoryError) {
            guard count < limit else { throw .badArgument("simulated crash before write \(count + 1) (\(path))") }
            count += 1
            try FileIOWriter().write(bytes, to: path)
        }
    }

    func testKillAtEveryWriteOfPublishLeavesOldOrNewState() throws {
        let original = dir("original")
        try create(original)
        try publish([("a.apb", try Self.bundle(sequence: 1))], to: original)
        let old = try RepositoryState.load(original)
        let batch = [("b.apb", try Self.bundle(sequence: 2)), ("c.apb", try Self.bundle("full-ft", sequence: 3))]

        let counting = CrashingWriter(after: .max)
        let probe = dir("probe")
        try FileManager.default.copyItem(atPath: original, toPath: probe)
        try publish(batch, to: probe, writer: counting)
        XCTAssertEqual(counting.count, 5, "2 bundles, targets, snapshot, timestamp")
        let new = try RepositoryState.load(probe)

        for k in 0 ... counting.count {
            let copy = dir("crash-\(k)")
            try FileManager.default.copyItem(atPath: original, toPath: copy)
            if k < counting.count {
                XCTAssertThrowsError(try publish(batch, to: copy, writer: CrashingWriter(after: k)))
            } else {
                try publish(batch, to: copy, writer: CrashingWriter(after: k))
            }
            let state = try RepositoryState.load(copy)
            let expected = k < counting.count ? old : new
            XCTAssertEqual(state.targets.signed.targets, expected.targets.signed.targets, "after \(k) writes")
            XCTAssertEqual(state.timestamp.signed.version, expected.timestamp.signed.version, "after \(k) writes")
            // The interrupted publish can be run again and completes.
            if k < counting.count {
                try publish(batch, to: copy)
                XCTAssertEqual(try RepositoryState.load(copy).targets.signed.targets, new.targets.signed.targets)
            }
        }
    }

    func testKillAtEveryWriteOfInitLeavesNoRepositoryOrAWholeOne() throws {
        for k in 0 ..< 5 {
            let repo = dir("init-\(k)")
            XCTAssertThrowsError(try create(repo, writer: CrashingWriter(after: k)))
            XCTAssertThrowsError(try RepositoryState.load(repo)) { error in
                guard case RepositoryError.notARepository = error else { return XCTFail("after \(k) writes: \(error)") }
            }
            try create(repo)
            XCTAssertEqual(try RepositoryState.load(repo).timestamp.signed.version, 1)
        }
    }

    func testKillDuringTimestampLeavesOldTimestamp() throws {
        let repo = dir("r")
        try create(repo)
        XCTAssertThrowsError(try TUFRepository.refreshTimestamp(repo, timestampKey: keys.timestamp, writer: CrashingWriter(after: 0)))
        XCTAssertEqual(try RepositoryState.load(repo).timestamp.signed.version, 1)
    }

    // MARK: refusals

    func testRefusesBundleThatDoesNotVerify() throws {
        let repo = dir("r")
        try create(repo)
        var tampered = try Self.bundle(sequence: 1)
        tampered[tampered.count / 2] ^= 0x40
        assertRefused(repo, ["bad.apb", "does not verify"]) { try publish([("bad.apb", tampered)], to: repo) }
        // Signed by a key the publisher does not trust.
        let other = try SigningKey.generate(.ed25519)
        let foreign = try DiffBundler.bundle(base: RepoPaths.modelBytes("base"), target: RepoPaths.modelBytes("head-ft"), key: other).bytes
        assertRefused(repo, ["foreign.apb", "does not verify"]) { try publish([("foreign.apb", foreign)], to: repo) }
        // One bad bundle in a batch: the good one is not published either.
        assertRefused(repo, ["bad.apb"]) { try publish([("good.apb", try Self.bundle(sequence: 1)), ("bad.apb", tampered)], to: repo) }
    }

    func testRefusesKeyThatIsNotTheRolesKey() throws {
        let repo = dir("r")
        try create(repo)
        assertRefused(repo, ["snapshot.pem", keys.snapshot.tufKey.keyID, "not a key of the targets role", keys.targets.tufKey.keyID]) {
            try publish([("a.apb", try Self.bundle(sequence: 1))], to: repo, targetsKey: keys.snapshot)
        }
        let stranger = RoleSigningKey(path: "stranger.pem", key: try SigningKey.generate(.ed25519))
        assertRefused(repo, ["stranger.pem", "timestamp role"]) {
            try TUFRepository.refreshTimestamp(repo, timestampKey: stranger)
        }
    }

    func testRefusesBelowThresholdRootSigning() throws {
        let repo = dir("r")
        assertRefused(scratch.path, ["root role needs 2 signing keys, 1 given"]) {
            try TUFRepository.create(at: repo, rootKeys: [keys.root], rootPublicKeys: [("root2.pub.pem", keys.root2.key.verifyingKey)],
                                     rootThreshold: 2, targetsKey: keys.targets, snapshotKey: keys.snapshot, timestampKey: keys.timestamp)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo))
        assertRefused(scratch.path, ["--root-threshold 3", "2 distinct root key"]) {
            try TUFRepository.create(at: repo, rootKeys: [keys.root, keys.root2], rootThreshold: 3, targetsKey: keys.targets,
                                     snapshotKey: keys.snapshot, timestampKey: keys.timestamp)
        }
        // Two of two sign: accepted, and the root loads with threshold 2.
        try TUFRepository.create(at: repo, rootKeys: [keys.root, keys.root2], rootThreshold: 2, targetsKey: keys.targets,
                                 snapshotKey: keys.snapshot, timestampKey: keys.timestamp)
        XCTAssertEqual(try RepositoryState.load(repo).root.signed.role("root").threshold, 2)
        // A root file with one signature removed is below its threshold and does not load.
        let path = repo + "/metadata/1.root.json"
        var root = try Signed<Root>(fileBytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))), file: path)
        root.signatures.removeLast()
        try FileIO.write(root.fileBytes, to: path)
        XCTAssertThrowsError(try RepositoryState.load(repo)) { error in
            XCTAssertTrue("\(error)".contains("1 valid signature by the root role's keys, its threshold is 2"), "\(error)")
        }
    }

    func testRefusesDirectoryThatIsNotARepository() throws {
        let empty = dir("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: empty + "/notes.txt"))
        assertRefused(empty, ["is not a TUF repository", "no metadata/timestamp.json", "repo init"]) {
            try publish([("a.apb", try Self.bundle(sequence: 1))], to: empty)
        }
        assertRefused(scratch.path, ["is not a TUF repository", "no such directory"]) {
            try TUFRepository.refreshTimestamp(dir("missing"), timestampKey: keys.timestamp)
        }
        let repo = dir("r")
        try create(repo)
        assertRefused(repo, ["already holds a TUF repository"]) { try create(repo) }
    }

    func testRefusesCohortWithPathCharacters() throws {
        let repo = dir("r")
        try create(repo)
        for cohort in ["../up", "a/b", "a\\b", ".hidden", "", String(repeating: "x", count: 65), "sp ace"] {
            assertRefused(repo, ["cohort \"\(cohort)\" is not a plain name"]) {
                try publish([("a.apb", try Self.bundle(sequence: 1))], to: repo, cohort: cohort)
            }
        }
        assertRefused(repo, ["device class \"m4/x\""]) {
            try publish([("a.apb", try Self.bundle(sequence: 1))], to: repo, deviceClass: "m4/x")
        }
    }

    func testRefusesSequenceNotAboveWhatTheRepositoryHolds() throws {
        let repo = dir("r")
        try create(repo)
        try publish([("a.apb", try Self.bundle(sequence: 2))], to: repo, cohort: "beta")
        assertRefused(repo, ["b.apb has sequence 2", "already holds sequence 2 (beta/a.apb)", "cohort beta", "--sequence 3"]) {
            try publish([("b.apb", try Self.bundle("full-ft", sequence: 2))], to: repo, cohort: "beta")
        }
        assertRefused(repo, ["has sequence 1"]) { try publish([("c.apb", try Self.bundle(sequence: 1))], to: repo, cohort: "beta") }
        // Within one batch too.
        assertRefused(repo, ["e.apb has sequence 3", "(beta/d.apb)"]) {
            try publish([("d.apb", try Self.bundle(sequence: 3)), ("e.apb", try Self.bundle("full-ft", sequence: 3))], to: repo, cohort: "beta")
        }
        // Another cohort has its own line.
        try publish([("a.apb", try Self.bundle(sequence: 1))], to: repo, cohort: "stable")
        // The same path for different bytes is refused.
        assertRefused(repo, ["target path beta/a.apb already names a different bundle"]) {
            try publish([("a.apb", try Self.bundle(sequence: 3))], to: repo, cohort: "beta")
        }
    }

    func testTamperedMetadataDoesNotLoad() throws {
        let repo = dir("r")
        try create(repo)
        try publish([("a.apb", try Self.bundle(sequence: 1))], to: repo)
        let path = repo + "/metadata/2.targets.json"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"sequence\": 1", with: "\"sequence\": 9")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RepositoryState.load(repo)) { error in
            XCTAssertTrue("\(error)".contains("2.targets.json"), "\(error)")
        }
    }

    // MARK: rotation and revocation

    func testRootRotationChainsAndNeedsBothThresholds() throws {
        let repo = dir("r")
        try create(repo)
        let b = RoleSigningKey(path: "b.pem", key: try SigningKey.generate(.ed25519))
        let c = RoleSigningKey(path: "c.pem", key: try SigningKey.generate(.ed25519))
        // Signed by a key that is not the current root's: refused.
        assertRefused(repo, ["b.pem", "not a key of the root role"]) {
            try TUFRepository.rotateRoot(repo, currentRootKeys: [b], newRootKeys: [b, c], threshold: 2)
        }
        // New threshold 2 but only one new key signs: refused.
        assertRefused(repo, ["root (new keys) role needs 2 signing keys, 1 given"]) {
            try TUFRepository.rotateRoot(repo, currentRootKeys: [keys.root], newRootKeys: [b],
                                         newRootPublicKeys: [("c.pub.pem", c.key.verifyingKey)], threshold: 2)
        }
        let rotated = try TUFRepository.rotateRoot(repo, currentRootKeys: [keys.root], newRootKeys: [b, c], threshold: 2)
        XCTAssertEqual(rotated.signed.version, 2)
        let state = try RepositoryState.load(repo)
        XCTAssertEqual(state.root.signed.version, 2)
        XCTAssertEqual(Set(state.root.signed.role("root").keyids), [b.tufKey.keyID, c.tufKey.keyID])
        XCTAssertNil(state.root.signed.keys[keys.root.tufKey.keyID], "the old root key is gone")
        // The old root key can no longer sign a rotation; the new pair can.
        assertRefused(repo, ["root.pem", "not a key of the root role"]) {
            try TUFRepository.rotateRoot(repo, currentRootKeys: [keys.root], newRootKeys: [keys.root], threshold: 1)
        }
        assertRefused(repo, ["root role needs 2 signing keys, 1 given"]) {
            try TUFRepository.rotateRoot(repo, currentRootKeys: [b], newRootKeys: [keys.root], threshold: 1)
        }
        // A 3.root.json signed only by new keys (not by 2's threshold) breaks the chain.
        var forged = Signed(Root(version: 3, expires: Date() + 1000, keys: state.root.signed.keys, roles: state.root.signed.roles))
        forged.signed.keys[keys.root.tufKey.keyID] = keys.root.tufKey
        forged.signed.roles["root"] = RoleKeys(keyids: [keys.root.tufKey.keyID], threshold: 1)
        try forged.sign(with: [keys.root.key])
        try FileIO.write(forged.fileBytes, to: repo + "/metadata/3.root.json")
        XCTAssertThrowsError(try RepositoryState.load(repo)) { error in
            XCTAssertTrue("\(error)".contains("3.root.json: 0 valid signatures by the root role's keys, its threshold is 2"), "\(error)")
        }
        // Publishing still works with the unchanged targets/snapshot/timestamp keys once the forgery is gone.
        try FileManager.default.removeItem(atPath: repo + "/metadata/3.root.json")
        try publish([("a.apb", try Self.bundle(sequence: 1))], to: repo)
    }

    func testRevokeRemovesTargetsAndKeepsFiles() throws {
        let repo = dir("r")
        try create(repo)
        let published = try publish([("a.apb", try Self.bundle(sequence: 1)), ("b.apb", try Self.bundle("full-ft", sequence: 2))], to: repo)
        assertRefused(repo, ["target nope.apb is not in the repository"]) {
            try TUFRepository.revoke(["nope.apb"], in: repo, targetsKey: keys.targets, snapshotKey: keys.snapshot, timestampKey: keys.timestamp)
        }
        try TUFRepository.revoke(["a.apb"], in: repo, targetsKey: keys.targets, snapshotKey: keys.snapshot, timestampKey: keys.timestamp)
        let state = try RepositoryState.load(repo)
        XCTAssertEqual(Array(state.targets.signed.targets.keys), ["b.apb"])
        XCTAssertEqual(state.targets.signed.version, 3)
        XCTAssertTrue(FileManager.default.fileExists(atPath: published[0].file), "older snapshots still name the file")
    }

    func testKillDuringRootRotationLeavesOldOrNewRoot() throws {
        let b = RoleSigningKey(path: "b.pem", key: try SigningKey.generate(.ed25519))
        for k in 0 ... 2 {
            let repo = dir("rotate-\(k)")
            try create(repo)
            let writer = CrashingWriter(after: k)
            if k < 1 {
                XCTAssertThrowsError(try TUFRepository.rotateRoot(repo, currentRootKeys: [keys.root], newRootKeys: [b], threshold: 1, writer: writer))
            } else {
                // 2.root.json in place: the chain already ends at version 2, whether or not
                // the root.json copy was replaced too.
                _ = try? TUFRepository.rotateRoot(repo, currentRootKeys: [keys.root], newRootKeys: [b], threshold: 1, writer: writer)
            }
            let root = try RepositoryState.load(repo).root.signed
            XCTAssertEqual(root.version, k < 1 ? 1 : 2, "after \(k) writes")
            XCTAssertEqual(root.role("root").keyids, [k < 1 ? keys.root.tufKey.keyID : b.tufKey.keyID])
        }
    }

    func testRefusesP256RoleKeys() throws {
        let p256 = try SigningKey(pemFile: RepoPaths.keys.appendingPathComponent("dev-p256.pem").path)
        XCTAssertThrowsError(try RoleSigningKey(pemFile: RepoPaths.keys.appendingPathComponent("dev-p256.pem").path)) {
            XCTAssertTrue("\($0)".contains("dev-p256.pem is not an Ed25519 key"), "\($0)")
        }
        XCTAssertThrowsError(try TUFKey(p256.verifyingKey, path: "p.pub.pem")) {
            XCTAssertTrue("\($0)".contains("p.pub.pem is not an Ed25519 key"), "\($0)")
        }
    }

    func testTimestampWithSnapshotKeyKeepsSnapshotValid() throws {
        let repo = dir("r")
        try create(repo)
        let later = Date() + 6 * 86_400
        XCTAssertEqual(TUFRepository.expiringBefore(later + 2 * 86_400, try RepositoryState.load(repo)).map(\.role), ["timestamp", "snapshot"])
        let t = try TUFRepository.refreshTimestamp(repo, timestampKey: keys.timestamp, snapshotKey: keys.snapshot, now: later)
        let state = try RepositoryState.load(repo)
        XCTAssertEqual(t.signed.snapshot.version, 2)
        XCTAssertEqual(state.snapshot.signed.version, 2)
        XCTAssertGreaterThan(state.snapshot.signed.expires, later + 6 * 86_400)
        XCTAssertEqual(TUFRepository.expiringBefore(state.timestamp.signed.expires, state).map(\.role), [])
        assertRefused(repo, ["timestamp.pem", "not a key of the snapshot role"]) {
            try TUFRepository.refreshTimestamp(repo, timestampKey: keys.timestamp, snapshotKey: keys.timestamp)
        }
    }

    func testSecondCommandWhileOneHoldsTheLockIsRefused() throws {
        let repo = dir("r")
        try create(repo)
        do {
            let lock = try RepositoryLock(repo)
            defer { withExtendedLifetime(lock) {} }
            assertRefused(repo, ["another adapterpack repo command is changing this repository", ".adapterpack-lock"]) {
                try publish([("a.apb", try Self.bundle(sequence: 1))], to: repo)
            }
            assertRefused(repo, [".adapterpack-lock"]) { try TUFRepository.refreshTimestamp(repo, timestampKey: keys.timestamp) }
        }
        try publish([("a.apb", try Self.bundle(sequence: 1))], to: repo)
    }
}
