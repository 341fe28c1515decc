import XCTest
import AdapterFormat
@testable import AdapterPack

/// Test bundles of the three digits fine-tunes, made once.
enum ReportFixtures {
    static let base = Fixtures.model("base")
    static let variants = Fixtures.digitsVariants
    static let targets: [String: [UInt8]] = Dictionary(uniqueKeysWithValues: variants.map { ($0, Fixtures.model($0)) })
    static let bundles: [String: [UInt8]] = Dictionary(uniqueKeysWithValues: variants.map {
        ($0, try! DiffBundler.bundle(base: base, target: targets[$0]!, key: Fixtures.ed25519Key).bytes)
    })
    static var inputs: [ReportBuilder.Input] {
        variants.map { ReportBuilder.Input(path: "\($0).apb", bytes: bundles[$0]!) }
    }

    /// The full report: base, keys to reconstruct targets, a fleet with a price.
    static func fullReport(devices: Int = 1000, price: Double? = 0.5) throws -> OTAReport {
        var builder = ReportBuilder()
        builder.base = ("base.tflite", base)
        builder.keys = Fixtures.trusted
        builder.devices = devices
        builder.pricePerMB = price
        return try builder.build(inputs)
    }
}

final class ReportBundleTests: XCTestCase {
    func testSectionSizesAddUpToTheBundle() throws {
        for variant in ReportFixtures.variants {
            let bytes = ReportFixtures.bundles[variant]!
            let parsed = try ParsedBundle(bytes: bytes)
            let sizes = BundleSizeAnalysis(parsed)
            XCTAssertEqual(sizes.totalBytes, bytes.count)
            XCTAssertEqual(sizes.parts.reduce(0) { $0 + $1.storedBytes }, bytes.count, variant)
            XCTAssertEqual(sizes.parts.map(\.name).prefix(3), ["front", "signature", "block-chain"])
            XCTAssertEqual(sizes.parts[0].storedBytes, 112)
            XCTAssertEqual(sizes.parts[1].storedBytes, 64)
            XCTAssertEqual(sizes.parts[2].storedBytes, 34 * (parsed.blocks.count - 1))
            XCTAssertEqual(sizes.parts.last?.name, "record-headers")
            XCTAssertTrue(sizes.parts.contains { $0.name == "payload" }, variant)
            XCTAssertEqual(sizes.parts.reduce(0) { $0 + $1.fraction }, 1, accuracy: 1e-9)
            for (kind, stored) in parsed.sectionSizes {
                let part = try XCTUnwrap(sizes.parts.first { $0.name == kind.description })
                XCTAssertEqual(part.storedBytes, stored)
                let decoded = parsed.records(of: kind).reduce(0) { $0 + Int($1.decodedLength) }
                XCTAssertEqual(part.decodedBytes, decoded)
                XCTAssertEqual(part.compressionRatio, Double(decoded) / Double(stored), accuracy: 1e-12)
            }
            let op = parsed.blocks.flatMap(\.records).filter(\.kind.isOpStream)
            XCTAssertEqual(sizes.opStreamStoredBytes, op.reduce(0) { $0 + Int($1.storedLength) })
            XCTAssertEqual(sizes.opStreamDecodedBytes, op.reduce(0) { $0 + Int($1.decodedLength) })
        }
    }

    func testByteDelta() {
        let base: [UInt8] = [10, 20, 30, 40]
        XCTAssertEqual(ByteDelta.delta(base: base, target: [10, 21, 29, 40]), [0, 1, 255, 0])
        XCTAssertEqual(ByteDelta.delta(base: base, target: [11, 20]), [1, 0])
        XCTAssertEqual(ByteDelta.delta(base: base, target: [10, 20, 30, 40, 7, 8]), [0, 0, 0, 0, 7, 8])
        // An unchanged model costs only the zlib framing of a run of zeros.
        let model = ReportFixtures.base
        XCTAssertLessThan(ByteDelta.size(base: model, target: model), 100)
        XCTAssertEqual(ByteDelta.size(base: model, target: model),
                       Deflate.zlibSize([UInt8](repeating: 0, count: model.count), level: 9))
    }

    func testComparisonsWithReconstructedTargets() throws {
        let report = try ReportFixtures.fullReport()
        XCTAssertEqual(report.bundles.count, 3)
        for (variant, bundle) in zip(ReportFixtures.variants, report.bundles) {
            let target = ReportFixtures.targets[variant]!
            let c = bundle.comparison
            XCTAssertEqual(c.bundleBytes, ReportFixtures.bundles[variant]!.count)
            XCTAssertEqual(c.fullModelRawBytes, target.count)
            XCTAssertEqual(c.fullModelZlib9Of, "target")
            XCTAssertEqual(c.fullModelZlib9Bytes, Deflate.zlibSize(target, level: 9))
            XCTAssertEqual(c.targetSource, "applied (--key)")
            XCTAssertEqual(c.byteDeltaZlib9Bytes, ByteDelta.size(base: ReportFixtures.base, target: target))
            XCTAssertEqual(c.savingVsFullRaw, 1 - Double(c.bundleBytes) / Double(target.count), accuracy: 1e-12)
            XCTAssertLessThan(c.bundleBytes, c.fullModelRawBytes, "a bundle is smaller than the model (\(variant))")
            XCTAssertLessThan(c.bundleBytes, c.fullModelZlib9Bytes!, "and than the compressed model (\(variant))")
            XCTAssertEqual(bundle.targetSHA256, sha256(target).hex)
            XCTAssertEqual(bundle.links.count, LinkCatalog.all.count)
        }
    }

