/// A run of base bytes that reappears, possibly shifted, in the target.
public struct Block: Equatable, Sendable {
    public var base: Int
    public var target: Int
    public var length: Int
    public var shift: Int { target - base }
}

/// Aligns a base and a target file as ordered, non-overlapping blocks.
///
/// Anchors (tensor data and scale vectors matched by graph position) fix where
/// each base region went; between anchors the common prefix and suffix of the
/// gap are kept as blocks and the rest becomes literal target bytes. Files of
/// identical layout give one block that covers everything.
public enum BlockMap {
    public static func align(base: [UInt8], target: [UInt8], anchors: [Block]) -> [Block] {
        if base.count == target.count, anchors.allSatisfy({ $0.shift == 0 }) {
            return [Block(base: 0, target: 0, length: base.count)]
        }
        // Keep a chain of anchors increasing in both files, without overlaps.
        let sorted = anchors.filter { $0.length > 0 }.sorted { ($0.base, $0.target) < ($1.base, $1.target) }
        var chain: [Block] = []
        for anchor in sorted {
            if let last = chain.last {
                guard anchor.base >= last.base + last.length, anchor.target >= last.target + last.length else { continue }
            }
            chain.append(anchor)
        }
        var blocks: [Block] = []
        var baseCursor = 0, targetCursor = 0
        for anchor in chain + [Block(base: base.count, target: target.count, length: 0)] {
            blocks += gapBlocks(base: base, target: target, baseRange: baseCursor ..< anchor.base,
                                targetRange: targetCursor ..< anchor.target)
            if anchor.length > 0 { blocks.append(anchor) }
            baseCursor = anchor.base + anchor.length
            targetCursor = anchor.target + anchor.length
        }
        return merge(blocks)
    }

    /// Blocks for a gap: equal-length gaps map whole; otherwise the common
    /// prefix and suffix map and the middle is literal.
    static func gapBlocks(base: [UInt8], target: [UInt8], baseRange: Range<Int>, targetRange: Range<Int>) -> [Block] {
        if baseRange.isEmpty || targetRange.isEmpty { return [] }
        if baseRange.count == targetRange.count {
            return [Block(base: baseRange.lowerBound, target: targetRange.lowerBound, length: baseRange.count)]
        }
        let limit = min(baseRange.count, targetRange.count)
        var prefix = 0
        while prefix < limit, base[baseRange.lowerBound + prefix] == target[targetRange.lowerBound + prefix] { prefix += 1 }
        var suffix = 0
        while suffix < limit - prefix,
              base[baseRange.upperBound - 1 - suffix] == target[targetRange.upperBound - 1 - suffix] { suffix += 1 }
        var result: [Block] = []
        if prefix > 0 { result.append(Block(base: baseRange.lowerBound, target: targetRange.lowerBound, length: prefix)) }
        if suffix > 0 {
            result.append(Block(base: baseRange.upperBound - suffix, target: targetRange.upperBound - suffix, length: suffix))
        }
        return result
    }

    /// Joins neighbours that are contiguous in both files.
    static func merge(_ blocks: [Block]) -> [Block] {
        var out: [Block] = []
        for block in blocks {
            if var last = out.last, last.base + last.length == block.base, last.target + last.length == block.target {
                last.length += block.length
                out[out.count - 1] = last
            } else {
                out.append(block)
            }
        }
        return out
    }
}
