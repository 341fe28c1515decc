import AdapterFormat

/// Assembles header, section table, sections and signature into bundle bytes.
public enum BundleWriter {
    /// Builds and signs a bundle. Sections are sorted into kind order.
    public static func write(sections: [SectionPayload], sequence: UInt64, segmentSize: Int = ModelDiffer.defaultSegmentSize,
                             base: [UInt8], target: [UInt8], key: SigningKey) throws(KeyError) -> [UInt8] {
        try write(sections: sections, sequence: sequence, segmentSize: segmentSize,
                  baseLength: base.count, baseSHA256: sha256(base),
                  targetLength: target.count, targetSHA256: sha256(target), key: key)
    }

    public static func write(sections unsorted: [SectionPayload], sequence: UInt64, segmentSize: Int,
                             baseLength: Int, baseSHA256: Digest32,
                             targetLength: Int, targetSHA256: Digest32, key: SigningKey) throws(KeyError) -> [UInt8] {
        let sections = unsorted.sorted { $0.kind.rawValue < $1.kind.rawValue }
        let count = sections.count + 1
        var offset = BundleHeader.size + count * SectionEntry.size
        var entries: [SectionEntry] = []
        for section in sections {
            entries.append(SectionEntry(kind: section.kind, codec: section.codec, offset: UInt32(offset),
                                        storedLength: UInt32(section.stored.count),
                                        decodedLength: UInt32(section.decodedLength), digest: sha256(section.stored)))
            offset += section.stored.count
        }
        entries.append(SectionEntry(kind: .signature, codec: .stored, offset: UInt32(offset),
                                    storedLength: UInt32(SignatureBlock.size),
                                    decodedLength: UInt32(SignatureBlock.size), digest: .zero))
        let total = offset + SignatureBlock.size
        let workspace = (sections.map { WindowLayout.decoderWorkspace($0.codec) }.max() ?? 0)
            + (sections.contains { $0.kind == .factors } ? WindowLayout.factorBuffer : 0)
        let header = BundleHeader(sectionCount: UInt16(count), bundleLength: UInt32(total),
                                  windowSize: UInt32(WindowLayout.fixed + workspace), segmentSize: UInt32(segmentSize),
                                  sequence: sequence,
                                  baseLength: UInt32(baseLength), targetLength: UInt32(targetLength),
                                  baseSHA256: baseSHA256, targetSHA256: targetSHA256)
        var bytes = [UInt8](repeating: 0, count: BundleHeader.size + count * SectionEntry.size)
        bytes.withUnsafeMutableBytes { raw in
            header.write(into: raw)
            for (i, entry) in entries.enumerated() {
                let start = BundleHeader.size + i * SectionEntry.size
                entry.write(into: UnsafeMutableRawBufferPointer(rebasing: raw[start ..< start + SectionEntry.size]))
            }
        }
        for section in sections { bytes += section.stored }
        return try appendSignature(to: bytes, key: key)
    }

    /// Signs `content` (everything before the signature section) and appends the block.
    public static func appendSignature(to content: [UInt8], key: SigningKey) throws(KeyError) -> [UInt8] {
        let keyID = key.verifyingKey.keyID.withUnsafeBytes { Digest32(bytes: $0) }
        let message = signedMessage(content: content, keyID: keyID)
        let signature = try key.sign(message)
        let block = signature.withUnsafeBytes {
            SignatureBlock(algorithm: key.algorithm.rawValue, keyID: keyID, signature: $0)
        }
        var out = content
        var tail = [UInt8](repeating: 0, count: SignatureBlock.size)
        tail.withUnsafeMutableBytes { block.write(into: $0) }
        out += tail
        return out
    }

    /// Replaces a bundle's signature with one made by `key` (`adapterpack sign`).
    /// Refuses (`BundleNotVerified`, naming the section) a bundle whose sections do
    /// not match their digests or that breaks the header and table rules; with
    /// `trusted`, also one whose current signature does not verify.
    public static func resign(_ bundle: [UInt8], key: SigningKey, trusted: TrustedKeys? = nil,
                              path: String = "bundle") throws -> [UInt8] {
        let parsed = try ParsedBundle(bytes: bundle)
        let check = BundleVerification.check(parsed, keys: trusted)
        guard !check.hasProblems else { throw BundleNotVerified(path: path, problems: check.problems) }
        return try appendSignature(to: Array(bundle[0 ..< parsed.table.signedLength]), key: key)
    }

    /// The 96 bytes an Ed25519 or ECDSA signature covers (Spec/FORMAT.md §5).
    public static func signedMessage(content: [UInt8], keyID: Digest32) -> [UInt8] {
        var message = [UInt8](repeating: 0, count: SignatureBlock.messageSize)
        message.withUnsafeMutableBytes {
            SignatureBlock.message(keyID: keyID, contentDigest: sha256(content), into: $0)
        }
        return message
    }
}

/// SHA-256 of a byte array with the device's implementation.
public func sha256(_ bytes: [UInt8]) -> Digest32 {
    bytes.withUnsafeBytes { SHA256.hash($0) }
}

extension Digest32 {
    /// Lower-case hex, as `sha256sum` prints it.
    public var hex: String { hexString(bytes) }

    public var bytes: [UInt8] { (0 ..< 32).map { self[$0] } }
}

/// Lower-case hex of any bytes.
public func hexString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}
