/// Why a bundle could not be made.
public enum BundleBuildError: Error, CustomStringConvertible {
    case overBudget(size: Int, budget: Int)
    case emptyModel(which: String)
    case tooLarge(which: String, bytes: Int)
    /// The target's layout differs from the base's and layout changes are off.
    case layoutChanges(moves: Int, lengthChange: Int)
    /// int32 values that a segment boundary would cut in two.
    case straddlingValues(range: Range<Int>, segmentSize: Int)
    /// The written bundle did not round-trip through the device loader.
    case selfCheck(String)
    /// One operation is larger than a block can carry and cannot be cut.
    case recordTooLarge(offset: Int, bytes: Int, capacity: Int)
    /// Format 2: one block, the factors and the fixed buffers exceed the device's RAM window.
    case windowTooSmall(needed: Int, maxWindow: Int, blockSize: Int, factorBytes: Int)
    /// A format-2 header field cannot hold the value (sequence, factor bytes, block size).
    case streamLimit(field: String, value: Int, limit: Int)

    public var description: String {
        switch self {
        case .overBudget(let size, let budget):
            return "bundle would be \(size) bytes, \(size - budget) over the \(budget)-byte budget (--max-bytes)"
        case .emptyModel(let which): return "\(which) model is empty"
        case .tooLarge(let which, let bytes): return "\(which) model is \(bytes) bytes; the format limit is 4 GiB"
        case .layoutChanges(let moves, let change):
            return "the target does not keep the base's layout (\(moves) tensor moves, length change \(change) bytes): "
                + "a loader built without layout support (--without layout) cannot apply it"
        case .straddlingValues(let range, let segmentSize):
            return "int32 values at bytes \(range.lowerBound)..<\(range.upperBound) straddle a \(segmentSize)-byte segment "
                + "boundary at an unaligned offset"
        case .selfCheck(let why): return "internal check failed: \(why)"
        case .recordTooLarge(let offset, let bytes, let capacity):
            return "an operation at decoded offset \(offset) is \(bytes) bytes, more than a \(capacity)-byte block record "
                + "holds: use a larger --block-size or a smaller --segment-size"
        case .windowTooSmall(let needed, let maxWindow, let blockSize, let factorBytes):
            return "the loader would need a \(needed)-byte RAM window (a \(blockSize)-byte block, \(factorBytes) bytes of factors "
                + "and its fixed buffers), more than --max-window \(maxWindow): raise --max-window or lower --block-size"
        case .streamLimit(let field, let value, let limit):
            return "\(field) is \(value), over format 2's limit of \(limit)"
        }
    }
}
