/// The `values` record codec (Spec/FORMAT.md §4, codec 9): a factors
/// record's bytes range-coded one by one with the context model of `coded`
/// operations (§5.4, one lane, fresh state), each decoded value being the
/// byte itself. Factor values are int8 numbers spread around zero, which
/// this model codes in about 7 bits where deflate finds almost nothing.
public enum CodedValues {
    /// Probability bytes the decoder needs (one lane).
    public static var tableBytes: Int { CodedDelta.bytesPerLane }

    /// Decodes `stored` into exactly `output.count` bytes; every stored byte
    /// must be used [`unexpectedEnd`, `decodedLength`]. `tables` is caller
    /// memory for the probabilities (`tableBytes`).
    public static func decode(_ stored: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                              tables: UnsafeMutableRawBufferPointer) throws(FormatError) {
        var values = try CodedDeltaDecoder(input: BufferInput(stored), length: stored.count,
                                           mode: CodedDeltaMode(xor: false, laneBits: 0), tables: tables,
                                           section: SectionKind.factors.rawValue)
        var i = 0
        while i < output.count {
            output[i] = try values.next()
            i += 1
        }
        try values.finish()
    }
}
