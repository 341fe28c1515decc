import XCTest
import AdapterFormat
@testable import AdapterPack
import TestSupport

/// The lossy low-rank coding of `diff --lossy` (no guard needed here): what
/// the device ends up holding per tolerance, and the accuracy record.
final class LossyCodingTests: XCTestCase {
    let base = RepoPaths.modelBytes("base"), target = RepoPaths.modelBytes("full-ft")

    func problems() throws -> [LowRankProblem] {
        LossyDiffBundler.problems(base: base, target: target, baseModel: try TFLiteModel(bytes: base),
                                  targetModel: try TFLiteModel(bytes: target))
    }

    func testEveryChangedWeightTensorOfAFullFineTuneQualifiesLargestFirst() throws {
        let found = try problems()
        XCTAssertEqual(found.map { [$0.rows, $0.columns] }, [[48, 512], [32, 144], [10, 48], [16, 9]])
        for p in found {
            XCTAssertGreaterThanOrEqual(LossyDiffBundler.rankLimit(p), 1)
            XCTAssertLessThanOrEqual(p.captured(rank: 1), p.captured(rank: 2))
        }
    }

    /// Tolerance 0 writes the target's bytes; t writes bytes within t steps of
    /// them; `Int.max` the prediction alone, which misses by more.
    func testToleranceBoundsWhatTheDeviceHolds() throws {
        let fc1 = try XCTUnwrap(problems().first)
        func worst(_ tolerance: Int) throws -> (miss: Int, inverse: Int) {
            let c = try XCTUnwrap(fc1.candidate(rank: 4, tolerance: tolerance, segmentSize: 4096, block: 0))
            let miss = zip(c.produced, fc1.new).map { abs(Int(Int8(bitPattern: $0)) - Int(Int8(bitPattern: $1))) }.max() ?? 0
            return (miss, c.report.inverseResidualBytes)
        }
        XCTAssertEqual(try worst(0).miss, 0)
        XCTAssertLessThanOrEqual(try worst(1).miss, 1)
        XCTAssertLessThanOrEqual(try worst(4).miss, 4)
        let alone = try worst(.max)
        XCTAssertGreaterThan(alone.miss, 4, "rank 4 of a full fine-tune is an approximation")
        // Lossy codings carry no inverse residual (one-way): an all-zero one codes to a few bytes a segment.
        XCTAssertLessThan(alone.inverse, try worst(0).inverse / 10)
    }

    func testAccuracyRecordRoundTripsAndRefusesBrokenText() throws {
        let record = AccuracyRecord(approximate: true, accuracy: 0.855, reference: 0.8675, maxDrop: 0.02, data: "eval.npz (shifted)")
        XCTAssertEqual(record.text, "approx 8550 8675 200 data=eval.npz (shifted)")
        XCTAssertEqual(AccuracyRecord(text: record.text), record)
        let bare = AccuracyRecord(approximate: false, accuracy: 0.5, reference: 0.5, maxDrop: 0)
        XCTAssertEqual(bare.text, "exact 5000 5000 0")
        XCTAssertEqual(AccuracyRecord(text: bare.text), bare)
        // Words a newer writer adds after the numbers are skipped.
        XCTAssertEqual(AccuracyRecord(text: "approx 8550 8675 200 f1=5000")?.accuracy, 0.855)
        for broken in ["", "maybe 8000 8000 100", "approx 8000 8000", "approx x 8000 100", "approx 8000 10001 100",
                       "approx -1 8000 100", "approx  8000 8000 100", "approx 8000 8000 1e2"] {
            XCTAssertNil(AccuracyRecord(text: broken), broken)
        }
    }
}

/// The generated 1.1 M-parameter pair (Examples/large): the files are the
/// ones its eval.json names, and its 2048-column layer takes the subspace SVD path.
final class LargeModelLossyTests: XCTestCase {
    let directory = RepoPaths.root.appendingPathComponent("Examples/large")

    func testCommittedModelsAreTheGeneratorsOutput() throws {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("eval.json")))
                                 as? [String: Any])
        XCTAssertGreaterThanOrEqual(json["params"] as? Int ?? 0, 1_000_000)
        for name in ["base", "full-ft"] {
            let bytes = try RepoPaths.bytes(directory.appendingPathComponent("\(name).tflite"))
            XCTAssertEqual(sha256(bytes).hex, (json[name] as? [String: Any])?["sha256"] as? String, name)
        }
    }

    func testWideLayerQualifiesAndItsPredictionApproximatesTheTarget() throws {
        let base = try RepoPaths.bytes(directory.appendingPathComponent("base.tflite"))
        let target = try RepoPaths.bytes(directory.appendingPathComponent("full-ft.tflite"))
        let b = try TFLiteModel(bytes: base), t = try TFLiteModel(bytes: target)
        let pair = try XCTUnwrap(TensorMatcher.match(base: b, target: t).first { $0.target.shape == [512, 2048] })
        let problem = try XCTUnwrap(LowRankProblem(base: base, target: target, baseTensor: pair.base, targetTensor: pair.target,
                                                   baseStart: pair.base.dataRange!.lowerBound, range: pair.target.dataRange!,
                                                   maxRank: 2))
        XCTAssertEqual(problem.sigma.count, 2)
        XCTAssertGreaterThan(problem.sigma[0], problem.sigma[1])
        let c = try XCTUnwrap(problem.candidate(rank: 2, tolerance: .max, segmentSize: 4096, block: 0))
        // Closer to the target than the base is, byte for byte (in int8 steps, summed).
        func distance(_ x: [UInt8]) -> Int { zip(x, problem.new).reduce(0) { $0 + abs(Int(Int8(bitPattern: $1.0)) - Int(Int8(bitPattern: $1.1))) } }
        XCTAssertLessThan(distance(c.produced), distance(problem.old))
        XCTAssertEqual(c.report.rank, 2)
    }
}
