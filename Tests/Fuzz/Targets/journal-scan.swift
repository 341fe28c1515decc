// libFuzzer entry point of the `journal-scan` target (built by Tests/Fuzz/run.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    do { try JournalCheck.scan(input) } catch { fatalError("invariant broken: \(error)") }
    return 0
}
