#if canImport(AdapterFormat)
import AdapterFormat
#endif

// How StreamLoader receives the front, the signature and each block, checks
// them and acts on them (Spec/FORMAT.md §3, §5).
extension StreamLoader {
    /// Bytes of the part being received.
    func unitLength() throws(LoaderError) -> Int {
        switch phase {
        case .front: return StreamHeader.size
        case .signature: return StreamHeader.signatureSize
        case .block: return blockLength
        }
    }

    /// Copies received bytes into the part's buffer: the front and blocks
    /// into the block buffer, the signature into the loader's own 64 bytes.
    mutating func take(_ bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        switch phase {
        case .front, .block:
            let limit = phase == .front ? StreamHeader.size : blockBuffer.count
            guard filled + bytes.count <= limit else { throw .windowTooSmall(needed: filled + bytes.count, given: limit) }
            UnsafeMutableRawBufferPointer(rebasing: memory[filled ..< filled + bytes.count]).copyMemory(from: bytes)
        case .signature:
            let at = filled
            withUnsafeMutableBytes(of: &signature) { raw in
                for i in 0 ..< bytes.count { raw[at + i] = bytes[i] }
            }
        }
        filled += bytes.count
    }

    var blockBuffer: UnsafeMutableRawBufferPointer {
        let limit = phase == .front ? StreamHeader.size : parsed.blockLimit
        return UnsafeMutableRawBufferPointer(rebasing: memory[0 ..< limit])
    }

    /// The front, the signature or a block is complete.
    mutating func completeUnit() throws(LoaderError) {
        switch phase {
        case .front:
            try acceptFront()
            phase = .signature
        case .signature:
            phase = .block
            blockLength = Int(parsed.firstBlockLength)
        case .block:
            try acceptBlock()
        }
        filled = 0
    }

    /// Parses the front and checks what can be checked before the signature:
    /// the window, the anti-rollback counter (the signature comes after
    /// block 0, and only then is anything acted on).
    private mutating func acceptFront() throws(LoaderError) {
        guard memory.count >= WindowLayout.fixed else {
            throw .windowTooSmall(needed: WindowLayout.fixed, given: memory.count)
        }
        let bytes = UnsafeRawBufferPointer(rebasing: memory[0 ..< StreamHeader.size])
        let front: StreamHeader
        do { front = try StreamHeader(parsing: bytes) } catch { throw .format(error) }
        // A feature this build lacks: refused before anything is acted on.
        if let missing = front.missingFeature { throw .notBuiltIn(missing) }
        guard memory.count >= Int(front.windowSize) else {
            throw .windowTooSmall(needed: Int(front.windowSize), given: memory.count)
        }
        guard UInt64(front.sequence) >= minimumSequence else {
            throw .rollback(bundleSequence: UInt64(front.sequence), deviceSequence: minimumSequence)
        }
        frontHash.update(bytes)
        bundleID = SHA256.hash(bytes)
        parsed = front
    }

    /// A whole block is in the buffer: check it, then act on its records.
    private mutating func acceptBlock() throws(LoaderError) {
        let front = parsed
        let block = UnsafeRawBufferPointer(rebasing: memory[0 ..< blockLength])
        if blockIndex == 0 {
            frontHash.update(block)
            try checkSignature(front, digest: frontHash.finalize())
            verified = true
            try begin(front)
            if isComplete { return }
        } else {
            guard SHA256.hash(block) == expectedDigest else {
                throw .format(.malformedBlock(block: blockIndex, offset: 0, .digestMismatch))
            }
        }
        let end = blockOffset + blockLength
        let last = end == Int(front.bundleLength)
        var payload = block
        var next: (length: UInt16, digest: Digest32) = (0, .zero)
        if !last {
            guard blockLength >= BlockTrailer.size else {
                throw .format(.malformedBlock(block: blockIndex, offset: 0, .badBlockLength(UInt32(blockLength))))
            }
            next = BlockTrailer.parse(block)
            payload = UnsafeRawBufferPointer(rebasing: block[0 ..< blockLength - BlockTrailer.size])
            guard next.length >= 1, Int(next.length) <= front.blockLimit,
                  end + Int(next.length) <= Int(front.bundleLength) else {
                throw .format(.malformedBlock(block: blockIndex, offset: blockLength - BlockTrailer.size,
                                              .badBlockLength(UInt32(next.length))))
            }
        }
        try runBlock(payload, front)
        blocksDone += 1
        if last {
            try closeStep()
            guard factorFilled == Int(front.factorBytes) else {
                throw .format(.malformedBlock(block: blockIndex, offset: payload.count, .factorBytes))
            }
            isComplete = true
            return
        }
        blockIndex += 1
        blockOffset = end
        blockLength = Int(next.length)
        expectedDigest = next.digest
        // A resume whose factors are all in: go straight to the journal's block.
        if resuming, blockIndex < Int(resumeAt.blockIndex), factorFilled == Int(front.factorBytes) {
            blockIndex = Int(resumeAt.blockIndex)
            blockOffset = Int(resumeAt.blockOffset)
            blockLength = Int(resumeAt.blockLength)
            expectedDigest = resumeAt.digest
            nextOffset = blockOffset
            guard blockLength >= 1, blockLength <= front.blockLimit,
                  blockOffset + blockLength <= Int(front.bundleLength) else { throw .cannotResume }
        }
    }

