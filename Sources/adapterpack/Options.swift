import AdapterPack
import ArgumentParser

/// The allowed values of one numeric option.
///
/// Each command checks its numeric options against one of these in `validate()`,
/// so a value the loader or planner cannot work with (a negative window, a page
/// size that cannot be allocated) is refused before any file is read, with a
/// message that names the option and its range. The options are declared with
/// `parsing: .unconditional` and `parse` as their transform, so `--window -5`
/// reaches the range check instead of reading as a missing value, and a value
/// outside the integer type gets the same message.
struct NumericRange<Value: FixedWidthInteger & Sendable>: Sendable {
    /// The option's spelling, e.g. "--window".
    let option: String
    let range: ClosedRange<Value>
    /// Unit after the range ("bytes"), or "".
    let unit: String

    init(_ option: String, _ range: ClosedRange<Value>, unit: String = "") {
        self.option = option
        self.range = range
        self.unit = unit
    }

    /// "512…1048576 bytes".
    var allowed: String { "\(range.lowerBound)…\(range.upperBound)" + (unit.isEmpty ? "" : " \(unit)") }

    /// Refuses a value outside the range; nil (option not given) passes.
    func check(_ value: Value?) throws {
        guard let value, !range.contains(value) else { return }
        throw ValidationError("\(option) must be \(allowed); got \(value)")
    }

    /// The option's transform: a whole number of `Value`'s type, else the range in the message.
    var parse: @Sendable (String) throws -> Value {
        let allowed = allowed, option = option
        return { text in
            guard let value = Value(text) else {
                throw ValidationError("\(option) must be a whole number in \(allowed)")
            }
            return value
        }
    }
}

/// The ranges of the numeric options of diff, build, apply and unapply.
enum Ranges {
    /// Largest RAM window accepted. The largest window a bundle can need is about
    /// 35 KB (fixed buffers, a 32 KB inflate window, the LoRA factor buffer); 1 MiB
    /// leaves a wide margin and is still a size the host can always allocate.
    static let largestWindow = 1 << 20
    /// Largest model or bundle the host reads (`FileIO.ReadLimit.modelOrBundle`).
    static let largestFile = FileIO.ReadLimit.modelOrBundle.bytes

    /// apply/unapply --window: the loader refuses windows under its 512 fixed bytes.
    static let window = NumericRange("--window", 512 ... largestWindow, unit: "bytes")
    /// diff --max-window: at least the loader's fixed 512 bytes.
    static let diffMaxWindow = NumericRange("--max-window", 512 ... largestWindow, unit: "bytes")
    /// build --max-window: the fixed 512 bytes plus the 512-byte LoRA factor buffer.
    static let buildMaxWindow = NumericRange("--max-window", 1024 ... largestWindow, unit: "bytes")
    static let maxBytes = NumericRange("--max-bytes", 1 ... largestFile, unit: "bytes")
    /// build --rank: the format's limit is 128; the adapter's own rank is checked when it is read.
    static let rank = NumericRange("--rank", 1 ... 128)
    static let factorBits = NumericRange("--factor-bits", FactorBits.narrowest ... 8)
    static let backupMergeGap = NumericRange("--backup-merge-gap", 0 ... largestFile, unit: "bytes")
    static let sequence = NumericRange<UInt64>("--sequence", 0 ... .max)
    static let minSequence = NumericRange<UInt64>("--min-sequence", 0 ... .max)
    /// --flash-page: also a power of two (checked in `FlashOptions.validate`).
    static let flashPage = NumericRange("--flash-page", 256 ... largestWindow, unit: "bytes")
    /// --program-size: also divides the page (checked in `FlashOptions.validate`).
    static let programSize = NumericRange("--program-size", 1 ... largestWindow, unit: "bytes")
    /// --block-size (format 2): also a power of two (checked in `FormatOptions.validate`).
    static let blockSize = NumericRange("--block-size", 256 ... 32_768, unit: "bytes")
    /// --stream-piece: bytes per piece a simulated link delivers.
    static let streamPiece = NumericRange("--stream-piece", 1 ... largestWindow, unit: "bytes")
    /// --power-cut-at: also before the run's last flash operation (checked when it is known).
    static let powerCutAt = NumericRange("--power-cut-at", 0 ... Int.max)
}

/// An error of the CLI itself (not of the library), printed as "Error: <description>".
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The block size of the bundles diff and build write, and whether they
/// carry the records for people.
struct FormatOptions: ParsableArguments {
    @Option(parsing: .unconditional,
            help: "Largest block, a power of two \(Ranges.blockSize.allowed) (default 2048); the device buffers one block.",
            transform: Ranges.blockSize.parse)
    var blockSize: Int?
    @Flag(help: "Also carry the tool, file names and tensor map (off by default: the device never reads them).")
    var describe = false

    func validate() throws {
        try Ranges.blockSize.check(blockSize)
        if let size = blockSize, size & (size - 1) != 0 {
            throw ValidationError("--block-size must be a power of two in \(Ranges.blockSize.allowed); got \(size)")
        }
    }

    func apply(to options: inout BundleOptions) {
        options.blockSize = blockSize ?? 2048
        options.describe = describe
    }
}
