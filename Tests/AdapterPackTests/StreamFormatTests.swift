import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack

/// Format 2 (Spec/FORMAT.md): corpus bundles streamed in pieces of any size
/// apply and unapply byte-exactly through `StreamLoader`.
final class StreamFormatTests: XCTestCase {
    static let pieces = [1, 7, 64, 300, 4096]

    static func options(blockSize: Int = 4096) -> BundleOptions {
        var options = BundleOptions()
        options.blockSize = blockSize
        return options
    }

    static func diffBundle(_ base: [UInt8], _ target: [UInt8], blockSize: Int = 4096) throws -> [UInt8] {
        try DiffBundler.bundle(base: base, target: target, key: Fixtures.ed25519Key, options: options(blockSize: blockSize)).bytes
    }

    func roundTrip(_ name: String, base: [UInt8], target: [UInt8], bundle: [UInt8], pieces: [Int] = pieces) throws {
        let front = try HostLoader.verifyFront(bundle: bundle, keys: Fixtures.trusted)
        for piece in pieces {
            let applied = try HostLoader.apply(bundle: bundle, base: base, keys: Fixtures.trusted, piece: piece)
            XCTAssertEqual(applied.model, target, "\(name): apply in \(piece)-byte pieces")
            XCTAssertEqual(applied.outcome.state, .target)
            let removed = try HostLoader.unapply(bundle: bundle, target: target, keys: Fixtures.trusted, piece: piece)
            XCTAssertEqual(removed.model, base, "\(name): unapply in \(piece)-byte pieces")
        }
        print("format 2: \(name): \(bundle.count) bytes, window \(front.windowSize) B (block buffer \(front.blockLimit), "
              + "factors \(front.factorBytes)), step bound \(front.stepBound)")
    }

    func testDigitsVariantsStreamInEveryPieceSize() throws {
        let base = Fixtures.model("base")
        for variant in Fixtures.digitsVariants {
            let target = Fixtures.model(variant)
            try roundTrip("digits/\(variant)", base: base, target: target, bundle: try Self.diffBundle(base, target))
        }
    }

    func testSmallBlocksChainManyBlocks() throws {
        let base = Fixtures.model("base"), target = Fixtures.model("full-ft")
        let bundle = try Self.diffBundle(base, target, blockSize: 512)
        try roundTrip("digits/full-ft, 512-byte blocks", base: base, target: target, bundle: bundle, pieces: [7, 300])
    }

    func testTFLMModelsWithPerturbationsAndLayoutChanges() throws {
        for name in Fixtures.tflmModels {
            let base = Fixtures.model(name)
            let tuned = Fixtures.perturbed(base, seed: 7)
            try roundTrip("\(name) perturbed", base: base, target: tuned, bundle: try Self.diffBundle(base, tuned), pieces: [7, 4096])
        }
        var grown = Fixtures.model("lora")
        grown.insert(contentsOf: [UInt8](repeating: 0x5A, count: 16), at: 9_000)
        let base = Fixtures.model("base")
        try roundTrip("digits/lora +16 bytes", base: base, target: grown, bundle: try Self.diffBundle(base, grown), pieces: [1, 64])
        let shrunk = Array(Fixtures.model("head-ft").dropLast(700))
        try roundTrip("digits/head-ft -700 bytes", base: base, target: shrunk, bundle: try Self.diffBundle(base, shrunk),
                      pieces: [300])
    }

    /// The lean container (issue #11 item 4): fixed overhead of a
    /// single-tensor bundle at most 200 bytes, both SHA-256s and a 64-byte
    /// signature included.
    func testLeanContainerOverhead() throws {
        let base = Fixtures.model("base"), target = Fixtures.model("head-ft")
        let bytes = try Self.diffBundle(base, target)
        let parsed = try ParsedBundle(bytes: bytes)
        let headers = parsed.blocks.flatMap(\.records).reduce(0) { $0 + $1.headerLength }
        let fixed = StreamHeader.firstBlockOffset + (parsed.blocks.count - 1) * BlockTrailer.size + headers
        print("format 2: digits/head-ft \(bytes.count) bytes, fixed overhead \(fixed) B (front and signature "
              + "\(StreamHeader.firstBlockOffset), \(parsed.blocks.count) blocks, record headers \(headers))")
        XCTAssertEqual(parsed.blocks.count, 1)
        XCTAssertLessThanOrEqual(fixed, 200)
    }

    /// The front's step bound is what the loader counts at one step per segment.
    func testStepBoundMatchesTheLoadersCount() throws {
        let base = Fixtures.model("base")
        var grown = Fixtures.model("lora")
        grown.insert(contentsOf: [UInt8](repeating: 0x5A, count: 16), at: 9_000)
        for target in [Fixtures.model("full-ft"), Fixtures.model("lora"), grown] {
            let bytes = try Self.diffBundle(base, target)
            let front = try HostLoader.verifyFront(bundle: bytes, keys: Fixtures.trusted)
            XCTAssertEqual(front.stepBound, try HostLoader.countSteps(bytes, base: base, target: target, key: Fixtures.ed25519Key))
        }
    }
}
