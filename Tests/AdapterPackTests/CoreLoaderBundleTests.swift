import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack

/// Bundles for a loader built without some codecs (`diff --without`): they
/// must not use them, and must still reproduce the target exactly.
final class CoreLoaderBundleTests: XCTestCase {
    func coreBundle(_ variant: String, deflate: Bool, lowRank: Bool) throws -> (ParsedBundle, [UInt8], [UInt8]) {
        let base = Fixtures.model("base"), target = Fixtures.model(variant)
        var options = BundleOptions()
        options.deflate = deflate
        options.lowRank = lowRank
        let bytes = try DiffBundler.bundle(base: base, target: target, key: Fixtures.ed25519Key, options: options).bytes
        return (try ParsedBundle(bytes: bytes), base, target)
    }

    func testWithoutDeflateAndLowRankUsesNeither() throws {
        for variant in Fixtures.digitsVariants {
            let (bundle, base, target) = try coreBundle(variant, deflate: false, lowRank: false)
            for record in bundle.blocks.flatMap(\.records) {
                XCTAssertEqual(record.codec, .stored, "digits/\(variant) \(record.kind)")
            }
            for kind in SectionKind.allCases where kind.isOpStream {
                let opcodes = try bundle.operations(kind).map(\.opcode)
                XCTAssertFalse(opcodes.contains(.lowRankResidual), "digits/\(variant) \(kind)")
                XCTAssertFalse(opcodes.contains(.loraWeights) || opcodes.contains(.loraBias), "digits/\(variant)")
            }
            XCTAssertEqual(bundle.header.factorBytes, 0, "digits/\(variant)")
            let applied = try HostLoader.apply(bundle: bundle.bytes, base: base, keys: Fixtures.trusted)
            XCTAssertEqual(applied.model, target, "digits/\(variant)")
            let removed = try HostLoader.unapply(bundle: bundle.bytes, target: target, keys: Fixtures.trusted)
            XCTAssertEqual(removed.model, base, "digits/\(variant)")
            print("digits/\(variant) for the core loader: \(bundle.bytes.count) bytes")
        }
    }

    /// The default bundle of digits/lora does use both, so the test above is
    /// not vacuous.
    func testDefaultBundleUsesDeflateAndLowRank() throws {
        let (bundle, _, _) = try coreBundle("lora", deflate: true, lowRank: true)
        XCTAssertTrue(bundle.blocks.flatMap(\.records).contains { if case .deflate = $0.codec { return true } else { return false } })
        XCTAssertGreaterThan(bundle.header.factorBytes, 0)
    }

    /// A target that is longer than its base needs a layout section: refused
    /// for a loader without layout support, with the reason, and nothing made.
    func testWithoutLayoutRefusesALayoutChange() throws {
        let base = Fixtures.model("base")
        let target = base + (0 ..< 16).map { UInt8($0) }
        var options = BundleOptions()
        options.layout = false
        XCTAssertThrowsError(try DiffBundler.bundle(base: base, target: target, key: Fixtures.ed25519Key, options: options)) {
            guard case BundleBuildError.layoutChanges(_, let change)? = $0 as? BundleBuildError else {
                return XCTFail("\($0)")
            }
            XCTAssertEqual(change, 16)
            XCTAssertTrue("\($0)".contains("--without layout"), "\($0)")
        }
        // The same pair with layout support: a layout section, and exact round trips.
        let bytes = try DiffBundler.bundle(base: base, target: target, key: Fixtures.ed25519Key).bytes
        XCTAssertFalse(try ParsedBundle(bytes: bytes).records(of: .layout).isEmpty)
        XCTAssertEqual(try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted).model, target)
        // A same-layout pair is unaffected by the option.
        let variant = Fixtures.model("head-ft")
        XCTAssertNoThrow(try DiffBundler.bundle(base: base, target: variant, key: Fixtures.ed25519Key, options: options))
    }

    func testNotBuiltInMessageNamesTheFeatureAndTheFix() {
        for feature in LoaderFeature.allCases {
            let text = LoaderError.notBuiltIn(feature).description
            XCTAssertTrue(text.contains("ADAPTERPACK_NO_\(feature.conditionSuffix)"), text)
            if feature != .lora { XCTAssertTrue(text.contains("--without \(feature)"), text) }
        }
        // The host build includes every codec.
        XCTAssertTrue(LoaderFeature.allCases.allSatisfy(LoaderFeature.isBuiltIn))
    }
}
