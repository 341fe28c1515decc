import Foundation
import XCTest
@testable import AdapterPack

/// The TUF client (`TUFUpdater`) against repositories written by `TUFRepository`,
/// served by a fetcher over the repository directory that records every request
/// and can be told to serve other bytes (the attacks). Each refusal must name
/// the role and the check, and leave the trusted state as it was.
final class TUFClientTests: TUFScratchTestCase {
    /// Serves `root/metadata/…` and `root/targets/…` for URLs `repo:/metadata/…`,
    /// `repo:/targets/…`; `override` replaces a file's bytes.
    final class RepositoryFetcher: TUFFetcher {
        let root: String
        var requests: [String] = []
        var override: [String: [UInt8]] = [:]
        init(root: String) { self.root = root }

        func fetch(_ url: String, maxLength: Int) throws(TUFClientError) -> [UInt8]? {
            let name = String(url.dropFirst("repo:/".count))
            requests.append(name)
            let bytes = override[name] ?? FileManager.default.contents(atPath: root + "/" + name).map { Array($0) }
            guard let bytes else { return nil }
            guard bytes.count <= maxLength else { throw .fetchFailed(url: url, reason: "longer than \(maxLength) bytes") }
            return bytes
        }
    }

    var repo: String { dir("repo") }
    var state: String { dir("state") }
    var downloads: String { dir("downloads") }

