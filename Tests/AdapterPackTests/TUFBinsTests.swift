import Foundation
import TestSupport
import XCTest
@testable import AdapterPack

/// Hashed-bin delegation: targets.json delegates to N bins by SHA-256 prefix of the
/// target path; a publish re-signs only the bins it touches. Also the benchmark line:
/// bundles/second and the metadata bytes a client downloads to find one target.
final class TUFBinsTests: TUFScratchTestCase {
    func publish(_ bundles: [(String, [UInt8])], to path: String, cohort: String? = nil,
                 writer: RepositoryWriter = FileIOWriter()) throws {
        try TUFRepository.publish(bundles.map { TUFRepository.BundleInput(path: $0.0, bytes: $0.1) }, to: path, cohort: cohort,
                                  trusted: TUFRepositoryTests.trusted, targetsKey: keys.targets, snapshotKey: keys.snapshot,
                                  timestampKey: keys.timestamp, writer: writer)
    }

    func testBinRolesCoverEveryPrefixOnce() {
        for count in [2, 16, 32, 256, 4096] {
            let roles = HashedBins.roles(count: count, keyid: "k")
            XCTAssertEqual(roles.count, count)
            let prefixes = roles.flatMap(\.pathHashPrefixes)
            let length = HashedBins.prefixLength(count)
            XCTAssertEqual(prefixes.count, 1 << (4 * length))
            XCTAssertEqual(Set(prefixes).count, prefixes.count)
            XCTAssertTrue(prefixes.allSatisfy { $0.count == length })
        }
        XCTAssertEqual(HashedBins.roles(count: 16, keyid: "k")[10].name, "bins-a")
        XCTAssertEqual(HashedBins.roles(count: 2, keyid: "k")[1].name, "bins-8-f")
        XCTAssertEqual(HashedBins.roles(count: 32, keyid: "k")[31].name, "bins-f8-ff")
        XCTAssertFalse(HashedBins.isValidCount(3))
        XCTAssertFalse(HashedBins.isValidCount(1))
    }

    func testPublishGoesToTheBinOfThePathHashAndTouchesOnlyIt() throws {
        let repo = dir("r")
        try create(repo, bins: 16)
        let first = try RepositoryState.load(repo)
        XCTAssertEqual(first.bins.count, 16)
        XCTAssertTrue(FileManager.default.fileExists(atPath: repo + "/metadata/1.bins-0.json"))

        try publish([("a.apb", try TUFRepositoryTests.bundle(sequence: 1))], to: repo, cohort: "beta")
        let state = try RepositoryState.load(repo)
        let bin = "bins-" + String(HashedBins.pathHash("beta/a.apb").prefix(1))
        XCTAssertEqual(state.bin(for: "beta/a.apb"), bin)
        XCTAssertNotNil(state.bins[bin]?.signed.targets["beta/a.apb"])
        XCTAssertTrue(state.targets.signed.targets.isEmpty, "targets.json itself lists no targets")
        XCTAssertEqual(state.targets.signed.version, 1, "targets.json is not re-signed")
        for (name, signed) in state.bins { XCTAssertEqual(signed.signed.version, name == bin ? 2 : 1, name) }
        XCTAssertEqual(state.snapshot.signed.meta["\(bin).json"]?.version, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: repo + "/metadata/2.\(bin).json"))

