import Foundation
import XCTest
import TestSupport
import AdapterFormat

/// The fuzz targets' checks (Tests/Fuzz/Checks, the same code the libFuzzer
/// binaries run) over every input that once broke them
/// (Tests/Fuzz/regressions/<target>/) and over their seeds, in `swift test`.
final class FuzzRegressionTests: XCTestCase {
    static var checks: [String: @Sendable ([UInt8]) throws(InvariantViolation) -> Void] { [
        "bundle-load": BundleLoadCheck.run, "bundle-verify": VerifyCheck.run,
        "inflate": DecoderChecks.inflate, "coded-values": DecoderChecks.codedValues,
        "op-stream": DecoderChecks.opStream, "block-records": DecoderChecks.blockRecords,
        "journal-scan": JournalCheck.scan,
        "tflite": HostParserChecks.tflite, "safetensors": HostParserChecks.safetensors,
        "peft-config": HostParserChecks.peftConfig, "tuf-metadata": TUFMetadataCheck.run,
    ] }

    static let fuzzRoot = RepoPaths.root.appendingPathComponent("Tests/Fuzz")

    func files(_ directory: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { !$0.hasDirectoryPath }.sorted { $0.path < $1.path }
    }

    func testRegressionInputsPassEveryCheck() throws {
        let root = Self.fuzzRoot.appendingPathComponent("regressions")
        var count = 0
        for (target, check) in Self.checks {
            for file in files(root.appendingPathComponent(target)) {
                let input = try RepoPaths.bytes(file)
                XCTAssertNoThrow(try check(input), "\(target): \(file.lastPathComponent)")
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 0, "regressions/ holds the inputs fuzzing found")
        // Every directory there names a target.
        for directory in ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []) {
            XCTAssertNotNil(Self.checks[directory], "regressions/\(directory) is no fuzz target")
        }
    }

    /// The golden vectors go all the way: bundle-load applies them to its
    /// made-up base (the target hash declared again) and unapplies them back,
    /// and the real verifier accepts them (signed with the development key).
    func testVectorsRunEndToEnd() throws {
        let vectors = files(RepoPaths.vectors).filter { $0.pathExtension == "apb" }
        XCTAssertFalse(vectors.isEmpty)
        for bundle in vectors { try checkEndToEnd(bundle) }
    }

    /// bundle-load's verdict on `bundle` (its made-up base), the real verifier and the op-stream decoder.
    private func checkEndToEnd(_ bundle: URL) throws {
        let bytes = try RepoPaths.bytes(bundle)
        // A one-way bundle refuses unapply; a lowRankResidual one cannot unapply a target
        // made on the check's made-up base (its inverse needs the exact target, FORMAT.md §5.5).
        let oneWayOrLowRank = bytes[6] & (StreamHeader.oneWayFlag | StreamHeader.flag(.lowRank)) != 0
        let verdict = try BundleLoadCheck.verdict(bytes)
        if bytes[6] & StreamHeader.flag(.lora) != 0, case .refused(.format(.malformedRecord(_, _, .lora(.badScale)))) = verdict {
            // `loraScales` reads real float32 scales; the check's made-up base has none there.
            return
        }
        XCTAssertEqual(verdict, .applied(unapplied: !oneWayOrLowRank), bundle.lastPathComponent)
        XCTAssertTrue(try VerifyCheck.accepts(bytes), bundle.lastPathComponent)
        XCTAssertNoThrow(try DecoderChecks.opStream(bytes))
    }

