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

    /// The chunk of `section` for `segment`, if there is one. (Not inlined:
    /// four call sites, each would get a copy of the directory reader.)
    @inline(never)
    func chunk(of section: SectionEntry?, segment: UInt32, _ header: BundleHeader) throws(LoaderError) -> ContentChunk? {
        guard let section else { return nil }
        var chunks = try directory(section, header)
        while true {
            let next: ContentChunk?
            do { next = try chunks.next() } catch { throw .format(error) }
            guard let found = next, found.segment <= segment else { return nil }
            if found.segment == segment { return found }
        }
    }

    /// Checks a content section's directory and decodes every chunk without writing.
    @inline(never)
    func validateChunks<Store: ModelStore>(_ section: SectionEntry?, _ header: BundleHeader,
                                           _ executor: inout OpExecutor<Store>) throws(LoaderError) {
        guard let section else { return }
        var chunks = try directory(section, header)
        while true {
            let next: ContentChunk?
            do { next = try chunks.next() } catch { throw .format(error) }
            guard let found = next else { return }
            try executor.run(found, of: section, segmentSize: header.segmentSize, source: source, window: window,
                             mode: .validate)
        }
    }

    /// Runs the scales and payload chunks of one segment.
    func runSegment<Store: ModelStore>(_ segment: UInt32, _ bundle: VerifiedBundle, _ executor: inout OpExecutor<Store>,
                                       mode: ExecutionMode) throws(LoaderError) {
        let header = bundle.header
        if let section = bundle.table.scales, let found = try chunk(of: section, segment: segment, header) {
            try executor.run(found, of: section, segmentSize: header.segmentSize, source: source, window: window, mode: mode)
        }
        if let section = bundle.table.payload, let found = try chunk(of: section, segment: segment, header) {
            try executor.run(found, of: section, segmentSize: header.segmentSize, source: source, window: window, mode: mode)
        }
    }

    /// Runs the content chunks unit by unit in ascending order, one step per
    /// unit that has any; `.validate` only counts the steps.
    @inline(never)
    func runContent<Store: ModelStore>(_ bundle: VerifiedBundle, _ executor: inout OpExecutor<Store>,
                                       mode: ExecutionMode) throws(LoaderError) {
        let header = bundle.header
        let perUnit = UInt32(executor.steps.unitSize / Int(header.segmentSize))
        var first: UInt32 = 0
        while first < header.segmentCount {
            let end = min(header.segmentCount, first + perUnit)
            if try unitHasChunks(bundle, segments: first ..< end),
               try executor.startStep(unit: Int(first / perUnit), mode: mode) {
                var segment = first
                while segment < end {
                    try runSegment(segment, bundle, &executor, mode: mode)
                    segment += 1
                }
                try executor.store.commitStep()
            }
            first = end
        }
    }

    private func unitHasChunks(_ bundle: VerifiedBundle, segments: Range<UInt32>) throws(LoaderError) -> Bool {
        for segment in segments {
            if try chunk(of: bundle.table.scales, segment: segment, bundle.header) != nil { return true }
            if try chunk(of: bundle.table.payload, segment: segment, bundle.header) != nil { return true }
        }
        return false
    }
}
