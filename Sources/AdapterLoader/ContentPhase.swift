#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// Content sections (scales, payload) hold one chunk per touched segment;
/// chunks decode independently, so the loader can (re)build any segment from
/// its old bytes alone — the basis of power-fail safe apply on flash.
extension BundleLoader {
    func directory(_ section: SectionEntry, _ header: BundleHeader) throws(LoaderError)
        -> ChunkDirectoryReader<SectionReader<Source>> {
        let reader = SectionReader(source: source, entry: section, buffer: window.directoryBuffer)
        do { return try ChunkDirectoryReader(input: reader, section: section, segmentCount: header.segmentCount) }
        catch { throw .format(error) }
    }

    /// Runs the chunks of `section` whose segments lie in `segments`, in
    /// directory (ascending segment) order; with `probe`, runs nothing and
    /// only says whether there is one. One directory walk serves the step
    /// scheduling, the run and the validation pass.
    @inline(never)
    func runChunks<Store: ModelStore>(of kind: SectionKind, in segments: Range<UInt32>, _ bundle: VerifiedBundle,
                                      _ executor: inout OpExecutor<Store>, mode: ExecutionMode,
                                      probe: Bool = false) throws(LoaderError) -> Bool {
        guard let section = bundle.table.entry(kind) else { return false }
        let header = bundle.header
        var chunks = try directory(section, header)
        var found = false
        while true {
            let next: ContentChunk?
            do { next = try chunks.next() } catch { throw .format(error) }
            // Chunks come in ascending segment order (the directory reader checks it).
            guard let chunk = next, chunk.segment < segments.upperBound else { return found }
            guard chunk.segment >= segments.lowerBound else { continue }
            if probe { return true }
            found = true
            try executor.run(chunk, of: section, segmentSize: header.segmentSize, source: source, window: window,
                             mode: mode)
        }
    }

    /// Checks both content sections' directories and decodes every chunk without writing.
    func validateContent<Store: ModelStore>(_ bundle: VerifiedBundle,
                                            _ executor: inout OpExecutor<Store>) throws(LoaderError) {
        let all = 0 ..< bundle.header.segmentCount
        _ = try runChunks(of: .scales, in: all, bundle, &executor, mode: .validate)
        _ = try runChunks(of: .payload, in: all, bundle, &executor, mode: .validate)
    }

    /// Runs the content chunks unit by unit in ascending order, one step per
    /// unit that has any (scales before payload in each); `.validate` only
    /// counts the steps.
    @inline(never)
    func runContent<Store: ModelStore>(_ bundle: VerifiedBundle, _ executor: inout OpExecutor<Store>,
                                       mode: ExecutionMode) throws(LoaderError) {
        let header = bundle.header
        let perUnit = UInt32(executor.steps.unitSize / Int(header.segmentSize))
        var first: UInt32 = 0
        while first < header.segmentCount {
            let segments = first ..< min(header.segmentCount, first + perUnit)
            var touched = try runChunks(of: .scales, in: segments, bundle, &executor, mode: mode, probe: true)
            if !touched { touched = try runChunks(of: .payload, in: segments, bundle, &executor, mode: mode, probe: true) }
            if touched, try executor.startStep(unit: Int(first / perUnit), mode: mode) {
                _ = try runChunks(of: .scales, in: segments, bundle, &executor, mode: mode)
                _ = try runChunks(of: .payload, in: segments, bundle, &executor, mode: mode)
                try executor.store.commitStep()
            }
            first = segments.upperBound
        }
    }
}