    /// The multi-block seed bundles (Tests/Fuzz/seeds/bundles, made by
    /// seeds/generate.sh) apply and verify as the vectors do, and the corpus
    /// files pass their checks.
    func testSeedsPassTheirChecks() throws {
        let bundles = files(Self.fuzzRoot.appendingPathComponent("seeds/bundles")).filter { $0.pathExtension == "apb" }
        XCTAssertGreaterThanOrEqual(bundles.count, 3)
        for bundle in bundles { try checkEndToEnd(bundle) }
        for metadata in files(Self.fuzzRoot.appendingPathComponent("seeds/tuf")) {
            XCTAssertNoThrow(try TUFMetadataCheck.run(try RepoPaths.bytes(metadata)), metadata.lastPathComponent)
        }
        for model in files(RepoPaths.digits).filter({ $0.pathExtension == "tflite" }) {
            XCTAssertNoThrow(try HostParserChecks.tflite(try RepoPaths.bytes(model)), model.lastPathComponent)
        }
        let adapter = RepoPaths.digits.appendingPathComponent("lora-adapter")
        XCTAssertNoThrow(try HostParserChecks.safetensors(try RepoPaths.bytes(adapter.appendingPathComponent("adapter_model.safetensors"))))
        XCTAssertNoThrow(try HostParserChecks.peftConfig(try RepoPaths.bytes(adapter.appendingPathComponent("adapter_config.json"))))
    }

    /// What the fix-ups cannot save is refused, and the refusal invariant
    /// holds: an unknown major version (the store stays the base); a record
    /// of an unknown kind in block 2 (blocks 0 and 1 stay applied, block 2
    /// writes nothing); with the fix-ups off, a trailing byte.
    /// The journal-scan check on its seed shapes: two intact records (the
    /// newest resumed, its unit rebuilt from the scratch), no record, a record
    /// of another bundle, one of a unit outside the model, and a full journal.
    func testJournalScanCheckOnSeedShapes() throws {
        func slot(step: UInt32, unit: UInt32, ours: Bool = true) -> [UInt8] {
            var s = [UInt8](repeating: 0, count: 112)
            s[4] = 1; s[5] = 1; s[7] = ours ? 1 : 0
            for k in 0 ..< 4 { s[8 + k] = UInt8(truncatingIfNeeded: step >> (8 * k)); s[12 + k] = UInt8(truncatingIfNeeded: unit >> (8 * k)) }
            return s
        }
        let head: [UInt8] = [0, 0] + (1 ... 24).map { UInt8($0) }
        func input(_ journal: [UInt8]) -> [UInt8] {
            head + journal + [UInt8](repeating: 0xFF, count: max(0, 512 - journal.count)) + [UInt8](repeating: 7, count: 256)
        }
        for case let shape in [input(slot(step: 3, unit: 0) + slot(step: 4, unit: 1)), head, input(slot(step: 1, unit: 0, ours: false)),
                               input(slot(step: 2, unit: 9)), input((0 ..< 4).flatMap { slot(step: UInt32($0), unit: 1) })] {
            XCTAssertNoThrow(try JournalCheck.scan(shape))
        }
    }

    func testRefusals() throws {
        let chained = try RepoPaths.bytes(Self.fuzzRoot.appendingPathComponent("seeds/bundles/digits-head-ft-256.apb"))
        let end0 = 176 + Int(BundleLoadCheck.read16(chained, 28))
        let end1 = end0 + Int(BundleLoadCheck.read16(chained, end0 - 34))
        var hostile = chained
        hostile[end1] = 0x0F  // kind 15: no record
        XCTAssertEqual(try BundleLoadCheck.verdict(hostile),
                       .refused(.format(.malformedBlock(block: 2, offset: 0, .unknownRecord(0x0F)))))

        let bytes = try RepoPaths.bytes(RepoPaths.vectors.appendingPathComponent("hello-world-grown.apb"))
        var bad = bytes
        bad[4] = 4  // major version
        guard case .refused(.format(.unsupportedVersion))? = try? BundleLoadCheck.verdict(bad) else {
            return XCTFail("major version 4 was not refused")
        }
        var raw = bytes
        raw[5] |= 0x80  // fix-ups off but the digests
        raw.append(0)
        guard case .refused(.sourceLengthMismatch)? = try? BundleLoadCheck.verdict(raw) else {
            return XCTFail("a trailing byte with fix-ups off was not refused")
        }
    }
}