    /// Checks the signature over SHA-256(front ‖ block 0).
    private mutating func checkSignature(_ front: StreamHeader, digest: Digest32) throws(LoaderError) {
        var message: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var copy = signature
        let verdict = withUnsafeMutableBytes(of: &message) { (m: UnsafeMutableRawBufferPointer) -> SignatureCheck in
            StreamSignature.message(digest: digest, into: m)
            return withUnsafeBytes(of: &copy) { (s: UnsafeRawBufferPointer) -> SignatureCheck in
                verifier.check(algorithm: front.algorithm, keyID: front.keyID, message: UnsafeRawBufferPointer(m),
                               signature: s)
            }
        }
        switch verdict {
        case .valid: keyID = front.keyID
        case .invalid: throw .signatureInvalid
        case .unknownKey: throw .unknownKey(keyID: front.keyID)
        case .unsupportedAlgorithm: throw .unsupportedAlgorithm(front.algorithm)
        }
    }

    /// After the signature: checks the store for the operation and opens
    /// its journal (apply, unapply), or finds where to resume.
    private mutating func begin(_ front: StreamHeader) throws(LoaderError) {
        let segment = Int(front.segmentSize)
        let unit = store.stepUnit > 0 ? store.stepUnit : segment
        guard unit % segment == 0 else { throw .stepUnitMismatch(segmentSize: front.segmentSize, stepUnit: unit) }
        steps = StepCursor(unitSize: unit)
        if operation == .verify { return }
        guard store.capacity >= Int(front.storeCapacityNeeded) else {
            throw .storeTooSmall(needed: front.storeCapacityNeeded, capacity: store.capacity)
        }
        switch operation {
        case .verify:
            return
        case .apply, .unapply:
            // Nothing of a one-way bundle's target says how to get the base back.
            if operation == .unapply, front.flags & StreamHeader.oneWayFlag != 0 { throw .oneWay }
            running = operation == .apply ? .apply : .unapply
            let applying = running == .apply
            let (length, expected) = applying ? (front.baseLength, front.baseSHA256) : (front.targetLength, front.targetSHA256)
            guard store.length == Int(length) else { throw .modelLengthMismatch(expected: length, actual: store.length) }
            let current = try hashModel(length: Int(length))
            guard current == expected else {
                throw applying ? .baseMismatch(expected: expected, actual: current)
                               : .notTarget(expected: expected, actual: current)
            }
            try store.beginOperation(id: bundleID, operation: running, steps: front.stepBound)
        case .resume:
            try store.setLength(Int(front.targetLength))
            if try ended(.apply, front) { return finishEarly() }
            try store.setLength(Int(front.baseLength))
            if try ended(.unapply, front) { return finishEarly() }
            var cut = InterruptedStep(operation: .apply, step: 0, redo: false)
            guard try store.interruptedStep(id: bundleID, into: &cut) else { throw .cannotResume }
            running = cut.operation
            try store.setLength(Int(front.targetLength))
            steps = StepCursor(unitSize: unit, resumeFrom: cut.step, redoFirst: cut.redo)
            resumeAt = cut.resume
            resuming = true
        }
    }

    private mutating func finishEarly() {
        isComplete = true
        nextOffset = Int(parsed.bundleLength)
    }

