#if canImport(AdapterLoader)
import AdapterFormat
import AdapterLoader
#endif

/// Accepts every signature, so fuzzed bundles reach the decoders; the real
/// verifier is exercised by the `bundle-verify` target.
struct AcceptingVerifier: SignatureVerifier {
    func check(algorithm: UInt8, keyID: Digest32, message: UnsafeRawBufferPointer,
               signature: UnsafeRawBufferPointer) -> SignatureCheck { .valid }
}

/// The device loader on a fuzzed bundle, with the fix-ups a plain byte
/// mutator cannot make (section digests, the base hash, the declared length),
/// so mutations reach the op-stream decoders; then the invariants:
/// a refused apply leaves the store exactly at the base; an accepted one
/// gives exactly the declared target, and unapply either refuses or gives
/// the base back; the window is never written past (it is an exact-size
/// allocation, so AddressSanitizer sees any overrun).
enum BundleLoadCheck {
    /// Inputs larger than this are passed over (bounded work per input).
    static let maxInput = 1 << 16
    /// Largest model the check builds a store for.
    static let maxModel = 1 << 17

    static func run(_ input: [UInt8]) throws(InvariantViolation) {
        guard input.count >= BundleHeader.size, input.count <= maxInput else { return }
        var bundle = input
        // The length the header declares is the input's length.
        store32(&bundle, 16, UInt32(bundle.count))
        guard let header = bundle.withUnsafeBytes({ try? BundleHeader(parsing: $0) }),
              Int(header.baseLength) <= maxModel, Int(header.targetLength) <= maxModel else { return }
        let base = (0 ..< Int(header.baseLength)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        putDigest(&bundle, 64, base.withUnsafeBytes { SHA256.hash($0) })
        fixSectionDigests(&bundle, header)

        var first = apply(bundle, base)
        if case .failure(.targetMismatch(_, let actual)) = first.result {
            // Declare what the streams produce, so the run goes on to unapply.
            putDigest(&bundle, 96, actual)
            first = apply(bundle, base)
        }
        switch first.result {
        case .failure:
            guard first.model == base else {
                throw InvariantViolation(description: "refused apply left the store changed: \(first.result)")
            }
        case .success(let outcome):
            let produced = first.model.withUnsafeBytes { SHA256.hash($0) }
            guard outcome.state == .target, first.model.count == Int(header.targetLength),
                  produced == header.targetSHA256 || produced == readDigest(bundle, 96) else {
                throw InvariantViolation(description: "apply reported success without the declared target")
            }
            let back = unapply(bundle, first.model, capacity: max(base.count, first.model.count))
            if case .success = back.result, back.model != base {
                throw InvariantViolation(description: "unapply reported success without the base")
            }
        }
    }

    struct Run {
        var result: Result<LoaderOutcome, LoaderError>
        var model: [UInt8]
    }

    static func apply(_ bundle: [UInt8], _ base: [UInt8]) -> Run {
        run(bundle, model: base) { (loader, store) throws(LoaderError) in try loader.apply(to: &store) }
    }

    static func unapply(_ bundle: [UInt8], _ target: [UInt8], capacity: Int) -> Run {
        run(bundle, model: target) { (loader, store) throws(LoaderError) in try loader.unapply(from: &store) }
    }

    static func run(_ bundle: [UInt8], model: [UInt8],
                    _ body: (BundleLoader<MemoryBundleSource, AcceptingVerifier>, inout RAMStore) throws(LoaderError) -> LoaderOutcome) -> Run {
        let declared = bundle.withUnsafeBytes { try? BundleHeader(parsing: $0) }
        let capacity = max(model.count, Int(declared?.storeCapacityNeeded ?? 0))
        let windowSize = max(WindowLayout.fixed, Int(declared?.windowSize ?? 0))
        // Exact-size allocations: an overrun is an AddressSanitizer report.
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: windowSize, alignment: 8)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 1), alignment: 8)
        defer { window.deallocate(); memory.deallocate() }
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        model.withUnsafeBytes { memory.copyMemory(from: $0) }
        var store = RAMStore(memory: memory, length: model.count)
        let result: Result<LoaderOutcome, LoaderError> = bundle.withUnsafeBytes { raw in
            let loader = BundleLoader(source: MemoryBundleSource(bytes: raw, maxChunk: 61), verifier: AcceptingVerifier(),
                                      window: window)
            do throws(LoaderError) { return .success(try body(loader, &store)) } catch { return .failure(error) }
        }
        return Run(result: result, model: Array(memory[0 ..< store.length]))
    }

    /// Rewrites each table entry's digest to the SHA-256 of its stored bytes
    /// (entries outside the bundle are left as they are).
    static func fixSectionDigests(_ bundle: inout [UInt8], _ header: BundleHeader) {
        for index in 0 ..< Int(header.sectionCount) {
            let entry = BundleHeader.size + index * SectionEntry.size
            guard entry + SectionEntry.size <= bundle.count else { return }
            let offset = Int(read32(bundle, entry + 4)), length = Int(read32(bundle, entry + 8))
            let kind = UInt16(bundle[entry]) | UInt16(bundle[entry + 1]) << 8
            guard kind != SectionKind.signature.rawValue, offset <= bundle.count, length <= bundle.count - offset else { continue }
            let digest = bundle[offset ..< offset + length].withUnsafeBytes { SHA256.hash($0) }
            putDigest(&bundle, entry + 16, digest)
        }
    }

    static func read32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    static func store32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for k in 0 ..< 4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }

    static func putDigest(_ b: inout [UInt8], _ at: Int, _ d: Digest32) {
        for k in 0 ..< 32 { b[at + k] = d[k] }
    }

    static func readDigest(_ b: [UInt8], _ at: Int) -> Digest32 {
        b[at ..< at + 32].withUnsafeBytes { Digest32(bytes: UnsafeRawBufferPointer($0)) }
    }
}
