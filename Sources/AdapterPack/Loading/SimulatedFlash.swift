import AdapterLoader

/// NOR-style flash in RAM for host runs and power-cut tests: erase sets a
/// page to 0xFF, program may only write erased bytes in aligned units, and
/// power can be cut at the k-th erase or program, leaving that operation
/// half done (half a page erased, or half the bytes programmed).
public final class SimulatedFlash: FlashDevice, @unchecked Sendable {
    public let pageSize: Int
    public let programSize: Int
    public let pageCount: Int
    public private(set) var memory: [UInt8]
    /// Erases and programs so far.
    public private(set) var erases = 0
    public private(set) var programs = 0
    public private(set) var programmedBytes = 0
    /// Operation index (0-based, erases and programs together) at which power fails.
    public var cutAt: Int?
    public private(set) var poweredOff = false

    public init(pageSize: Int, programSize: Int, pageCount: Int) {
        precondition(pageSize % programSize == 0)
        self.pageSize = pageSize
        self.programSize = programSize
        self.pageCount = pageCount
        memory = [UInt8](repeating: 0xFF, count: pageSize * pageCount)
    }

    public var operations: Int { erases + programs }

    /// Writes bytes directly (factory programming of the base model).
    public func load(_ bytes: [UInt8], at address: Int = 0) {
        memory.replaceSubrange(address ..< address + bytes.count, with: bytes)
    }

    /// Power comes back: operations work again.
    public func powerOn() {
        poweredOff = false
        cutAt = nil
    }

    public func read(at address: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        guard !poweredOff, address >= 0, address + buffer.count <= memory.count else {
            throw .flashFailed(address: address)
        }
        for i in 0 ..< buffer.count { buffer[i] = memory[address + i] }
    }

    public func erase(page: Int) throws(LoaderError) {
        guard !poweredOff, page >= 0, page < pageCount else { throw .flashFailed(address: page * pageSize) }
        let start = page * pageSize
        if powerFails() {
            for i in start ..< start + pageSize / 2 { memory[i] = 0xFF }
            throw .flashFailed(address: start)
        }
        erases += 1
        for i in start ..< start + pageSize { memory[i] = 0xFF }
    }

    public func program(at address: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        guard !poweredOff, address % programSize == 0, bytes.count % programSize == 0,
              address >= 0, address + bytes.count <= memory.count else { throw .flashFailed(address: address) }
        for i in 0 ..< bytes.count where memory[address + i] != 0xFF {
            throw .flashFailed(address: address + i)  // programming a byte that was not erased
        }
        if powerFails() {
            let half = bytes.count / 2 / programSize * programSize
            for i in 0 ..< half { memory[address + i] = bytes[i] }
            throw .flashFailed(address: address)
        }
        programs += 1
        programmedBytes += bytes.count
        for i in 0 ..< bytes.count { memory[address + i] = bytes[i] }
    }

    private func powerFails() -> Bool {
        guard let cutAt, operations >= cutAt else { return false }
        poweredOff = true
        return true
    }
}

/// The flash layout `HostLoader` uses: model pages, one unit of scratch, journal.
public struct FlashLayout: Sendable {
    public var pageSize: Int
    public var programSize: Int
    public var unitSize: Int
    public var modelPages: Int
    public var journalPages: Int

    /// A layout for a model of `capacity` bytes; the unit is the larger of
    /// the page and the segment size. `steps`: the bundle's step bound (its
    /// front), for a journal of exactly enough slots; without it, an estimate.
    public init(pageSize: Int, programSize: Int = 8, segmentSize: Int, capacity: Int, steps: Int? = nil) {
        self.pageSize = pageSize
        self.programSize = programSize
        unitSize = max(pageSize, segmentSize)
        let unitPages = unitSize / pageSize
        modelPages = ((capacity + unitSize - 1) / unitSize) * unitPages
        // One slot per step plus spares; at least one page.
        let slotSize = (JournalRecord.size + programSize - 1) / programSize * programSize
        // (A streamed bundle's step bound counts one step per segment.)
        let steps = steps.map { $0 + 8 } ?? 2 * (capacity / min(unitSize, segmentSize) + 2) + 16
        journalPages = max(1, (steps * slotSize + pageSize - 1) / pageSize)
    }

    public var scratchPage: Int { modelPages }
    public var journalPage: Int { modelPages + unitSize / pageSize }
    public var pageCount: Int { journalPage + journalPages }

    public func makeFlash() -> SimulatedFlash {
        SimulatedFlash(pageSize: pageSize, programSize: programSize, pageCount: pageCount)
    }

    public func store(on flash: SimulatedFlash, unitBuffer: UnsafeMutableRawBufferPointer, length: Int) -> FlashStore<SimulatedFlash> {
        FlashStore(device: flash, modelPages: modelPages, scratchPage: scratchPage, journalPage: journalPage,
                   journalPages: journalPages, unitSize: unitSize, unitBuffer: unitBuffer, length: length)
    }
}