    func testTargetsFromFilesAndBaseProxy() throws {
        var builder = ReportBuilder()
        builder.targets = [("lora.tflite", ReportFixtures.targets["lora"]!)]
        let onlyTarget = try builder.build([ReportBuilder.Input(path: "lora.apb", bytes: ReportFixtures.bundles["lora"]!)])
        XCTAssertEqual(onlyTarget.bundles[0].comparison.targetSource, "file (--target)")
        XCTAssertNil(onlyTarget.bundles[0].comparison.byteDeltaZlib9Bytes, "no base, no delta")

        var baseOnly = ReportBuilder()
        baseOnly.base = ("base.tflite", ReportFixtures.base)
        let proxy = try baseOnly.build([ReportBuilder.Input(path: "lora.apb", bytes: ReportFixtures.bundles["lora"]!)])
        XCTAssertEqual(proxy.bundles[0].comparison.fullModelZlib9Of, "base (proxy: target not available)")
        XCTAssertEqual(proxy.bundles[0].comparison.fullModelZlib9Bytes, Deflate.zlibSize(ReportFixtures.base, level: 9))
        XCTAssertNil(proxy.bundles[0].comparison.targetSource)

        let bare = try ReportBuilder().build(ReportFixtures.inputs)
        XCTAssertNil(bare.bundles[0].comparison.fullModelZlib9Bytes)
        XCTAssertNil(bare.fleetTotals.cost)
    }

    /// Fleet: 1000 devices × (sum of the three bundles) at 0.50 per MB of 10^6 bytes.
    func testFleetTotals() throws {
        let report = try ReportFixtures.fullReport(devices: 1000, price: 0.5)
        let sum = ReportFixtures.variants.reduce(0) { $0 + ReportFixtures.bundles[$1]!.count }
        XCTAssertEqual(report.fleetTotals.devices, 1000)
        XCTAssertEqual(report.fleetTotals.bytes, sum * 1000)
        XCTAssertEqual(report.fleetTotals.cost!, Double(sum) * 1000 / 1_000_000 * 0.5, accuracy: 1e-9)
        for bundle in report.bundles {
            XCTAssertEqual(bundle.fleet.bytes, bundle.bundleBytes * 1000)
            for (fleetLink, t) in zip(bundle.fleet.links, bundle.links) {
                XCTAssertEqual(fleetLink.link, t.link)
                XCTAssertEqual(fleetLink.frames, t.frames * 1000)
                XCTAssertEqual(fleetLink.timeOnAirSeconds, t.timeOnAirSeconds * 1000, accuracy: 1e-6)
                XCTAssertEqual(fleetLink.energyJoules, t.energyMillijoules, accuracy: 1e-6) // mJ × 1000 devices = J
            }
        }
        for (i, total) in report.fleetTotals.links.enumerated() {
            let air = report.bundles.reduce(0.0) { $0 + $1.links[i].timeOnAirSeconds } * 1000
            XCTAssertEqual(total.timeOnAirSeconds, air, accuracy: 1e-6)
        }
    }

    func testRefusals() throws {
        XCTAssertThrowsError(try ReportBuilder().build([ReportBuilder.Input(path: "model.tflite", bytes: ReportFixtures.base)])) {
            XCTAssertTrue("\($0)".hasPrefix("model.tflite: not a readable adapterpack bundle"), "\($0)")
        }
        var wrongBase = ReportBuilder()
        wrongBase.base = ("lora.tflite", ReportFixtures.targets["lora"]!)
        XCTAssertThrowsError(try wrongBase.build(ReportFixtures.inputs)) {
            XCTAssertEqual($0 as? ReportError, .baseMismatch(base: "lora.tflite", bundle: "full-ft.apb"))
        }
        var strayTarget = ReportBuilder()
        strayTarget.targets = [("base.tflite", ReportFixtures.base)]
        XCTAssertThrowsError(try strayTarget.build(ReportFixtures.inputs)) {
            XCTAssertEqual($0 as? ReportError, .targetMatchesNoBundle(path: "base.tflite"))
        }
        var wrongKey = ReportBuilder()
        wrongKey.base = ("base.tflite", ReportFixtures.base)
        wrongKey.keys = TrustedKeys([Fixtures.otherKey.verifyingKey])
        XCTAssertThrowsError(try wrongKey.build(ReportFixtures.inputs)) {
            XCTAssertTrue("\($0)".contains("full-ft.apb: could not apply"), "\($0)")
        }
        var noDevices = ReportBuilder()
        noDevices.devices = 0
        XCTAssertThrowsError(try noDevices.build(ReportFixtures.inputs))
    }
}
