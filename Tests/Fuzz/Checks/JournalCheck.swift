#if canImport(AdapterLoader)
import AdapterFormat
import AdapterLoader
#endif

/// Page-erased flash in an exact-size allocation (an overrun is an
/// AddressSanitizer report); any access outside it, an unaligned program or
/// a program over unerased bytes is a broken invariant of the store.
final class FuzzFlash: FlashDevice {
    let memory: UnsafeMutableRawBufferPointer
    let pageSize: Int
    let programSize: Int
    let pageCount: Int
    var violation: String?

    init(pageSize: Int, programSize: Int, pageCount: Int) {
        self.pageSize = pageSize
        self.programSize = programSize
        self.pageCount = pageCount
        memory = .allocate(byteCount: pageSize * pageCount, alignment: 8)
        memory.initializeMemory(as: UInt8.self, repeating: 0xFF)
    }

    deinit { memory.deallocate() }

    func read(at address: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        guard address >= 0, address + buffer.count <= memory.count else {
            violation = "read of \(buffer.count) bytes at \(address) outside the flash"
            throw .storeFailed(offset: address)
        }
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: memory[address ..< address + buffer.count]))
    }

    func erase(page: Int) throws(LoaderError) {
        guard page >= 0, page < pageCount else {
            violation = "erase of page \(page) outside the flash"
            throw .storeFailed(offset: page * pageSize)
        }
        UnsafeMutableRawBufferPointer(rebasing: memory[page * pageSize ..< (page + 1) * pageSize])
            .initializeMemory(as: UInt8.self, repeating: 0xFF)
    }

    func program(at address: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        guard address >= 0, address % programSize == 0, bytes.count % programSize == 0,
              address + bytes.count <= memory.count else {
            violation = "program of \(bytes.count) bytes at \(address): outside the flash or not aligned"
            throw .storeFailed(offset: address)
        }
        for k in 0 ..< bytes.count where memory[address + k] != 0xFF {
            violation = "program over unerased byte \(address + k)"
            throw .storeFailed(offset: address + k)
        }
        UnsafeMutableRawBufferPointer(rebasing: memory[address ..< address + bytes.count]).copyMemory(from: bytes)
    }
}

/// The journal scan that `resume` runs (Spec/LOADER.md §2), on a journal
/// and scratch area of arbitrary bytes. Byte 0 picks the page size (256 …
/// 1024), byte 1 the program size (8 … 32), bytes 2–25 the bundle id the
/// device looks for; the rest fills the journal pages, then the scratch
/// page. Structure-aware: a slot whose byte 4 is 1 (saved) gets the record
/// magic and a correct CRC, and, if its byte 7 is odd, the id, so the
/// fuzzer reaches the record decoding past the checksum.
///
/// Invariants: the scan finds a cut exactly when an intact record of this
/// id exists (checked independently), at its newest one's step (or the
/// next, when the scratch no longer holds that step's backup); resuming
/// that step rebuilds the unit from the scratch byte for byte, or refuses a
/// unit outside the model; appending afterwards never programs over a used slot.
enum JournalCheck {
    // The record layout of Spec/LOADER.md §2, restated here so the check is independent of the loader's reader.
    static let magic: UInt32 = 0x324A_5041, crcOffset = 104

    static func le32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    static func put32(_ v: UInt32, _ b: UnsafeMutableRawBufferPointer, _ at: Int) {
        for k in 0 ..< 4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }

