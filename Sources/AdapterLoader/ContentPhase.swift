#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// Content sections (scales, payload) hold one chunk per touched segment;
/// chunks decode independently, so the loader can (re)build any segment from
/// its old bytes alone — the basis of power-fail safe apply on flash.
extension BundleLoader {
    /// A cursor over `kind`'s chunk directory (none when the bundle has no
    /// such section), reading through its own half of the directory buffer.
    func chunks(of kind: SectionKind, _ bundle: VerifiedBundle) throws(LoaderError) -> ChunkCursor<Source> {
        guard let section = bundle.table.entry(kind) else { return ChunkCursor(section: nil, reader: nil) }
        let reader = SectionReader(source: source, entry: section, buffer: window.directoryBuffer(kind == .scales ? 0 : 1))
        do {
            return ChunkCursor(section: section,
                               reader: try ChunkDirectoryReader(input: reader, section: section,
                                                                segmentCount: bundle.header.segmentCount))
        } catch { throw .format(error) }
    }

    /// Checks both content sections' directories and decodes every chunk without writing.
    func validateContent<Store: ModelStore>(_ bundle: VerifiedBundle,
                                            _ executor: inout OpExecutor<Store>) throws(LoaderError) {
        let all = bundle.header.segmentCount
        var scales = try chunks(of: .scales, bundle), payload = try chunks(of: .payload, bundle)
        try scales.run(below: all, bundle.header, &executor, source: source, window: window, mode: .validate)
        try payload.run(below: all, bundle.header, &executor, source: source, window: window, mode: .validate)
    }

    /// Runs the content chunks unit by unit in ascending order, one step per
    /// unit that has any (scales before payload in each); `.validate` only
    /// counts the steps. Each directory is walked once, front to back.
    @inline(never)
    func runContent<Store: ModelStore>(_ bundle: VerifiedBundle, _ executor: inout OpExecutor<Store>,
                                       mode: ExecutionMode) throws(LoaderError) {
        let header = bundle.header
        let perUnit = UInt32(executor.steps.unitSize / Int(header.segmentSize))
        var scales = try chunks(of: .scales, bundle), payload = try chunks(of: .payload, bundle)
        var first: UInt32 = 0
        while first < header.segmentCount {
            let end = min(header.segmentCount, first + perUnit)
            let inScales = try scales.hasChunk(below: end), inPayload = try payload.hasChunk(below: end)
            if inScales || inPayload {
                // A step finished before a power cut (or a counting pass) only passes over its chunks.
                let runs = try executor.startStep(unit: Int(first / perUnit), mode: mode)
                try scales.run(below: end, header, &executor, source: source, window: window, mode: mode, skip: !runs)
                try payload.run(below: end, header, &executor, source: source, window: window, mode: mode, skip: !runs)
                if runs { try executor.store.commitStep() }
            }
            first = end
        }
    }
}

/// One content section's chunk directory, read once from front to back
/// while the loader's units ascend (the reader checks the order).
struct ChunkCursor<Source: BundleSource> {
    let section: SectionEntry?
    var reader: ChunkDirectoryReader<SectionReader<Source>>?
    /// The next chunk, read but not yet run.
    private var pending: ContentChunk?

    init(section: SectionEntry?, reader: ChunkDirectoryReader<SectionReader<Source>>?) {
        self.section = section
        self.reader = reader
    }

    /// Whether the next chunk lies in a segment below `end`.
    mutating func hasChunk(below end: UInt32) throws(LoaderError) -> Bool {
        if pending == nil, reader != nil {
            do { pending = try reader?.next() } catch { throw .format(error) }
            // The directory's end (its totals were checked): nothing more to read.
            if pending == nil { reader = nil }
        }
        guard let chunk = pending else { return false }
        return chunk.segment < end
    }

    /// Runs (or with `skip`, passes over) every chunk below segment `end`.
    mutating func run<Store: ModelStore>(below end: UInt32, _ header: BundleHeader, _ executor: inout OpExecutor<Store>,
                                         source: Source, window: RAMWindow, mode: ExecutionMode,
                                         skip: Bool = false) throws(LoaderError) {
        while try hasChunk(below: end), let chunk = pending, let section {
            pending = nil
            if !skip {
                try executor.run(chunk, of: section, segmentSize: header.segmentSize, source: source, window: window,
                                 mode: mode)
            }
        }
    }
}
