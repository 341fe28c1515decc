#if canImport(AdapterFormat)
import AdapterFormat
#endif
import CAdapterLoader

// The streaming C entry points of adapter_loader.h (ap_stream_*): a push
// interface over `StreamLoader` for format-2 bundles, on the flash store and
// the C verifier. The loader's whole state lives in the caller's `ap_stream`
// (a plain value: no references, nothing to release), so nothing is
// allocated and a firmware can keep the context static or on its stack.

/// The loader the streaming entry points run.
typealias CStreamLoader = StreamLoader<FlashStore<CFlash>, CVerifier>

/// What an `ap_stream` holds while a stream is open.
struct CStreamState {
    /// `CStreamState.open` from `ap_stream_begin` until `ap_stream_end`.
    var tag: UInt32
    /// AP_OK, or the error that ended the stream (every later feed and the
    /// end return it).
    var status: Int32
    var loader: CStreamLoader

    static let open: UInt32 = 0x5453_5041  // "APST"

    /// Bytes of the state; `ap_stream` must be at least this large.
    static var size: Int { MemoryLayout<CStreamState>.size }
    /// Whether the state fits the C context on this target.
    static var fits: Bool {
        size <= MemoryLayout<ap_stream>.size && MemoryLayout<CStreamState>.alignment <= MemoryLayout<ap_stream>.alignment
    }
}

/// The open stream in `stream`, or nil (NULL, never begun, or ended).
private func openStream(_ stream: UnsafeMutablePointer<ap_stream>?) -> UnsafeMutablePointer<CStreamState>? {
    guard CStreamState.fits, let stream else { return nil }
    let state = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: CStreamState.self)
    return state.pointee.tag == CStreamState.open ? state : nil
}

private func openStream(_ stream: UnsafePointer<ap_stream>?) -> UnsafePointer<CStreamState>? {
    guard CStreamState.fits, let stream else { return nil }
    let state = UnsafeRawPointer(stream).assumingMemoryBound(to: CStreamState.self)
    return state.pointee.tag == CStreamState.open ? state : nil
}

@_cdecl("ap_stream_state_size")
public func ap_stream_state_size() -> UInt32 {
    UInt32(CStreamState.size)
}

@_cdecl("ap_stream_begin")
public func ap_stream_begin(_ stream: UnsafeMutablePointer<ap_stream>?, _ operation: Int32,
                            _ verifier: UnsafePointer<ap_verifier>?,
                            _ window: UnsafeMutablePointer<UInt8>?, _ windowSize: UInt32,
                            _ flash: UnsafePointer<ap_flash>?, _ layout: UnsafePointer<ap_flash_layout>?,
                            _ modelLength: UInt32, _ minSequence: UInt64) -> Int32 {
    guard CStreamState.fits, let stream else { return Int32(AP_E_ARGUMENT) }
    let raw = UnsafeMutableRawPointer(stream)
    // Whatever follows, the context is not an open stream until this succeeds.
    raw.storeBytes(of: 0, as: UInt32.self)
    let kind: StreamOperation
    switch operation {
    case Int32(AP_STREAM_APPLY): kind = .apply
    case Int32(AP_STREAM_UNAPPLY): kind = .unapply
    case Int32(AP_STREAM_RESUME): kind = .resume
    case Int32(AP_STREAM_VERIFY): kind = .verify
    default: return Int32(AP_E_ARGUMENT)
    }
    // A resume takes the length from the bundle and the journal; a verify
    // touches no model.
    let length = kind == .apply || kind == .unapply ? modelLength : 0
    guard let verifier, let window, windowSize <= UInt32(Int32.max),
          let store = flashStore(flash, layout, length: length) else { return Int32(AP_E_ARGUMENT) }
    let loader = CStreamLoader(kind, store: store, verifier: CVerifier(raw: verifier.pointee),
                               window: UnsafeMutableRawBufferPointer(start: window, count: Int(windowSize)),
                               minimumSequence: minSequence)
    raw.bindMemory(to: CStreamState.self, capacity: 1)
        .initialize(to: CStreamState(tag: CStreamState.open, status: Int32(AP_OK), loader: loader))
    return Int32(AP_OK)
}

@_cdecl("ap_stream_feed")
public func ap_stream_feed(_ stream: UnsafeMutablePointer<ap_stream>?, _ bytes: UnsafePointer<UInt8>?,
                           _ length: UInt32, _ offset: UInt32) -> Int32 {
    guard let state = openStream(stream) else { return Int32(AP_E_ARGUMENT) }
    guard state.pointee.status == Int32(AP_OK) else { return state.pointee.status }
    // In 64 bits: offset + length must stay an Int on a 32-bit device.
    guard length == 0 || bytes != nil, UInt64(offset) + UInt64(length) <= UInt64(Int32.max) else {
        return Int32(AP_E_ARGUMENT)
    }
    // A piece from beyond the offset the loader wants: refused, the stream
    // stays open (the transport resends from ap_stream_next_offset).
    guard Int(offset) <= state.pointee.loader.nextOffset else { return Int32(AP_E_STREAM) }
    guard length > 0 else { return Int32(AP_OK) }
    do throws(LoaderError) {
        try state.pointee.loader.feed(UnsafeRawBufferPointer(start: bytes, count: Int(length)), at: Int(offset))
        return Int32(AP_OK)
    } catch {
        let code = apCode(error)
        state.pointee.status = code
        return code
    }
}

@_cdecl("ap_stream_next_offset")
public func ap_stream_next_offset(_ stream: UnsafePointer<ap_stream>?) -> UInt32 {
    guard let state = openStream(stream) else { return 0 }
    // At most the bundle length, which the format keeps below 2^31.
    return UInt32(truncatingIfNeeded: state.pointee.loader.nextOffset)
}

@_cdecl("ap_stream_is_complete")
public func ap_stream_is_complete(_ stream: UnsafePointer<ap_stream>?) -> Int32 {
    guard let state = openStream(stream), state.pointee.status == Int32(AP_OK) else { return 0 }
    return state.pointee.loader.isComplete ? 1 : 0
}

@_cdecl("ap_stream_end")
public func ap_stream_end(_ stream: UnsafeMutablePointer<ap_stream>?, _ outcome: UnsafeMutablePointer<ap_outcome>?) -> Int32 {
    guard let state = openStream(stream) else { return Int32(AP_E_ARGUMENT) }
    state.pointee.tag = 0
    guard state.pointee.status == Int32(AP_OK) else { return state.pointee.status }
    do throws(LoaderError) {
        if state.pointee.loader.operation == .verify {
            let front = try state.pointee.loader.finishVerify()
            // The bundle's own figures; nothing was written.
            writeOutcome(outcome, LoaderOutcome(state: .base, sequence: UInt64(front.sequence),
                                                modelLength: Int(front.targetLength), modelSHA256: front.targetSHA256,
                                                interpreterMustBeRecreated: false))
        } else {
            writeOutcome(outcome, try state.pointee.loader.finish())
        }
        return Int32(AP_OK)
    } catch {
        return apCode(error)
    }
}
