#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// A model kept in page-erased flash and patched in place, power-fail safe
/// (Spec/LOADER.md).
///
/// Flash layout (in pages of the device): the model region, a scratch area of
/// one unit, and a journal. Each step rewrites one unit: its old bytes are
/// copied to scratch, a CRC-protected record says so, then the unit is erased
/// and programmed from the unit buffer. After a reset the journal's last
/// record and the scratch CRC tell which step to redo or continue.
public struct FlashStore<Device: FlashDevice>: ModelStore {
    public let device: Device
    /// Pages [0, modelPages) hold the model.
    public let modelPages: Int
    /// First page of the scratch area (`stepUnit / pageSize` pages).
    public let scratchPage: Int
    /// First page and page count of the journal.
    public let journalPage: Int
    public let journalPages: Int
    public let stepUnit: Int
    /// Caller-provided RAM for the unit being rebuilt (`stepUnit` bytes).
    let unitBuffer: UnsafeMutableRawBufferPointer
    public private(set) var length: Int

    private var journalNext = 0
    private var activeUnit = -1
    private var operation = JournalOperation.apply
    private var bundleID = Digest32.zero

    /// - Parameters:
    ///   - unitSize: bytes per power-fail step, a multiple of the page size and
    ///     of the bundles' segment size (4096 for bundles made with defaults).
    ///   - unitBuffer: at least `unitSize` bytes of RAM, separate from the loader's window.
    ///   - length: the model's length now.
    public init(device: Device, modelPages: Int, scratchPage: Int, journalPage: Int, journalPages: Int,
                unitSize: Int, unitBuffer: UnsafeMutableRawBufferPointer, length: Int) {
        precondition(unitSize > 0 && unitSize % device.pageSize == 0, "unit must be whole pages")
        precondition(unitBuffer.count >= unitSize && modelPages * device.pageSize >= length)
        precondition(scratchPage >= modelPages && journalPage >= scratchPage + unitSize / device.pageSize
            && journalPage + journalPages <= device.pageCount, "regions must not overlap")
        self.device = device
        self.modelPages = modelPages
        self.scratchPage = scratchPage
        self.journalPage = journalPage
        self.journalPages = journalPages
        self.stepUnit = unitSize
        self.unitBuffer = unitBuffer
        self.length = length
    }

    public var capacity: Int { modelPages * device.pageSize }

    /// Bytes of one journal slot: a record rounded up to the program size.
    var slotSize: Int { (JournalRecord.size + device.programSize - 1) / device.programSize * device.programSize }
    var slotCount: Int { journalPages * device.pageSize / slotSize }

    private var activeRange: Range<Int> {
        activeUnit < 0 ? 0 ..< 0 : activeUnit * stepUnit ..< min(capacity, (activeUnit + 1) * stepUnit)
    }

