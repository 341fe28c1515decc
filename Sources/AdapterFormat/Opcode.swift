/// Operations of the op-stream sections (Spec/FORMAT.md §4). Each case's
/// shape, sections, build option and inverse are in its `descriptor`.
public enum Opcode: UInt8, Sendable, CaseIterable {
    /// `offset, length, bytes`: model bytes ^= bytes. Its own inverse.
    case xor = 1
    /// `offset, length, bytes`: model bytes += bytes (mod 256). Inverse: subtract.
    case add8 = 2
    /// `offset, count, zigzag varints`: little-endian int32 values += deltas (mod 2^32).
    case add32 = 3
    /// `offset, length, bytes`: model bytes = bytes (new regions; unapply skips it
    /// in content sections, the undo section restores what it overwrote).
    case write = 4
    /// `source, destination, length`: memmove inside the model.
    case move = 5
    /// `length`: the model's logical length becomes `length`.
    case setLength = 6
    /// `offset, length, mode, n, n bytes`: range-coded values added (mod 256) to or
    /// xored into model bytes (§4.4). Inverse: subtract, or xor again.
    case coded = 7
    /// `offset, length, block, n1, n1 bytes, n2, n2 bytes`: weights predicted from the
    /// old bytes by a factor block's low-rank change and per-row ratios, plus a coded
    /// residual; inverse: the other prediction plus the second residual (§4.5).
    case lowRankResidual = 8
    /// `offset, length, block`: expand a factor block's LoRA change into these weight bytes (§4.3).
    case loraWeights = 10
    /// `offset, count, block`: rescale the int32 biases of the block's rescaled rows (§4.3).
    case loraBias = 11
    /// `offset, count, block`: divide the float32 quantization scales of the
    /// block's rescaled rows by their ratio (§5.3); count = rows, or 1 per-tensor.
    case loraScales = 12

    /// The operation's static description.
    @inline(__always)
    public var descriptor: OperationDescriptor {
        switch self {
        case .xor:
            return OperationDescriptor(name: "xor", fields: .offsetLength, data: .bytes, sections: .content,
                                       feature: nil, unitBytes: 1, inverse: .itself)
        case .add8:
            return OperationDescriptor(name: "add8", fields: .offsetLength, data: .bytes, sections: .content,
                                       feature: nil, unitBytes: 1, inverse: .inverted)
        case .add32:
            return OperationDescriptor(name: "add32", fields: .offsetLength, data: .zigzag, sections: .content,
                                       feature: nil, unitBytes: 4, inverse: .inverted)
        case .write:
            return OperationDescriptor(name: "write", fields: .offsetLength, data: .bytes,
                                       sections: [.content, .undo],
                                       feature: nil, unitBytes: 1, inverse: .undoSection)
        case .move:
            return OperationDescriptor(name: "move", fields: .sourceDestinationLength, data: .none,
                                       sections: [.layout, .undo],
                                       feature: .layout, unitBytes: 1, inverse: .undoSection)
        case .setLength:
            return OperationDescriptor(name: "setLength", fields: .length, data: .none,
                                       sections: [.layout, .undo],
                                       feature: .layout, unitBytes: 1, inverse: .undoSection)
        case .coded:
            return OperationDescriptor(name: "coded", fields: .offsetLength, data: .modeAndCoded, sections: .content,
                                       feature: nil, unitBytes: 1, inverse: .inverted)
        case .lowRankResidual:
            return OperationDescriptor(name: "lowRankResidual", fields: .offsetLengthBlock, data: .twoCoded,
                                       sections: .payload,
                                       feature: .lowRank, unitBytes: 1, inverse: .inverted)
        case .loraWeights:
            return OperationDescriptor(name: "loraWeights", fields: .offsetLengthBlock, data: .none,
                                       sections: .payload,
                                       feature: .lora, unitBytes: 1, inverse: .inverted)
        case .loraBias:
            return OperationDescriptor(name: "loraBias", fields: .offsetLengthBlock, data: .none,
                                       sections: .payload,
                                       feature: .lora, unitBytes: 4, inverse: .undoSection)
        case .loraScales:
            return OperationDescriptor(name: "loraScales", fields: .offsetLengthBlock, data: .none,
                                       sections: .scales,
                                       feature: .lora, unitBytes: 4, inverse: .undoSection)
        }
    }

    /// Whether the opcode may appear in a section of this kind.
    @inline(__always)
    public func isAllowed(in kind: SectionKind) -> Bool { descriptor.sections.contains(kind) }
}