    /// Magic, saved state, a known operation, the CRC, and the first 24 bytes of the id.
    static func intact(_ b: UnsafeRawBufferPointer, id: [UInt8]) -> Bool {
        guard le32(b, 0) == magic, b[4] == 1, JournalOperation(rawValue: b[5]) != nil else { return false }
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(rebasing: b[0 ..< crcOffset]))
        return crc.checksum == le32(b, crcOffset) && (0 ..< 24).allSatisfy { b[20 + $0] == id[$0] }
    }

    static func scan(_ input: [UInt8]) throws(InvariantViolation) {
        guard input.count >= 26 else { return }
        let pageSize = 256 << Int(input[0] % 3), programSize = 8 << Int(input[1] % 3)
        let modelPages = 2, scratchPage = 2, journalPage = 3, journalPages = 2
        let flash = FuzzFlash(pageSize: pageSize, programSize: programSize, pageCount: journalPage + journalPages)
        let idBytes = Array(input[2 ..< 26]) + [UInt8](repeating: 0, count: 8)
        let id = idBytes.withUnsafeBytes { Digest32(bytes: $0) }
        // Model pages: a pattern; journal, then scratch: the input.
        UnsafeMutableRawBufferPointer(rebasing: flash.memory[0 ..< modelPages * pageSize]).initializeMemory(as: UInt8.self, repeating: 0x5A)
        let journal = journalPage * pageSize ..< (journalPage + journalPages) * pageSize
        var rest = input.dropFirst(26)
        for address in journal where !rest.isEmpty { flash.memory[address] = rest.removeFirst() }
        for address in scratchPage * pageSize ..< journalPage * pageSize where !rest.isEmpty { flash.memory[address] = rest.removeFirst() }
        let slotSize = (JournalRecord.size + programSize - 1) / programSize * programSize
        let slots = journal.count / slotSize
        var newest = -1
        for index in 0 ..< slots {
            let at = journal.lowerBound + index * slotSize
            let slot = UnsafeMutableRawBufferPointer(rebasing: flash.memory[at ..< at + slotSize])
            if slot[4] == 1 {
                put32(magic, slot, 0)
                if slot[7] & 1 == 1 { for k in 0 ..< 24 { slot[20 + k] = idBytes[k] } }
                var crc = CRC32()
                crc.update(UnsafeRawBufferPointer(rebasing: slot[0 ..< crcOffset]))
                put32(crc.checksum, slot, crcOffset)
            }
            if intact(UnsafeRawBufferPointer(slot), id: idBytes) { newest = index }
        }
        let unitBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 8)
        defer { unitBuffer.deallocate() }
        var store = FlashStore(device: flash, modelPages: modelPages, scratchPage: scratchPage, journalPage: journalPage,
                               journalPages: journalPages, unitSize: pageSize, unitBuffer: unitBuffer,
                               length: modelPages * pageSize)
        var cut = InterruptedStep(operation: .apply, step: 0, redo: false)
        let found: Bool
        do { found = try store.interruptedStep(id: id, into: &cut) } catch {
            throw InvariantViolation(description: flash.violation ?? "the journal scan failed on a readable flash: \(error)")
        }
        if let v = flash.violation { throw InvariantViolation(description: v) }
        let record = newest >= 0
            ? UnsafeRawBufferPointer(rebasing: flash.memory[journal.lowerBound + newest * slotSize ..< journal.lowerBound + (newest + 1) * slotSize])
            : nil
        let unit = record.map { Int(le32($0, 12)) } ?? -1
        // A record of a unit outside the model, or of step 2^32 − 1 (no next step), is no cut to
        // resume (the scan says so); any other must be found.
        let expected = newest >= 0 && unit >= 0 && unit < modelPages && record.map { le32($0, 8) } != UInt32.max
        guard found == expected else {
            throw InvariantViolation(description: "scan found \(found), newest intact record \(newest) (unit \(unit))")
        }
        guard found, let record else { return }
        let step = le32(record, 8)
        guard cut.step == step || (cut.step == step &+ 1 && !cut.redo) else {
            throw InvariantViolation(description: "resume step \(cut.step) for a record of step \(step)")
        }
        let scratch = Array(flash.memory[scratchPage * pageSize ..< journalPage * pageSize])
        do {
            try store.beginStep(cut.step, unit: unit, redo: cut.redo, resume: cut.resume)
            try store.commitStep()
        } catch .journalTooSmall where !cut.redo {
            return  // the next step's backup record found no free slot: refused, nothing written to the model
        } catch {
            throw InvariantViolation(description: flash.violation ?? "resuming step \(cut.step) of unit \(unit) failed: \(error)")
        }
        if cut.redo, Array(flash.memory[unit * pageSize ..< (unit + 1) * pageSize]) != scratch {
            throw InvariantViolation(description: "redo of unit \(unit) did not restore the scratch backup")
        }
        // The next step's record goes into a free slot, or is refused when none is left.
        do {
            try store.beginStep(cut.step &+ 1, unit: 0, redo: false, resume: cut.resume)
        } catch .journalTooSmall {
        } catch {
            throw InvariantViolation(description: flash.violation ?? "appending after the scan failed: \(error)")
        }
        if let v = flash.violation { throw InvariantViolation(description: v) }
    }
}