    public mutating func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        guard offset >= 0, offset + buffer.count <= capacity else { throw .storeFailed(offset: offset) }
        let active = activeRange
        var done = 0
        while done < buffer.count {
            let position = offset + done
            if active.contains(position) {
                let n = min(buffer.count - done, active.upperBound - position)
                let from = position - active.lowerBound
                UnsafeMutableRawBufferPointer(rebasing: buffer[done ..< done + n])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: unitBuffer[from ..< from + n]))
                done += n
            } else {
                let stop = position < active.lowerBound ? min(offset + buffer.count, active.lowerBound) : offset + buffer.count
                try device.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done ..< done + stop - position]))
                done += stop - position
            }
        }
    }

    /// Writes land in the unit buffer; only the active step's unit is writable.
    public mutating func write(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        let active = activeRange
        guard offset >= active.lowerBound, offset + bytes.count <= active.upperBound else {
            throw .storeFailed(offset: offset)
        }
        let from = offset - active.lowerBound
        UnsafeMutableRawBufferPointer(rebasing: unitBuffer[from ..< from + bytes.count]).copyMemory(from: bytes)
    }

    public mutating func setLength(_ length: Int) throws(LoaderError) {
        guard length >= 0, length <= capacity else { throw .storeFailed(offset: length) }
        self.length = length
    }

    public mutating func beginOperation(id: Digest32, operation: JournalOperation, steps: UInt32) throws(LoaderError) {
        // Spare slots absorb records torn by power cuts.
        guard Int(steps) + 8 <= slotCount else { throw .journalTooSmall(neededSteps: steps, capacity: slotCount - 8) }
        for page in journalPage ..< journalPage + journalPages { try device.erase(page: page) }
        journalNext = 0
        self.operation = operation
        bundleID = id
    }

    public mutating func beginStep(_ step: UInt32, unit: Int, redo: Bool, resume: ResumePoint) throws(LoaderError) {
        let start = unit * stepUnit
        let count = min(stepUnit, capacity - start)
        guard start >= 0, count > 0 else { throw .storeFailed(offset: start) }
        let bytes = UnsafeMutableRawBufferPointer(rebasing: unitBuffer[0 ..< count])
        let pages = count / device.pageSize
        if redo {
            try device.read(at: scratchPage * device.pageSize, into: bytes)
        } else {
            try device.read(at: start, into: bytes)
            for page in scratchPage ..< scratchPage + pages { try device.erase(page: page) }
            try device.program(at: scratchPage * device.pageSize, from: UnsafeRawBufferPointer(bytes))
            var crc = CRC32()
            crc.update(UnsafeRawBufferPointer(bytes))
            try appendRecord(JournalRecord(operation: operation, step: step, unit: UInt32(unit),
                                           scratchCRC: crc.checksum, bundleID: bundleID, resume: resume))
        }
        activeUnit = unit
    }

    public mutating func commitStep() throws(LoaderError) {
        let range = activeRange
        guard !range.isEmpty else { return }
        let firstPage = range.lowerBound / device.pageSize
        for page in firstPage ..< firstPage + range.count / device.pageSize { try device.erase(page: page) }
        try device.program(at: range.lowerBound,
                           from: UnsafeRawBufferPointer(rebasing: unitBuffer[0 ..< range.count]))
        activeUnit = -1
    }

    public mutating func interruptedStep(id: Digest32, into cut: inout InterruptedStep) throws(LoaderError) -> Bool {
        var used = 0, latest = -1
        // The record is read into the unit buffer's head: no step is active during a resume scan.
        let slot = UnsafeMutableRawBufferPointer(rebasing: unitBuffer[0 ..< slotSize])
        // The scan only finds the newest record of this bundle; it is read
        // again and decoded once below (keeps the device code small).
        for index in 0 ..< slotCount {
            try readSlot(index, into: slot)
            if Self.isErased(UnsafeRawBufferPointer(slot)) { continue }
            used = index + 1
            if JournalRecord.isIntact(UnsafeRawBufferPointer(slot), of: id) { latest = index }
        }
        journalNext = used
        bundleID = id
        guard latest >= 0 else { return false }
        try readSlot(latest, into: slot)
        let record = UnsafeRawBufferPointer(slot)
        cut = InterruptedStep(operation: JournalRecord.operation(record), step: JournalRecord.step(record), redo: true,
                              resume: JournalRecord.resume(record))
        let unit = JournalRecord.unit(record), savedCRC = JournalRecord.scratchCRC(record)
        operation = cut.operation
        // The scratch still holding this step's backup means the unit may be
        // half written: rebuild it. Otherwise the next step's backup had begun,
        // which happens only after this step's unit was fully programmed.
        let start = Int(unit) * stepUnit
        let count = min(stepUnit, capacity - start)
        // A unit outside the model, or a step no operation reaches (the next
        // step would overflow), is a record no loader wrote: no cut to resume.
        guard count > 0, count <= unitBuffer.count, cut.step < UInt32.max else { return false }
        let bytes = UnsafeMutableRawBufferPointer(rebasing: unitBuffer[0 ..< count])
        try device.read(at: scratchPage * device.pageSize, into: bytes)
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(bytes))
        if crc.checksum != savedCRC {
            cut.step += 1
            cut.redo = false
        }
        return true
    }

    private static func isErased(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var k = 0
        while k < bytes.count {
            if bytes[k] != 0xFF { return false }
            k += 1
        }
        return true
    }

    private func readSlot(_ index: Int, into slot: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        try device.read(at: journalPage * device.pageSize + index * slotSize, into: slot)
    }

    private mutating func appendRecord(_ record: JournalRecord) throws(LoaderError) {
        guard journalNext < slotCount else { throw .journalTooSmall(neededSteps: UInt32(journalNext + 1), capacity: slotCount) }
        // The unit buffer holds the unit being rebuilt, so the slot is built on the stack.
        var slot: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                   UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0, ~0)
        let address = journalPage * device.pageSize + journalNext * slotSize
        journalNext += 1
        let size = slotSize
        precondition(size <= 128, "program size above 128 bytes is not supported for journal slots")
        try withUnsafeMutableBytes(of: &slot) { (raw: UnsafeMutableRawBufferPointer) throws(LoaderError) in
            record.write(into: raw)
            try device.program(at: address, from: UnsafeRawBufferPointer(rebasing: raw[0 ..< size]))
        }
    }
}
