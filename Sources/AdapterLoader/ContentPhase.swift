#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// Content sections (scales, payload) hold one chunk per touched segment;
/// chunks decode independently, so the loader can (re)build any segment from
/// its old bytes alone — the basis of power-fail safe apply on flash.
extension BundleLoader {
    /// A cursor over `kind`'s chunk directory (an empty one when the bundle
    /// has no such section), reading through its own half of the directory buffer.
    func chunks(of kind: SectionKind, _ bundle: VerifiedBundle) -> ChunkCursor<Source> {
        let present = bundle.table.entry(kind)
        let section = present
            ?? SectionEntry(kind: kind, codec: .stored, offset: 0, storedLength: 0, decodedLength: 0, digest: .zero)
        let input = SectionReader(source: source, entry: section, buffer: window.directoryBuffer(kind == .scales ? 0 : 1))
        return ChunkCursor(reader: ChunkDirectoryReader(deferred: input, section: section, present: present != nil,
                                                        segmentCount: bundle.header.segmentCount))
    }

    /// Runs the content chunks unit by unit in ascending order, one step per
    /// unit that has any (scales before payload in each). `.validate` decodes
    /// every chunk without writing and counts the steps. Each directory is
    /// walked once, front to back, and only units with chunks are visited.
    @inline(never)
    func runContent<Store: ModelStore>(_ bundle: VerifiedBundle, _ executor: inout OpExecutor<Store>,
                                       mode: ExecutionMode) throws(LoaderError) {
        let header = bundle.header
        let perUnit = UInt32(executor.steps.unitSize / Int(header.segmentSize))
        var scales = chunks(of: .scales, bundle), payload = chunks(of: .payload, bundle)
        while true {
            // Both directories at their ends (totals checked): done.
            let segment = min(try scales.nextSegment(), try payload.nextSegment())
            guard segment != ChunkCursor<Source>.none else { return }
            let unit = segment / perUnit, end = unit * perUnit + perUnit
            // A step finished before a power cut only passes over its chunks.
            let runs = try executor.startStep(unit: Int(unit), mode: mode)
            let skip = !runs && mode != .validate
            try scales.run(below: end, header, &executor, source: source, window: window, mode: mode, skip: skip)
            try payload.run(below: end, header, &executor, source: source, window: window, mode: mode, skip: skip)
            if runs { try executor.store.commitStep() }
        }
    }
}

/// One content section's chunk directory, read once from front to back
/// while the loader's units ascend (the reader checks the order).
struct ChunkCursor<Source: BundleSource> {
    var reader: ChunkDirectoryReader<SectionReader<Source>>
    /// The next chunk, read but not yet run.
    private var pending: ContentChunk?
    private var ended = false

    init(reader: ChunkDirectoryReader<SectionReader<Source>>) {
        self.reader = reader
    }

    /// What `nextSegment` returns after the last chunk.
    static var none: UInt32 { UInt32.max }

    /// The segment of the next chunk, read but not yet run; `none` at the
    /// directory's end.
    @inline(never)
    mutating func nextSegment() throws(LoaderError) -> UInt32 {
        if pending == nil, !ended {
            do { pending = try reader.next() } catch { throw .format(error) }
            ended = pending == nil
        }
        return pending?.segment ?? Self.none
    }

    /// Runs (or with `skip`, passes over) every chunk below segment `end`.
    @inline(never)
    mutating func run<Store: ModelStore>(below end: UInt32, _ header: BundleHeader, _ executor: inout OpExecutor<Store>,
                                         source: Source, window: RAMWindow, mode: ExecutionMode,
                                         skip: Bool) throws(LoaderError) {
        while try nextSegment() < end, let chunk = pending {
            pending = nil
            if !skip {
                try executor.run(chunk, kind: reader.kind, codec: reader.codec, segmentSize: header.segmentSize, source: source, window: window,
                                 mode: mode)
            }
        }
    }
}
