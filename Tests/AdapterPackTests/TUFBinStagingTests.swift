import Foundation
import TestSupport
import XCTest
@testable import AdapterPack

/// Parallel publishing into hashed bins: workers stage their part of the bins, one
/// merge makes them current. Clients see nothing until the merge, then everything.
final class TUFBinStagingTests: TUFScratchTestCase {
    /// Eight bundles for one base and cohort, sequences 1…8, named so their paths spread over bins.
    func batch() throws -> [TUFRepository.BundleInput] {
        try (1 ... 8).map { TUFRepository.BundleInput(path: "dev-\($0).apb", bytes: try TUFRepositoryTests.bundle(sequence: UInt64($0))) }
    }

    @discardableResult
    func stage(_ bundles: [TUFRepository.BundleInput], _ repo: String, part: BinStaging.Part,
               targetsKey: RoleSigningKey? = nil, writer: RepositoryWriter = FileIOWriter()) throws -> BinStaging.Staged? {
        let state = try RepositoryState.load(repo)
        let mine = bundles.filter { BinStaging.owns($0.path, part: part, state: state) }
        guard !mine.isEmpty else { return nil }
        return try BinStaging.stage(mine, to: repo, part: part, cohort: nil, trusted: TUFRepositoryTests.trusted,
                                    targetsKey: targetsKey ?? keys.targets, writer: writer)
    }

    func merge(_ repo: String, writer: RepositoryWriter = FileIOWriter()) throws -> [(name: String, version: Int64)] {
        try BinStaging.merge(repo, snapshotKey: keys.snapshot, timestampKey: keys.timestamp, writer: writer)
    }