    /// Acts on one verified block's records: first decodes them all without
    /// writing (factor records are copied into the factor area), then runs them.
    private mutating func runBlock(_ payload: UnsafeRawBufferPointer, _ front: StreamHeader) throws(LoaderError) {
        var factorOnly = false
        if resuming {
            if blockIndex < Int(resumeAt.blockIndex) {
                factorOnly = true
            } else if blockIndex == Int(resumeAt.blockIndex) {
                steps.next = resumeAt.stepAtBlockStart
                openStep = OpenStep()
                openStep.unit = resumeAt.openUnitAtBlockStart == ResumePoint.noUnit ? -1 : Int(resumeAt.openUnitAtBlockStart)
                order = BlockRecordReader.Order()
                order.rank = resumeAt.orderRank
                order.segment = resumeAt.orderSegment
                // Length changes in the blocks passed over are restored as they left it.
                try store.setLength(Int(resumeAt.modelLength))
                resuming = false
            }
        }
        let point = ResumePoint(blockIndex: UInt32(blockIndex), blockOffset: UInt32(blockOffset),
                                blockLength: UInt16(blockLength), digest: blockIndex == 0 ? .zero : expectedDigest,
                                stepAtBlockStart: steps.next,
                                openUnitAtBlockStart: openStep.unit < 0 ? ResumePoint.noUnit : UInt32(openStep.unit),
                                orderRank: order.rank, orderSegment: order.segment,
                                modelLength: UInt32(truncatingIfNeeded: store.length))
        let startOrder = order
        let savedSteps = steps, savedOpen = openStep
        try records(payload, front, point: point, validating: true, factorOnly: factorOnly)
        if operation == .verify || factorOnly { return }
        order = startOrder
        steps = savedSteps
        openStep = savedOpen
        try records(payload, front, point: point, validating: false, factorOnly: false)
    }

    /// One pass over a block's records.
    private mutating func records(_ payload: UnsafeRawBufferPointer, _ front: StreamHeader, point: ResumePoint,
                                  validating: Bool, factorOnly: Bool) throws(LoaderError) {
        var reader = BlockRecordReader(payload: payload, block: blockIndex, segmentCount: front.segmentCount)
        let factorBase = front.blockLimit
        let rest = UnsafeMutableRawBufferPointer(rebasing: memory[(factorBase + Int(front.factorBytes))...])
        let window = RAMWindow(rest)
        let declaredWorkspace = Int(front.windowSize) - StreamWindow.required(for: front)
        let factors: SectionEntry? = front.factorBytes == 0 ? nil
            : SectionEntry(kind: .factors, codec: .stored, offset: UInt32(factorBase), storedLength: UInt32(front.factorBytes),
                           decodedLength: UInt32(front.factorBytes), digest: .zero)
        let source = MemoryBundleSource(bytes: UnsafeRawBufferPointer(memory))
        while true {
            let record: BlockRecord
            do {
                guard let next = try reader.next(order: &order) else { return }
                record = next
            } catch { throw .format(error) }
            if record.kind == .factors {
                // A loader without LoRA and low-rank operations never gets here: the
                // front's feature flags of a bundle with factors refuse it first.
                #if ADAPTERPACK_NO_LORA && ADAPTERPACK_NO_LOW_RANK
                throw .notBuiltIn(.lora)
                #else
                if validating { try copyFactors(record, payload, front, tables: window.modelBuffer) }
                continue
                #endif
            }
            if record.kind == .metadata || record.kind == .tensorMap || factorOnly { continue }
            guard factorFilled == Int(front.factorBytes) else {
                throw .format(.malformedBlock(block: blockIndex, offset: record.start, .factorBytes))
            }
            guard WindowLayout.decoderWorkspace(record.codec) <= declaredWorkspace else {
                throw .format(.malformedBlock(block: blockIndex, offset: record.start, .workspace))
            }
            #if ADAPTERPACK_NO_DEFLATE
            if case .deflate = record.codec { throw .notBuiltIn(.deflate) }
            #endif
            #if ADAPTERPACK_NO_LAYOUT
            if record.kind == .layout || record.kind == .undo { throw .notBuiltIn(.layout) }
            #endif
            let mode = validating || operation == .verify ? ExecutionMode.validate : runMode(for: record.kind)
            var open = openStep
            let cursor = steps
            // Only locals inside: the store is borrowed for the executor's life.
            let newSteps = try withUnsafeMutablePointer(to: &store) { (pointer) throws(LoaderError) -> StepCursor in
                var executor = OpExecutor(store: pointer, buffer: window.modelBuffer, limit: front.storeCapacityNeeded,
                                          factors: factors, steps: cursor)
                executor.resumePoint = point
                if record.kind.isSegmented {
                    try Self.runContent(record, front, &executor, &open, source: source, window: window, mode: mode)
                } else {
                    if !validating { try open.close(&executor) }
                    try executor.run(record.asEntry(blockBase: 0), source: source, window: window, mode: mode)
                }
                return executor.steps
            }
            steps = newSteps
            openStep = open
        }
    }

    /// How a record of `kind` runs in this operation (layout only on apply,
    /// undo only on unapply; the other is decoded and checked, not run).
    private func runMode(for kind: SectionKind) -> ExecutionMode {
        let applying = running == .apply
        switch kind {
        case .layout: return applying ? .forward : .validate
        case .undo: return applying ? .validate : .forward
        default: return applying ? .forward : .inverse
        }
    }