    /// A repository with one bundle (sequence 1; init wrote version 1 of each role,
    /// the publish version 2) and a client that trusts its root 1.
    func setUpRepository(bins: Int = 0) throws -> RepositoryFetcher {
        try create(repo, bins: bins)
        try publish(sequence: 1)
        for path in [state, downloads] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: repo + "/metadata/1.root.json", toPath: state + "/root.json")
        return RepositoryFetcher(root: repo)
    }

    func publish(sequence: UInt64, name: String = "digits.apb") throws {
        try TUFRepository.publish([TUFRepository.BundleInput(path: name, bytes: try TUFRepositoryTests.bundle(sequence: sequence))],
                                  to: repo, trusted: TUFRepositoryTests.trusted, targetsKey: keys.targets,
                                  snapshotKey: keys.snapshot, timestampKey: keys.timestamp)
    }

    func updater(_ fetcher: RepositoryFetcher, now: Date = Date()) throws -> TUFUpdater {
        try TUFUpdater(metadataDirectory: state, metadataURL: "repo:/metadata", fetcher: fetcher, now: now)
    }

    func stateFile(_ name: String) -> [UInt8]? { FileManager.default.contents(atPath: state + "/" + name).map { Array($0) } }

    /// Runs `body`, which must fail with an error whose text contains every one of `words`.
    func assertRefused(_ words: [String], _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("accepted; expected a refusal naming \(words)", file: file, line: line)
        } catch {
            let text = "\(error)"
            for word in words { XCTAssertTrue(text.contains(word), "\"\(text)\" does not name \(word)", file: file, line: line) }
        }
    }

    func testDownloadsAPublishedBundleAndCachesIt() throws {
        let fetcher = try setUpRepository()
        let file = try updater(fetcher).download("digits.apb", targetBaseURL: "repo:/targets", into: downloads)
        XCTAssertEqual(FileManager.default.contents(atPath: file).map { Array($0) }, try TUFRepositoryTests.bundle(sequence: 1))
        for role in ["root", "timestamp", "snapshot", "targets"] { XCTAssertNotNil(stateFile("\(role).json"), role) }
        // Consistent snapshots: versioned metadata, a hash-prefixed target.
        XCTAssertEqual(fetcher.requests.filter { $0.hasPrefix("metadata/") },
                       ["metadata/2.root.json", "metadata/timestamp.json", "metadata/2.snapshot.json", "metadata/2.targets.json"])
        XCTAssertTrue(fetcher.requests.last!.hasPrefix("targets/") && fetcher.requests.last!.hasSuffix(".digits.apb"))

        // Again: trusted snapshot and targets from disk, the target from the cache.
        fetcher.requests = []
        _ = try updater(fetcher).download("digits.apb", targetBaseURL: "repo:/targets", into: downloads)
        XCTAssertEqual(fetcher.requests, ["metadata/2.root.json", "metadata/timestamp.json"])
    }

    func testFollowsHashedBinsAndNewVersions() throws {
        let fetcher = try setUpRepository(bins: 16)
        _ = try updater(fetcher).download("digits.apb", targetBaseURL: "repo:/targets", into: downloads)
        XCTAssertTrue(fetcher.requests.contains { $0.contains(".bins-") }, "\(fetcher.requests)")
        try publish(sequence: 2, name: "digits-2.apb")
        let file = try updater(fetcher).download("digits-2.apb", targetBaseURL: "repo:/targets", into: downloads)
        XCTAssertEqual(FileManager.default.contents(atPath: file).map { Array($0) }, try TUFRepositoryTests.bundle(sequence: 2))
        assertRefused(["target", "nothing.apb"]) { _ = try updater(fetcher).download("nothing.apb", targetBaseURL: "repo:/targets", into: downloads) }
    }

    func testFollowsARootRotation() throws {
        let fetcher = try setUpRepository()
        try updater(fetcher).refresh()
        _ = try TUFRepository.rotateRoot(repo, currentRootKeys: [keys.root], newRootKeys: [keys.root2], threshold: 1)
        try updater(fetcher).refresh()
        XCTAssertEqual(try TUFClientRoot(bytes: stateFile("root.json")!).envelope.version, 2)
    }

    func testTamperedMetadataIsRefusedAndNotPersisted() throws {
        let fetcher = try setUpRepository()
        var targets = Array(FileManager.default.contents(atPath: repo + "/metadata/2.targets.json")!)
        let at = targets.firstIndex(of: UInt8(ascii: "1"))!   // a digit inside the signed part
        targets[at] = UInt8(ascii: "2")
        fetcher.override["metadata/2.targets.json"] = targets
        assertRefused(["targets", "valid signature"]) { try updater(fetcher).refresh() }
        XCTAssertNil(stateFile("targets.json"))
    }

    func testRollbackOfTimestampIsRefused() throws {
        let fetcher = try setUpRepository()
        let old = Array(FileManager.default.contents(atPath: repo + "/metadata/timestamp.json")!)
        try publish(sequence: 2, name: "digits-2.apb")
        try updater(fetcher).refresh()
        let trusted = stateFile("timestamp.json")
        fetcher.override["metadata/timestamp.json"] = old
        assertRefused(["timestamp", "version 2", "at least 3"]) { try updater(fetcher).refresh() }
        XCTAssertEqual(stateFile("timestamp.json"), trusted)
    }

    func testFreezeIsRefusedOnceTheTimestampExpires() throws {
        let fetcher = try setUpRepository()
        assertRefused(["timestamp", "expired"]) { try updater(fetcher, now: Date().addingTimeInterval(2 * 86_400)).refresh() }
    }

    func testMixAndMatchSnapshotIsRefused() throws {
        let fetcher = try setUpRepository()
        let oldSnapshot = Array(FileManager.default.contents(atPath: repo + "/metadata/2.snapshot.json")!)
        try publish(sequence: 2, name: "digits-2.apb")
        fetcher.override["metadata/3.snapshot.json"] = oldSnapshot   // the timestamp's hash names the real one
        assertRefused(["snapshot.json"]) { try updater(fetcher).refresh() }
        XCTAssertNil(stateFile("snapshot.json"))
    }

    func testEndlessDataAndArbitraryInstallationAreRefused() throws {
        let fetcher = try setUpRepository()
        try updater(fetcher).refresh()
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: repo + "/targets").first { $0.hasSuffix(".digits.apb") })
        let bundle = try TUFRepositoryTests.bundle(sequence: 1)
        fetcher.override["targets/" + name] = bundle + [0]   // one byte more than signed
        assertRefused(["longer than \(bundle.count)"]) { _ = try updater(fetcher).download("digits.apb", targetBaseURL: "repo:/targets", into: downloads) }
        var forged = bundle
        forged[forged.count / 2] ^= 1   // same length, other bytes
        fetcher.override["targets/" + name] = forged
        assertRefused(["digits.apb", "sha256"]) { _ = try updater(fetcher).download("digits.apb", targetBaseURL: "repo:/targets", into: downloads) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: downloads), [])
        // Metadata longer than its signed length is cut off too.
        var snapshot = Array(FileManager.default.contents(atPath: repo + "/metadata/2.snapshot.json")!)
        snapshot += Array(repeating: UInt8(ascii: " "), count: 3_000_000)
        fetcher.override["metadata/2.snapshot.json"] = snapshot
        try FileManager.default.removeItem(atPath: state + "/snapshot.json")
        assertRefused(["snapshot.json", "longer than"]) { try updater(fetcher).refresh() }
    }

    func testThresholdAndForeignKeysAreRefused() throws {
        let fetcher = try setUpRepository()
        // No signature at all.
        var timestamp = try JSONValue.parse(Array(FileManager.default.contents(atPath: repo + "/metadata/timestamp.json")!))
        if case .object(var members) = timestamp {
            members["signatures"] = .array([])
            timestamp = .object(members)
        }
        fetcher.override["metadata/timestamp.json"] = CanonicalJSON.encode(timestamp)
        assertRefused(["timestamp", "0 valid signature(s)", "1 needed"]) { try updater(fetcher).refresh() }
        XCTAssertNil(stateFile("timestamp.json"))
        // A malicious mirror: a whole other repository (its own keys) under the same URLs.
        let mirror = dir("mirror")
        let other = TUFRepositoryTests.Keys()
        try TUFRepository.create(at: mirror, rootKeys: [other.root], rootThreshold: 1, targetsKey: other.targets,
                                 snapshotKey: other.snapshot, timestampKey: other.timestamp, bins: 0)
        let mirrored = RepositoryFetcher(root: mirror)
        assertRefused(["timestamp", "valid signature"]) { try updater(mirrored).refresh() }
    }

    func testAKeyRemovedByRotationNoLongerSigns() throws {
        let fetcher = try setUpRepository()
        try updater(fetcher).refresh()
        let oldTimestamp = keys.timestamp
        let newTimestamp = RoleSigningKey(path: "timestamp-2.pem", key: try SigningKey.generate(.ed25519))
        _ = try TUFRepository.rotateRole("timestamp", in: repo, rootKeys: [keys.root], newKey: newTimestamp,
                                         targetsKey: keys.targets, snapshotKey: keys.snapshot, timestampKey: oldTimestamp)
        try updater(fetcher).refresh()   // root 2 names the new key; the new timestamp verifies
        // The old key signs a newer timestamp: refused now.
        _ = try TUFRepository.refreshTimestamp(repo, timestampKey: newTimestamp)
        var timestamp = try JSONValue.parse(Array(FileManager.default.contents(atPath: repo + "/metadata/timestamp.json")!))
        let signed = try XCTUnwrap(timestamp["signed"])
        var members = try XCTUnwrap(timestamp.objectValue)
        var signedMembers = try XCTUnwrap(signed.objectValue)
        signedMembers["version"] = .integer((signed["version"]?.integerValue ?? 0) + 1)
        let message = CanonicalJSON.encode(.object(signedMembers))
        let signature = try oldTimestamp.key.sign(message)
        let keyid = TUFKey(ed25519PublicKey: oldTimestamp.key.verifyingKey.rawPublicKey).keyID
        members["signed"] = .object(signedMembers)
        members["signatures"] = .array([.object(["keyid": .string(keyid), "sig": .string(hexString(signature))])])
        timestamp = .object(members)
        fetcher.override["metadata/timestamp.json"] = CanonicalJSON.encode(timestamp)
        let trusted = stateFile("timestamp.json")
        assertRefused(["timestamp", "0 valid signature(s)"]) { try updater(fetcher).refresh() }
        XCTAssertEqual(stateFile("timestamp.json"), trusted)
    }

    /// The repository's `file` with its signed part edited and signed again by `key`.
    func resigned(_ file: String, by key: RoleSigningKey, _ edit: (inout [String: JSONValue]) -> Void) throws -> [UInt8] {
        let document = try JSONValue.parse(Array(FileManager.default.contents(atPath: repo + "/metadata/" + file)!))
        var signed = try XCTUnwrap(document["signed"]?.objectValue)
        edit(&signed)
        let signature = try key.key.sign(CanonicalJSON.encode(.object(signed)))
        let keyid = TUFKey(ed25519PublicKey: key.key.verifyingKey.rawPublicKey).keyID
        return CanonicalJSON.encode(.object([
            "signed": .object(signed),
            "signatures": .array([.object(["keyid": .string(keyid), "sig": .string(hexString(signature))])]),
        ]))
    }

    func meta(_ version: Int64, of bytes: [UInt8]) -> JSONValue {
        .object(["version": .integer(version), "length": .integer(Int64(bytes.count)),
                 "hashes": .object(["sha256": .string(hexString(sha256(bytes).bytes))])])
    }

    func testRollbackOfRootSnapshotAndTargetsIsRefused() throws {
        let fetcher = try setUpRepository()
        try publish(sequence: 2, name: "digits-2.apb")   // snapshot 3, targets 3, timestamp 3
        try updater(fetcher).refresh()
        let trusted = ["root", "timestamp", "snapshot", "targets"].map { stateFile("\($0).json") }

        // Root: a "2.root.json" that is root 1 again.
        fetcher.override["metadata/2.root.json"] = Array(FileManager.default.contents(atPath: repo + "/metadata/1.root.json")!)
        assertRefused(["root", "version 1", "expected 2"]) { try updater(fetcher).refresh() }
        fetcher.override = [:]

        // Snapshot: a newer timestamp that names snapshot version 2 (the trusted one is 3).
        fetcher.override["metadata/timestamp.json"] = try resigned("timestamp.json", by: keys.timestamp) { signed in
            signed["version"] = .integer(4)
            signed["meta"] = .object(["snapshot.json": .object(["version": .integer(2)])])
        }
        assertRefused(["snapshot", "version 2", "at least 3"]) { try updater(fetcher).refresh() }

        // Targets: a newer snapshot (and a timestamp naming it) that lists targets version 2.
        let snapshot = try resigned("3.snapshot.json", by: keys.snapshot) { signed in
            signed["version"] = .integer(4)
            signed["meta"] = .object(["targets.json": .object(["version": .integer(2)])])
        }
        fetcher.override["metadata/4.snapshot.json"] = snapshot
        fetcher.override["metadata/timestamp.json"] = try resigned("timestamp.json", by: keys.timestamp) { signed in
            signed["version"] = .integer(4)
            signed["meta"] = .object(["snapshot.json": meta(4, of: snapshot)])
        }
        assertRefused(["targets.json", "version 2", "at least 3"]) { try updater(fetcher).refresh() }

        // Nothing of the refused updates was persisted past the check that refused them.
        XCTAssertEqual(stateFile("root.json"), trusted[0])
        XCTAssertEqual(stateFile("snapshot.json"), trusted[2])
        XCTAssertEqual(stateFile("targets.json"), trusted[3])
    }

    func testExpiresIsReadOnlyInItsExactASCIIShape() {
        XCTAssertNotNil(TUFTime.date("2027-03-03T16:52:40Z"))
        for text in ["2027-03-03T16:52:4\u{0365}Z", "2027-03-03T16:52:40", "2027-03-03T16:52:40.5Z", "２027-03-03T16:52:40Z",
                     "2027-13-03T16:52:40Z", "2027-03-03 16:52:40Z", ""] {
            XCTAssertNil(TUFTime.date(text), text)
        }
    }

    func testPathPatternsMatchPerSegment() {
        XCTAssertTrue(tufPathMatches(pattern: "team-a/*", path: "team-a/x.apb"))
        XCTAssertFalse(tufPathMatches(pattern: "team-a/*", path: "team-a/sub/x.apb"))
        XCTAssertTrue(tufPathMatches(pattern: "*/x?.apb", path: "beta/x1.apb"))
        XCTAssertFalse(tufPathMatches(pattern: "*.apb", path: "beta/x.apb"))
        XCTAssertEqual(TUFUpdater.quote("a/b c%"), "a%2Fb%20c%25")
    }
}
