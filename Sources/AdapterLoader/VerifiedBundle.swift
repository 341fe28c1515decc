#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// A bundle whose structure, digests and signature have been checked.
public struct VerifiedBundle: Equatable, Sendable {
    public let header: BundleHeader
    public let table: SectionTable
    /// The signature's algorithm (`SignatureBlock.ed25519` or `.ecdsaP256`).
    public let algorithm: UInt8
    /// SHA-256 of the public key that signed the bundle.
    public let keyID: Digest32
}

extension BundleLoader {
    /// Reads header and table, checks the window, hashes every byte, compares
    /// section digests and checks the signature — before anything is acted on.
    func verifyBundle(minimumSequence: UInt64) throws(LoaderError) -> VerifiedBundle {
        guard window.memory.count >= WindowLayout.fixed else {
            throw .windowTooSmall(needed: WindowLayout.fixed, given: window.memory.count)
        }
        let head = window.headerBuffer
        let available = min(source.length, head.count)
        guard available >= BundleHeader.size else {
            throw .format(.truncated(offset: 0, needed: BundleHeader.size, available: source.length))
        }
        try readFully(source, at: 0, into: UnsafeMutableRawBufferPointer(rebasing: head[0 ..< available]))
        let header: BundleHeader
        do { header = try BundleHeader(parsing: UnsafeRawBufferPointer(rebasing: head[0 ..< available])) }
        catch { throw .format(error) }
        guard source.length == Int(header.bundleLength) else {
            if source.length < Int(header.bundleLength) {
                throw .format(.truncated(offset: source.length, needed: Int(header.bundleLength), available: source.length))
            }
            throw .sourceLengthMismatch(headerLength: header.bundleLength, sourceLength: source.length)
        }
        let tableEnd = header.firstSectionOffset
        let table: SectionTable
        do {
            table = try SectionTable(parsing: UnsafeRawBufferPointer(rebasing: head[BundleHeader.size ..< tableEnd]),
                                     header: header)
        } catch { throw .format(error) }
        let required = WindowLayout.required(for: table)
        guard Int(header.windowSize) >= required else {
            throw .format(.invalidHeaderField(.windowSize, value: header.windowSize))
        }
        guard window.memory.count >= Int(header.windowSize) else {
            throw .windowTooSmall(needed: Int(header.windowSize), given: window.memory.count)
        }
        #if ADAPTERPACK_NO_DEFLATE || ADAPTERPACK_NO_LAYOUT
        // Straight from the table bytes (FORMAT.md §3): the low bytes of an
        // entry's kind and codec fields (codec id 1 is deflate); the table is
        // parsed already, so every kind is a known one, below 256.
        for index in 0 ..< Int(header.sectionCount) {
            let entry = BundleHeader.size + index * SectionEntry.size
            #if ADAPTERPACK_NO_DEFLATE
            if head[entry + 2] == 1 { throw .notBuiltIn(.deflate) }
            #endif
            #if ADAPTERPACK_NO_LAYOUT
            let kind = UInt16(head[entry])
            if kind == SectionKind.layout.rawValue || kind == SectionKind.undo.rawValue { throw .notBuiltIn(.layout) }
            #endif
        }
        #endif
        guard header.sequence >= minimumSequence else {
            throw .rollback(bundleSequence: header.sequence, deviceSequence: minimumSequence)
        }

        // One pass over the signed bytes: the content hash for the signature and
        // a hash per section for the table digests.
        var content = SHA256()
        content.update(UnsafeRawBufferPointer(rebasing: head[0 ..< tableEnd]))
        var index = 0
        while let entry = table.entry(at: index), entry.kind != .signature {
            var section = SHA256()
            var position = Int(entry.offset)
            let end = position + Int(entry.storedLength)
            let buffer = window.sourceBuffer
            while position < end {
                let n = min(buffer.count, end - position)
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< n])
                try readFully(source, at: position, into: chunk)
                section.update(UnsafeRawBufferPointer(chunk))
                content.update(UnsafeRawBufferPointer(chunk))
                position += n
            }
            guard section.finalize() == entry.digest else {
                throw .format(.sectionDigestMismatch(index: index, kind: entry.kind.rawValue))
            }
            index += 1
        }
        let contentDigest = content.finalize()

        // Checked in place: the signature bytes stay in the source buffer.
        let sigBytes = UnsafeRawBufferPointer(
            UnsafeMutableRawBufferPointer(rebasing: window.sourceBuffer[0 ..< SignatureBlock.size]))
        try readFully(source, at: Int(table.signature.offset), into: UnsafeMutableRawBufferPointer(mutating: sigBytes))
        do { try SignatureBlock.checkFields(sigBytes, offset: Int(table.signature.offset)) } catch { throw .format(error) }
        let algorithm = sigBytes[0], keyID = Digest32(bytes: UnsafeRawBufferPointer(rebasing: sigBytes[4 ..< 36]))
        let message = UnsafeMutableRawBufferPointer(rebasing: window.modelBuffer[0 ..< SignatureBlock.messageSize])
        SignatureBlock.message(keyID: keyID, contentDigest: contentDigest, into: message)
        let verdict = verifier.check(algorithm: algorithm, keyID: keyID, message: UnsafeRawBufferPointer(message),
                                     signature: UnsafeRawBufferPointer(rebasing: sigBytes[36 ..< 100]))
        switch verdict {
        case .valid: break
        case .invalid: throw .signatureInvalid
        case .unknownKey: throw .unknownKey(keyID: keyID)
        case .unsupportedAlgorithm: throw .unsupportedAlgorithm(algorithm)
        }
        // Metadata and tensor map are informational: the loader never reads them
        // (host tools check them; FORMAT.md §7).
        return VerifiedBundle(header: header, table: table, algorithm: algorithm, keyID: keyID)
    }
}