    /// Appends a factors record's decoded bytes to the factor area: copied
    /// (stored) or range-decoded (`values`, its probabilities in `tables`).
    private mutating func copyFactors(_ record: BlockRecord, _ payload: UnsafeRawBufferPointer,
                                      _ front: StreamHeader, tables: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        let count = Int(record.decodedLength)
        guard count <= Int(front.factorBytes) - factorFilled else {
            throw .format(.malformedBlock(block: blockIndex, offset: record.start, .factorBytes))
        }
        let at = front.blockLimit + factorFilled
        let stored = UnsafeRawBufferPointer(rebasing: payload[record.start ..< record.start + Int(record.storedLength)])
        let area = UnsafeMutableRawBufferPointer(rebasing: memory[at ..< at + count])
        if record.codec == .values {
            do { try CodedValues.decode(stored, into: area, tables: tables) } catch { throw .format(error) }
        } else {
            area.copyMemory(from: stored)
        }
        factorFilled += count
    }

    /// A content record: one step per unit; a record of a new unit closes the
    /// open step (records ascend by segment, so a unit's records are adjacent).
    private static func runContent(_ record: BlockRecord, _ front: StreamHeader, _ executor: inout OpExecutor<Store>,
                                   _ open: inout OpenStep, source: MemoryBundleSource, window: RAMWindow,
                                   mode: ExecutionMode) throws(LoaderError) {
        let chunk = ContentChunk(segment: record.segment, offset: UInt32(record.start), storedLength: record.storedLength,
                                 decodedLength: record.decodedLength)
        if mode != .validate {
            let unit = Int(UInt64(record.segment) * UInt64(front.segmentSize) / UInt64(executor.steps.unitSize))
            try open.enter(unit: unit, &executor, mode: mode)
            guard open.runs else { return }
        }
        try executor.run(chunk, kind: record.kind, codec: record.codec, segmentSize: front.segmentSize,
                         source: source, window: window, mode: mode)
    }

    /// Commits the open content step at the end of the stream.
    mutating func closeStep() throws(LoaderError) {
        if openStep.unit >= 0 && openStep.runs && operation != .verify { try store.commitStep() }
        openStep = OpenStep()
    }

    /// Whether the store holds exactly the model `operation` ends with; if so
    /// that is recorded as the outcome.
    mutating func ended(_ operation: JournalOperation, _ front: StreamHeader) throws(LoaderError) -> Bool {
        let (length, expected) = operation == .apply ? (front.targetLength, front.targetSHA256)
                                                     : (front.baseLength, front.baseSHA256)
        guard store.length == Int(length) else { return false }
        let result = try hashModel(length: store.length)
        guard result == expected else { return false }
        outcome = LoaderOutcome(state: operation == .apply ? .target : .base, sequence: UInt64(front.sequence),
                                modelLength: store.length, modelSHA256: result, interpreterMustBeRecreated: true)
        hasOutcome = true
        return true
    }

    /// SHA-256 of the first `length` model bytes, read through the block buffer
    /// (free whenever this runs: before a block's records or after the last).
    mutating func hashModel(length: Int) throws(LoaderError) -> Digest32 {
        var hash = SHA256()
        var position = 0
        let scratchStart = phase == .front ? 0 : parsed.blockLimit + Int(parsed.factorBytes)
        let buffer = RAMWindow(UnsafeMutableRawBufferPointer(rebasing: memory[scratchStart...])).modelBuffer
        while position < length {
            let n = min(buffer.count, length - position)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< n])
            try store.read(at: position, into: chunk)
            hash.update(UnsafeRawBufferPointer(chunk))
            position += n
        }
        return hash.finalize()
    }
}

/// The content step a stream has open: its unit, and whether it runs (a
/// resume passes over steps finished before the cut).
struct OpenStep {
    var unit = -1
    var runs = false

    /// Makes `unit`'s step the open one, committing the previous step.
    mutating func enter<Store: ModelStore>(unit: Int, _ executor: inout OpExecutor<Store>,
                                           mode: ExecutionMode) throws(LoaderError) {
        guard unit != self.unit else { return }
        try close(&executor)
        runs = try executor.startStep(unit: unit, mode: mode)
        self.unit = unit
    }

    /// Commits the open step, if one runs.
    mutating func close<Store: ModelStore>(_ executor: inout OpExecutor<Store>) throws(LoaderError) {
        if unit >= 0 && runs { try executor.store.commitStep() }
        unit = -1
        runs = false
    }
}
