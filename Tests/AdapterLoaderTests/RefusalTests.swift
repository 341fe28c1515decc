import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack

/// Every refusal names its cause, and a refused bundle never changes the model.
final class RefusalTests: XCTestCase {
    let base = LoaderHarness.model("base")
    let target = LoaderHarness.model("head-ft")
    lazy var bundle = LoaderHarness.bundle(base, target)

    func refused(_ bytes: [UInt8], model: [UInt8]? = nil, window: Int? = nil, capacity: Int? = nil,
                 minimumSequence: UInt64 = 0, keys: TrustedKeys = LoaderHarness.keys,
                 file: StaticString = #filePath, line: UInt = #line) -> LoaderError? {
        let model = model ?? base
        let run = LoaderHarness.apply(bytes, to: model, window: window, capacity: capacity,
                                      minimumSequence: minimumSequence, keys: keys)
        XCTAssertNotNil(run.error, "bundle was accepted", file: file, line: line)
        XCTAssertEqual(run.store, model, "a refused bundle changed the model", file: file, line: line)
        return run.error
    }

    func testAcceptsTheUntouchedBundle() {
        let run = LoaderHarness.apply(bundle, to: base)
        XCTAssertNil(run.error)
        XCTAssertEqual(run.store, target)
    }

    func testWrongMagic() {
        var b = bundle; b[0] = 0x58
        guard case .format(.badMagic)? = refused(b) else { return XCTFail("expected badMagic") }
    }

    /// Lengths of 2^31 or more would not fit a 32-bit device's Int: refused by name.
    func testLengthsBeyondTwoGiBAreRefused() {
        for (offset, field) in [(8, HeaderField.bundleLength), (20, .windowSize), (12, .baseLength), (16, .targetLength)] {
            var b = bundle
            b[offset] = 0; b[offset + 1] = 0; b[offset + 2] = 0; b[offset + 3] = 0x80
            guard case .format(.invalidHeaderField(field, value: 0x8000_0000))? = refused(b, window: 4096) else {
                return XCTFail("\(field) of 2^31 was not refused by name")
            }
        }
    }

    func testUnknownMajorVersion() {
        var b = bundle; b[4] = 4
        XCTAssertEqual(refused(b), .format(.unsupportedVersion(major: 4, minor: 0)))
    }

    /// A stream that stops early (in the front, the signature or a block) is incomplete.
    func testTruncatedAtEveryRegion() {
        for cut in [0, 3, 50, 111, 112, 175, 176, 300, bundle.count / 2, bundle.count - 1] {
            let error = refused(Array(bundle[0 ..< cut]))
            guard case .streamIncomplete? = error else { return XCTFail("cut \(cut): \(String(describing: error))") }
        }
    }

    func testTrailingBytes() {
        XCTAssertEqual(refused(bundle + [0]), .sourceLengthMismatch(headerLength: UInt32(bundle.count), sourceLength: bundle.count + 1))
    }

    func testBlockLengthPastTheBundle() {
        var b = bundle
        // Block 0's length (front offset 28) made larger than the block limit.
        b[28] = 0xFF; b[29] = 0xFF
        XCTAssertEqual(refused(b), .format(.invalidHeaderField(.firstBlockLength, value: 0xFFFF)))
    }

    func testDigestMismatchNamesTheBlock() throws {
        var options = BundleOptions()
        options.blockSize = 256
        let chained = try DiffBundler.bundle(base: base, target: target, key: LoaderHarness.key, options: options).bytes
        let parsed = try ParsedBundle(bytes: chained)
        XCTAssertGreaterThan(parsed.blocks.count, 2)
        var b = chained; b[parsed.blocks[2].offset + 3] ^= 0x40
        let run = LoaderHarness.apply(b, to: base)
        XCTAssertEqual(run.error, .format(.malformedBlock(block: 2, offset: 0, .digestMismatch)))
        XCTAssertTrue(run.error!.description.contains("block 2"))
        // Blocks 0 and 1 were verified and applied before block 2 arrived (FORMAT.md §8).
        XCTAssertNotEqual(run.store, base)
    }

    func testSignatureInvalid() {
        var b = bundle; b[b.count - 1] ^= 1
        XCTAssertEqual(refused(b), .signatureInvalid)
    }

    func testUnknownKey() throws {
        let other = TrustedKeys([LoaderHarness.stranger.verifyingKey])
        let parsed = try ParsedBundle(bytes: bundle)
        XCTAssertEqual(refused(bundle, keys: other), .unknownKey(keyID: parsed.header.keyID))
    }

    func testBaseMismatchGivesBothHashes() {
        let wrong = LoaderHarness.model("full-ft")
        let error = refused(bundle, model: wrong)
        XCTAssertEqual(error, .baseMismatch(expected: sha256(base), actual: sha256(wrong)))
        XCTAssertTrue(error!.description.contains(sha256(base).hex))
        XCTAssertTrue(error!.description.contains(sha256(wrong).hex))
    }

    func testWindowTooSmall() throws {
        let declared = Int(try ParsedBundle(bytes: bundle).header.windowSize)
        XCTAssertEqual(refused(bundle, window: declared - 1), .windowTooSmall(needed: declared, given: declared - 1))
        XCTAssertEqual(refused(bundle, window: 100), .windowTooSmall(needed: 512, given: 100))
        XCTAssertNil(LoaderHarness.apply(bundle, to: base, window: declared).error)
    }

    func testRollback() {
        XCTAssertEqual(refused(bundle, minimumSequence: 2), .rollback(bundleSequence: 1, deviceSequence: 2))
        XCTAssertNil(LoaderHarness.apply(bundle, to: base, minimumSequence: 1).error)
    }

    func testStoreTooSmallAndWrongLength() {
        let grown = base + [1, 2, 3, 4]
        let growing = LoaderHarness.bundle(base, grown)
        XCTAssertEqual(refused(growing, capacity: base.count), .storeTooSmall(needed: UInt32(grown.count), capacity: base.count))
        XCTAssertEqual(refused(bundle, model: Array(base.dropLast())), .modelLengthMismatch(expected: UInt32(base.count), actual: base.count - 1))
    }

    func testUnapplyOfAModelThatIsNotTheTarget() {
        let run = LoaderHarness.apply(bundle, to: base, unapply: true)
        XCTAssertEqual(run.error, .notTarget(expected: sha256(target), actual: sha256(base)))
        XCTAssertEqual(run.store, base)
    }

    /// Flipping any single byte of a one-block bundle makes the loader refuse
    /// it before writing (multi-block bundles: StreamRefusalTests).
    func testEverySingleByteFlipIsRefused() throws {
        let small = LoaderHarness.model("base")
        var tuned = small
        for i in stride(from: 30_400, to: 30_800, by: 37) { tuned[i] &+= 1 }
        let b = LoaderHarness.bundle(small, tuned)
        var refusedCount = 0
        for i in 0 ..< b.count {
            for mask: UInt8 in [0x01, 0x80] {
                var flipped = b
                flipped[i] ^= mask
                let run = LoaderHarness.apply(flipped, to: small)
                XCTAssertNotNil(run.error, "flip at \(i) accepted")
                XCTAssertEqual(run.store, small, "flip at \(i) changed the model")
                refusedCount += 1
            }
        }
        print("single-byte flips refused: \(refusedCount) of \(b.count * 2) (bundle \(b.count) bytes)")
    }
}
