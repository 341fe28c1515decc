/// The person-readable form of `inspect`, in the spirit of `imgtool dumpinfo`.
extension BundleDescription {
    public func text() -> String {
        var out: [String] = [verification.summary]
        for problem in verification.problems.dropFirst() { out.append("NOT VERIFIED: \(problem)") }
        for note in verification.notes { out.append("note: \(note)") }
        out.append("adapterpack bundle, format \(formatVersion)")
        out.append("  bundle length   \(bundleLength) bytes")
        out.append("  RAM window      \(windowSize) bytes")
        out.append("  sequence        \(sequence)")
        out.append("  base model      \(base.length) bytes  sha256 \(base.sha256)")
        out.append("  target model    \(target.length) bytes  sha256 \(target.sha256)")
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            out.append("  \(key.padding(15)) \(value)")
        }
        out.append("sections:")
        out.append("  #  kind        codec        offset   stored  decoded  operations")
        for s in sections {
            let ops = s.operations.map { $0.sorted(by: { $0.key < $1.key }).map { "\($0.key)×\($0.value)" }.joined(separator: " ") } ?? ""
            out.append("  \(String(s.index).padding(2)) \(s.kind.padding(11)) \(s.codec.padding(11)) \(String(s.offset).leftPad(7)) \(String(s.storedLength).leftPad(8)) \(String(s.decodedLength).leftPad(8))  \(ops)")
        }
        if !tensorMap.isEmpty {
            out.append("changed tensors:")
            for t in tensorMap {
                let index = t.tensorIndex.map { "tensor \($0)" } ?? "region"
                let shape = t.shape.map(String.init).joined(separator: "×")
                out.append("  \(index.padding(11)) \(t.role.padding(10)) type \(String(t.elementType).padding(3)) shape \(shape.padding(12)) bytes \(t.offset)..<\(t.offset + t.length)")
            }
        }
        out.append("signature:")
        out.append("  algorithm       \(signature.algorithm)")
        out.append("  key id          \(signature.keyID)")
        out.append("  covers bytes    0..<\(signature.signedLength)")
        out.append("  checked         " + (verification.verified ? "yes, with a trusted key"
                                           : verification.signatureChecked ? "FAILED" : "no (give --trusted-key PUB.pem)"))
        return out.joined(separator: "\n") + "\n"
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
