#if canImport(AdapterFormat)
import AdapterFormat
#endif
import CAdapterLoader

// The C entry points of adapter_loader.h. Each wraps the caller's callback
// structs in small value types and runs the same generic loader as Swift
// callers; nothing is allocated. Error codes and their names (`apCode`,
// `ap_error_name`) are generated from LoaderError.swift into
// LoaderError+CCodes.swift.

/// `ap_bundle_source` as a `BundleSource`.
struct CBundleSource: BundleSource {
    let raw: ap_bundle_source
    // Clamped, never trapping on a 32-bit Int: a length the loader cannot
    // address is then refused as a length mismatch (so is every size below).
    var length: Int { Int(clamping: raw.length) }
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        // Compare in 64 bits: Int is 32 bits on the device, so Int(UInt32.max) would trap.
        guard let read = raw.read, offset >= 0, UInt64(offset) <= UInt64(UInt32.max), !buffer.isEmpty else { return 0 }
        let count = UInt32(clamping: buffer.count)
        return Int(read(raw.context, UInt32(offset), buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count))
    }
}

/// `ap_verifier` as a `SignatureVerifier`: the caller's callback, or the
/// built-in Ed25519 verifier with the given key.
struct CVerifier: SignatureVerifier {
    let raw: ap_verifier
    func check(algorithm: UInt8, keyID: Digest32, message: UnsafeRawBufferPointer,
               signature: UnsafeRawBufferPointer) -> SignatureCheck {
        if let check = raw.check {
            let result = keyID.withUnsafeBytes { id in
                check(raw.context, algorithm, id.baseAddress!.assumingMemoryBound(to: UInt8.self),
                      message.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(message.count),
                      signature.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            switch result {
            case Int32(AP_SIG_VALID): return .valid
            case Int32(AP_SIG_UNKNOWN_KEY): return .unknownKey
            case Int32(AP_SIG_UNSUPPORTED): return .unsupportedAlgorithm
            default: return .invalid
            }
        }
        guard let key = raw.ed25519_public_key else { return .unknownKey }
        let verifier = Ed25519Verifier(publicKey: UnsafeRawBufferPointer(start: key, count: 32))
        return verifier.check(algorithm: algorithm, keyID: keyID, message: message, signature: signature)
    }
}

/// `ap_flash` as a `FlashDevice`.
struct CFlash: FlashDevice {
    let raw: ap_flash
    // `flashStore` admits only values under 2^31, so these never truncate.
    var pageSize: Int { Int(truncatingIfNeeded: raw.page_size) }
    var programSize: Int { Int(truncatingIfNeeded: raw.program_size) }
    var pageCount: Int { Int(truncatingIfNeeded: raw.page_count) }

    func read(at address: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        guard let read = raw.read, !buffer.isEmpty else { return }
        guard read(raw.context, UInt32(address), buffer.baseAddress!.assumingMemoryBound(to: UInt8.self),
                   UInt32(buffer.count)) == 0 else { throw .flashFailed(address: address) }
    }

    func erase(page: Int) throws(LoaderError) {
        guard let erase = raw.erase, erase(raw.context, UInt32(page)) == 0 else {
            throw .flashFailed(address: page * pageSize)
        }
    }

    func program(at address: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        guard !bytes.isEmpty else { return }
        guard let program = raw.program,
              program(raw.context, UInt32(address), bytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                      UInt32(bytes.count)) == 0 else { throw .flashFailed(address: address) }
    }
}

@_cdecl("ap_window_size")
public func ap_window_size(_ source: UnsafePointer<ap_bundle_source>?) -> UInt32 {
    guard let source else { return 0 }
    var head: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
               UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return withUnsafeMutableBytes(of: &head) { raw -> UInt32 in
        let bundle = CBundleSource(raw: source.pointee)
        do throws(LoaderError) {
            try readFully(bundle, at: 0, into: raw)
        } catch {
            return 0
        }
        do throws(FormatError) {
            return try StreamHeader(parsing: UnsafeRawBufferPointer(raw)).windowSize
        } catch {
            return 0
        }
    }
}

/// Runs one pull call: the streaming loader reads the caller's source from
/// the offsets it asks for, and errors map to codes. The flash entry points
/// share one copy of it (and of the loader), the RAM ones another; a
/// firmware links only the kind it calls.
@inline(never)
private func runC<Store: ModelStore>(_ operation: StreamOperation, minimumSequence: UInt64,
                                     _ source: UnsafePointer<ap_bundle_source>?, _ verifier: UnsafePointer<ap_verifier>?,
                                     _ window: UnsafeMutablePointer<UInt8>?, _ windowSize: UInt32, _ store: Store,
                                     _ outcome: UnsafeMutablePointer<ap_outcome>?) -> Int32 {
    guard let source, let verifier, let window, windowSize <= UInt32(Int32.max) else { return Int32(AP_E_ARGUMENT) }
    var loader = StreamLoader(operation, store: store, verifier: CVerifier(raw: verifier.pointee),
                              window: UnsafeMutableRawBufferPointer(start: window, count: Int(windowSize)),
                              minimumSequence: minimumSequence)
    do throws(LoaderError) {
        try loader.pull(from: CBundleSource(raw: source.pointee))
        if operation == .verify {
            _ = try loader.finishVerify()
            return Int32(AP_OK)
        }
        writeOutcome(outcome, try loader.finish())
        return Int32(AP_OK)
    } catch {
        return apCode(error)
    }
}

/// Copies a loader outcome into the caller's `ap_outcome`, if it gave one.
func writeOutcome(_ outcome: UnsafeMutablePointer<ap_outcome>?, _ result: LoaderOutcome) {
    guard let outcome else { return }
    outcome.pointee.state = result.state == .target ? Int32(AP_MODEL_TARGET) : Int32(AP_MODEL_BASE)
    outcome.pointee.interpreter_must_be_recreated = result.interpreterMustBeRecreated ? 1 : 0
    outcome.pointee.sequence = result.sequence
    outcome.pointee.model_length = UInt32(result.modelLength)
    withUnsafeMutableBytes(of: &outcome.pointee.model_sha256) { digest in
        result.modelSHA256.withUnsafeBytes { digest.copyMemory(from: $0) }
    }
}

func flashStore(_ flash: UnsafePointer<ap_flash>?, _ layout: UnsafePointer<ap_flash_layout>?,
                        length: UInt32) -> FlashStore<CFlash>? {
    guard let flash, let layout else { return nil }
    let l = layout.pointee
    let device = CFlash(raw: flash.pointee)
    // In 32-bit unsigned arithmetic that cannot wrap (divisions and
    // differences, no products or sums): nothing traps on a 32-bit device,
    // and every value converted to Int below is under 2^31, and so is every
    // flash address (pages × page size, which the store computes as an Int).
    let page = flash.pointee.page_size, pages = flash.pointee.page_count, program = flash.pointee.program_size
    guard let buffer = l.unit_buffer, page > 0, program > 0, l.unit_size > 0,
          page <= UInt32(Int32.max), pages <= UInt32(Int32.max) / page, program <= UInt32(Int32.max),
          l.unit_size <= UInt32(Int32.max),
          l.unit_size % page == 0,
          length / page + (length % page == 0 ? 0 : 1) <= l.model_pages,
          l.scratch_page >= l.model_pages, l.journal_page >= l.scratch_page,
          l.journal_page - l.scratch_page >= l.unit_size / page,
          l.journal_pages <= pages, l.journal_page <= pages - l.journal_pages else { return nil }
    return FlashStore(
        device: device, modelPages: Int(l.model_pages), scratchPage: Int(l.scratch_page),
        journalPage: Int(l.journal_page), journalPages: Int(l.journal_pages), unitSize: Int(l.unit_size),
        unitBuffer: UnsafeMutableRawBufferPointer(start: buffer, count: Int(l.unit_size)), length: Int(length))
}

private func ramStore(_ model: UnsafeMutablePointer<UInt8>?, _ capacity: UInt32, _ length: UInt32) -> RAMStore? {
    guard let model, length <= capacity else { return nil }
    return RAMStore(memory: UnsafeMutableRawBufferPointer(start: model, count: Int(clamping: capacity)),
                    length: Int(clamping: length))
}

@_cdecl("ap_verify")
public func ap_verify(_ source: UnsafePointer<ap_bundle_source>?, _ verifier: UnsafePointer<ap_verifier>?,
                      _ window: UnsafeMutablePointer<UInt8>?, _ windowSize: UInt32, _ minSequence: UInt64) -> Int32 {
    var nothing: UInt8 = 0
    return withUnsafeMutableBytes(of: &nothing) { (memory: UnsafeMutableRawBufferPointer) -> Int32 in
        runC(.verify, minimumSequence: minSequence, source, verifier, window, windowSize,
             RAMStore(memory: memory, length: 0), nil)
    }
}

@_cdecl("ap_apply_ram")
public func ap_apply_ram(_ source: UnsafePointer<ap_bundle_source>?, _ verifier: UnsafePointer<ap_verifier>?,
                         _ window: UnsafeMutablePointer<UInt8>?, _ windowSize: UInt32,
                         _ model: UnsafeMutablePointer<UInt8>?, _ capacity: UInt32, _ length: UInt32,
                         _ minSequence: UInt64, _ outcome: UnsafeMutablePointer<ap_outcome>?) -> Int32 {
    guard let store = ramStore(model, capacity, length) else { return Int32(AP_E_ARGUMENT) }
    return runC(.apply, minimumSequence: minSequence, source, verifier, window, windowSize, store, outcome)
}

@_cdecl("ap_unapply_ram")
public func ap_unapply_ram(_ source: UnsafePointer<ap_bundle_source>?, _ verifier: UnsafePointer<ap_verifier>?,
                           _ window: UnsafeMutablePointer<UInt8>?, _ windowSize: UInt32,
                           _ model: UnsafeMutablePointer<UInt8>?, _ capacity: UInt32, _ length: UInt32,
                           _ outcome: UnsafeMutablePointer<ap_outcome>?) -> Int32 {
    guard let store = ramStore(model, capacity, length) else { return Int32(AP_E_ARGUMENT) }
    return runC(.unapply, minimumSequence: 0, source, verifier, window, windowSize, store, outcome)
}

@_cdecl("ap_apply_flash")
public func ap_apply_flash(_ source: UnsafePointer<ap_bundle_source>?, _ verifier: UnsafePointer<ap_verifier>?,
                           _ window: UnsafeMutablePointer<UInt8>?, _ windowSize: UInt32,
                           _ flash: UnsafePointer<ap_flash>?, _ layout: UnsafePointer<ap_flash_layout>?,
                           _ length: UInt32, _ minSequence: UInt64, _ outcome: UnsafeMutablePointer<ap_outcome>?) -> Int32 {
    guard let store = flashStore(flash, layout, length: length) else { return Int32(AP_E_ARGUMENT) }
    return runC(.apply, minimumSequence: minSequence, source, verifier, window, windowSize, store, outcome)
}

@_cdecl("ap_unapply_flash")
public func ap_unapply_flash(_ source: UnsafePointer<ap_bundle_source>?, _ verifier: UnsafePointer<ap_verifier>?,
                             _ window: UnsafeMutablePointer<UInt8>?, _ windowSize: UInt32,
                             _ flash: UnsafePointer<ap_flash>?, _ layout: UnsafePointer<ap_flash_layout>?,
                             _ length: UInt32, _ outcome: UnsafeMutablePointer<ap_outcome>?) -> Int32 {
    guard let store = flashStore(flash, layout, length: length) else { return Int32(AP_E_ARGUMENT) }
    return runC(.unapply, minimumSequence: 0, source, verifier, window, windowSize, store, outcome)
}

@_cdecl("ap_resume_flash")
public func ap_resume_flash(_ source: UnsafePointer<ap_bundle_source>?, _ verifier: UnsafePointer<ap_verifier>?,
                            _ window: UnsafeMutablePointer<UInt8>?, _ windowSize: UInt32,
                            _ flash: UnsafePointer<ap_flash>?, _ layout: UnsafePointer<ap_flash_layout>?,
                            _ outcome: UnsafeMutablePointer<ap_outcome>?) -> Int32 {
    guard let store = flashStore(flash, layout, length: 0) else { return Int32(AP_E_ARGUMENT) }
    return runC(.resume, minimumSequence: 0, source, verifier, window, windowSize, store, outcome)
}
