import AdapterFormat

/// Writes the shared part of a factor block (Spec/FORMAT.md §4.2): header,
/// Aᵀ, and each row's B values. Row parameters (and a low-rank block's ratio
/// records) are the planners' own.
enum FactorBlockWriter {
    /// A zeroed block of `extent` bytes with the header, Aᵀ and B filled in.
    static func block(_ header: LoRABlockHeader, _ q: QuantizedFactors, extent: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: extent)
        bytes.withUnsafeMutableBytes { raw in
            header.write(into: raw)
            for (i, v) in q.aT.enumerated() { raw[header.aOffset + i] = UInt8(bitPattern: v) }
            for o in 0 ..< q.rows {
                let record = header.rowsOffset + o * header.rowRecordSize
                for k in 0 ..< q.rank { raw[record + k] = UInt8(bitPattern: q.b[o * q.rank + k]) }
            }
        }
        return bytes
    }
}