    func stagedFiles(_ repo: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: repo + "/.staging")) ?? []).filter { $0.hasSuffix(".json") }
    }

    func testPartsCoverEveryBinOnce() throws {
        let roles = HashedBins.roles(count: 16, keyid: "k")
        let delegations = Delegations(keys: [:], roles: roles)
        for n in [1, 3, 4, 16] {
            let names = try (0 ..< n).flatMap { try BinStaging.Part(index: $0, count: n).roles(of: delegations).map(\.name) }
            XCTAssertEqual(names, roles.map(\.name), "\(n) parts")
        }
        XCTAssertThrowsError(try BinStaging.Part(parsing: "3/2")) { XCTAssertTrue("\($0)".contains("0 ≤ I < N"), "\($0)") }
        XCTAssertThrowsError(try BinStaging.Part(parsing: "three")) { XCTAssertTrue("\($0)".contains("expected I/N"), "\($0)") }
    }

    func testBinLookupFindsTheRoleTheSpecOrderFinds() {
        for count in [2, 16, 1024, 4096] {
            let delegations = Delegations(keys: [:], roles: HashedBins.roles(count: count, keyid: "k"))
            let lookup = BinLookup(delegations)
            XCTAssertNotNil(lookup)
            for i in 0 ..< 2000 {
                let path = "cohort-\(i % 7)/bundle-\(i).apb"
                XCTAssertEqual(delegations.roleIndex(for: path, lookup: lookup), delegations.roleIndex(for: path), path)
            }
        }
        // Prefixes of different lengths (another tool's delegations): roles tried in order.
        var mixed = HashedBins.roles(count: 16, keyid: "k")
        mixed[0].pathHashPrefixes = ["00"]
        XCTAssertNil(BinLookup(Delegations(keys: [:], roles: mixed)))
    }

    func testWorkersStageThenOneMergePublishesEverything() throws {
        let repo = dir("r")
        try create(repo, bins: 16)
        let bundles = try batch()
        var staged = 0
        for i in 0 ..< 4 { staged += try stage(bundles, repo, part: BinStaging.Part(index: i, count: 4))?.published.count ?? 0 }
        XCTAssertEqual(staged, bundles.count, "every bundle belongs to exactly one part")
        XCTAssertTrue(try RepositoryState.load(repo).allTargets.isEmpty, "clients see nothing before the merge")
        XCTAssertFalse(stagedFiles(repo).isEmpty)

        let merged = try merge(repo)
        let state = try RepositoryState.load(repo)
        XCTAssertEqual(Set(state.allTargets.keys), Set(bundles.map(\.path)))
        XCTAssertEqual(merged.count, Set(bundles.map { state.bin(for: $0.path)! }).count)
        for bundle in bundles {
            let target = state.allTargets[bundle.path]!
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: RepositoryLayout(repo).targetFile(path: bundle.path, sha256: target.sha256))),
                           Data(bundle.bytes))
        }
        XCTAssertEqual(state.snapshot.signed.version, 2, "one snapshot for the whole batch")
        XCTAssertEqual(state.targets.signed.version, 1, "targets.json is not re-signed")
        XCTAssertTrue(stagedFiles(repo).isEmpty)
        XCTAssertTrue(try merge(repo).isEmpty, "a second merge has nothing to do")
        XCTAssertEqual(try RepositoryState.load(repo).timestamp.signed.version, state.timestamp.signed.version)

        // Later bundles keep the sequence line: a stage below it is refused at once.
        let low = [TUFRepository.BundleInput(path: "late.apb", bytes: try TUFRepositoryTests.bundle("full-ft", sequence: 3))]
        let part = try (0 ..< 4).map { try BinStaging.Part(index: $0, count: 4) }.first { BinStaging.owns("late.apb", part: $0, state: state) }!
        XCTAssertThrowsError(try stage(low, repo, part: part)) { XCTAssertTrue("\($0)".contains("already holds sequence 8"), "\($0)") }
    }

    func testTwoStagesOfOneBinBeforeAMergeAccumulate() throws {
        let repo = dir("r")
        try create(repo, bins: 2)
        let part = try BinStaging.Part(index: 0, count: 1)
        let bundles = try batch()
        // A batch is a set: any order of rising sequences is accepted…
        try stage(Array(bundles[0 ..< 4].reversed()), repo, part: part)
        // …but not a sequence the batch or an earlier stage holds already.
        let twice = TUFRepository.BundleInput(path: "twice.apb", bytes: bundles[5].bytes)
        XCTAssertThrowsError(try stage([bundles[5], twice], repo, part: part)) {
            XCTAssertTrue("\($0)".contains("already holds sequence 6"), "\($0)")
        }
        XCTAssertThrowsError(try stage([TUFRepository.BundleInput(path: "low.apb", bytes: bundles[2].bytes)], repo, part: part)) {
            XCTAssertTrue("\($0)".contains("already holds sequence 4"), "\($0)")
        }
        try stage(Array(bundles[4...]), repo, part: part)
        try merge(repo)
        XCTAssertEqual(try RepositoryState.load(repo).allTargets.count, bundles.count)
    }

    func testStageRefusesABundleOfAnotherPartAndWritesNothing() throws {
        let repo = dir("r")
        try create(repo, bins: 16)
        let bundle = try batch()[0]
        let state = try RepositoryState.load(repo)
        let other = try (0 ..< 4).map { try BinStaging.Part(index: $0, count: 4) }.first { !BinStaging.owns(bundle.path, part: $0, state: state) }!
        XCTAssertThrowsError(try BinStaging.stage([bundle], to: repo, part: other, trusted: TUFRepositoryTests.trusted,
                                                  targetsKey: keys.targets)) {
            XCTAssertTrue("\($0)".contains("hashes into \(state.bin(for: bundle.path)!), which is not in part \(other)"), "\($0)")
        }
        XCTAssertTrue(stagedFiles(repo).isEmpty)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo + "/targets"), [])
    }

    func testStageRefusesAKeyThatIsNotTheBinsKeyAndARepositoryWithoutBins() throws {
        let repo = dir("r")
        try create(repo, bins: 4)
        let part = try BinStaging.Part(index: 0, count: 1)
        XCTAssertThrowsError(try stage(try batch(), repo, part: part, targetsKey: keys.snapshot)) {
            XCTAssertTrue("\($0)".contains("is not a key of the bins-"), "\($0)")
        }
        XCTAssertTrue(stagedFiles(repo).isEmpty)
        let flat = dir("flat")
        try create(flat, bins: 0)
        XCTAssertThrowsError(try BinStaging.stage(try batch(), to: flat, part: part, trusted: TUFRepositoryTests.trusted,
                                                  targetsKey: keys.targets)) {
            XCTAssertTrue("\($0)".contains("has no hashed bins"), "\($0)")
        }
        XCTAssertThrowsError(try BinStaging.merge(flat, snapshotKey: keys.snapshot, timestampKey: keys.timestamp)) {
            XCTAssertTrue("\($0)".contains("has no hashed bins"), "\($0)")
        }
    }

    /// Workers of different parts cannot see each other's bundles; the merge applies the
    /// sequence rule across them and refuses the whole batch, the repository unchanged.
    func testMergeRefusesTheSameSequenceStagedInTwoBins() throws {
        let repo = dir("r")
        try create(repo, bins: 16)
        let state = try RepositoryState.load(repo)
        // Two names in different bins carrying the same sequence.
        var names = ["x0.apb"]
        var i = 1
        while state.bin(for: names[0]) == state.bin(for: "x\(i).apb") { i += 1 }
        names.append("x\(i).apb")
        let bytes = try TUFRepositoryTests.bundle(sequence: 5)
        let bundles = names.map { TUFRepository.BundleInput(path: $0, bytes: bytes) }
        for p in 0 ..< 16 { try stage(bundles, repo, part: BinStaging.Part(index: p, count: 16)) }
        XCTAssertEqual(stagedFiles(repo).count, 2)
        XCTAssertThrowsError(try merge(repo)) { XCTAssertTrue("\($0)".contains("already holds sequence 5"), "\($0)") }
        XCTAssertTrue(try RepositoryState.load(repo).allTargets.isEmpty)
        XCTAssertEqual(try RepositoryState.load(repo).timestamp.signed.version, 1)
    }

    func testMergeRefusesABinChangedSinceItWasStaged() throws {
        let repo = dir("r")
        try create(repo, bins: 2)
        let bundles = try batch()
        try stage([bundles[0]], repo, part: BinStaging.Part(index: 0, count: 1))
        // A regular publish into the same bin moves it on.
        let bin = try RepositoryState.load(repo).bin(for: bundles[0].path)!
        var name = "p0.apb"
        var i = 0
        while try RepositoryState.load(repo).bin(for: name) != bin { i += 1; name = "p\(i).apb" }
        try TUFRepository.publish([TUFRepository.BundleInput(path: name, bytes: try TUFRepositoryTests.bundle("full-ft", sequence: 9))],
                                  to: repo, cohort: "other", trusted: TUFRepositoryTests.trusted, targetsKey: keys.targets,
                                  snapshotKey: keys.snapshot, timestampKey: keys.timestamp)
        let before = try RepositoryState.load(repo).timestamp.signed.version
        XCTAssertThrowsError(try merge(repo)) { XCTAssertTrue("\($0)".contains("changed since it was staged"), "\($0)") }
        XCTAssertEqual(try RepositoryState.load(repo).timestamp.signed.version, before)
    }

    func testMergeRefusesAStagedBinWhoseBundleFileIsMissing() throws {
        let repo = dir("r")
        try create(repo, bins: 2)
        let staged = try stage([try batch()[0]], repo, part: BinStaging.Part(index: 0, count: 1))!
        try FileManager.default.removeItem(atPath: staged.published[0].file)
        XCTAssertThrowsError(try merge(repo)) { XCTAssertTrue("\($0)".contains("is missing"), "\($0)") }
        XCTAssertTrue(try RepositoryState.load(repo).allTargets.isEmpty)
    }

    /// A merge killed before any of its writes leaves the old repository (and the staged
    /// bins), and running it again finishes it; killed after timestamp.json the leftover
    /// staged files are recognised as merged.
    func testKillAtEveryWriteOfMerge() throws {
        let original = dir("original")
        try create(original, bins: 4)
        try stage(try batch(), original, part: BinStaging.Part(index: 0, count: 1))
        let probe = dir("probe")
        try FileManager.default.copyItem(atPath: original, toPath: probe)
        let counting = TUFRepositoryTests.CrashingWriter(after: .max)
        let saved = dir("saved-staging")
        try FileManager.default.copyItem(atPath: probe + "/.staging", toPath: saved)
        try merge(probe, writer: counting)
        let new = try RepositoryState.load(probe).allTargets
        XCTAssertEqual(new.count, 8)
        // Killed between timestamp.json and removing the staged files: those are merged already.
        try FileManager.default.removeItem(atPath: probe + "/.staging")
        try FileManager.default.copyItem(atPath: saved, toPath: probe + "/.staging")
        XCTAssertTrue(try merge(probe).isEmpty)
        XCTAssertTrue(stagedFiles(probe).isEmpty)
        XCTAssertEqual(try RepositoryState.load(probe).allTargets, new)
        for k in 0 ..< counting.count {
            let copy = dir("crash-\(k)")
            try FileManager.default.copyItem(atPath: original, toPath: copy)
            XCTAssertThrowsError(try merge(copy, writer: TUFRepositoryTests.CrashingWriter(after: k)))
            XCTAssertTrue(try RepositoryState.load(copy).allTargets.isEmpty, "after \(k) writes")
            try merge(copy)
            XCTAssertEqual(try RepositoryState.load(copy).allTargets, new)
            XCTAssertTrue(stagedFiles(copy).isEmpty)
        }
    }
}