        // The sequence rule sees every bin.
        XCTAssertThrowsError(try publish([("other.apb", try TUFRepositoryTests.bundle("full-ft", sequence: 1))], to: repo, cohort: "beta")) {
            XCTAssertTrue("\($0)".contains("already holds sequence 1 (beta/a.apb)"), "\($0)")
        }
        try TUFRepository.revoke(["beta/a.apb"], in: repo, targetsKey: keys.targets, snapshotKey: keys.snapshot, timestampKey: keys.timestamp)
        XCTAssertTrue(try RepositoryState.load(repo).allTargets.isEmpty)
    }

    func testKillAtEveryWriteWithBins() throws {
        let original = dir("original")
        try create(original, bins: 4)
        let batch = [("b.apb", try TUFRepositoryTests.bundle(sequence: 2)), ("c.apb", try TUFRepositoryTests.bundle("full-ft", sequence: 3))]
        let counting = TUFRepositoryTests.CrashingWriter(after: .max)
        let probe = dir("probe")
        try FileManager.default.copyItem(atPath: original, toPath: probe)
        try publish(batch, to: probe, writer: counting)
        let new = try RepositoryState.load(probe).allTargets
        for k in 0 ..< counting.count {
            let copy = dir("crash-\(k)")
            try FileManager.default.copyItem(atPath: original, toPath: copy)
            XCTAssertThrowsError(try publish(batch, to: copy, writer: TUFRepositoryTests.CrashingWriter(after: k)))
            XCTAssertTrue(try RepositoryState.load(copy).allTargets.isEmpty, "after \(k) writes")
            try publish(batch, to: copy)
            XCTAssertEqual(try RepositoryState.load(copy).allTargets, new)
        }
    }

    /// Prints bundles/second and the metadata a client downloads to find one target, with
    /// and without bins, for a repository of 64 bundles (digits models, 64 cohorts).
    func testBenchmarkLine() throws {
        let bundle = try TUFRepositoryTests.bundle(sequence: 1)
        let count = 64
        var lines: [String] = []
        for bins in [0, 16] {
            let repo = dir("bench-\(bins)")
            try create(repo, bins: bins)
            let start = Date()
            for i in 0 ..< count { try publish([("digits.apb", bundle)], to: repo, cohort: "c\(i)") }
            let seconds = Date().timeIntervalSince(start)
            let state = try RepositoryState.load(repo)
            XCTAssertEqual(state.allTargets.count, count)
            // A client that has root: timestamp, snapshot, targets, and the one bin holding the target.
            func size(_ path: String) throws -> Int { try Data(contentsOf: URL(fileURLWithPath: repo + "/metadata/" + path)).count }
            var bytes = try size("timestamp.json") + size("\(state.snapshot.signed.version).snapshot.json")
                + size("\(state.targets.signed.version).targets.json")
            if let bin = state.bin(for: "c0/digits.apb") { bytes += try size("\(state.bins[bin]!.signed.version).\(bin).json") }
            lines.append("bins \(bins): \(String(format: "%.0f", Double(count) / seconds)) bundles/s published one per command "
                + "(\(count) bundles), \(bytes) metadata bytes downloaded to find one target")
        }
        print("TUF repository benchmark: " + lines.joined(separator: "; "))
    }

    func testPublishReSignsBinsAndTargetsNearTheirExpiry() throws {
        let repo = dir("r")
        let start = Date()
        try TUFRepository.create(at: repo, rootKeys: [keys.root], rootThreshold: 1, targetsKey: keys.targets,
                                 snapshotKey: keys.snapshot, timestampKey: keys.timestamp, bins: 4, now: start)
        let later = start + 50 * 86_400
        try TUFRepository.publish([TUFRepository.BundleInput(path: "a.apb", bytes: try TUFRepositoryTests.bundle(sequence: 1))],
                                  to: repo, trusted: TUFRepositoryTests.trusted, targetsKey: keys.targets,
                                  snapshotKey: keys.snapshot, timestampKey: keys.timestamp, now: later)
        let state = try RepositoryState.load(repo)
        XCTAssertGreaterThan(state.targets.signed.expires, later + 89 * 86_400)
        for (name, bin) in state.bins { XCTAssertGreaterThan(bin.signed.expires, later + 89 * 86_400, name) }
        // A publish soon after touches only its bin again.
        try TUFRepository.publish([TUFRepository.BundleInput(path: "b.apb", bytes: try TUFRepositoryTests.bundle(sequence: 2))],
                                  to: repo, trusted: TUFRepositoryTests.trusted, targetsKey: keys.targets,
                                  snapshotKey: keys.snapshot, timestampKey: keys.timestamp, now: later + 60)
        let after = try RepositoryState.load(repo)
        XCTAssertEqual(after.targets.signed.version, state.targets.signed.version)
        let touched = after.bins.filter { $0.value.signed.version != state.bins[$0.key]!.signed.version }.map(\.key)
        XCTAssertEqual(touched, [after.bin(for: "b.apb")!])
    }
}
