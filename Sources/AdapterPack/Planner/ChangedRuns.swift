/// Where a target differs from its base, as byte runs: what `diff` turns
/// into operations and `build` into scale patches.
enum ChangedRuns {
    /// Ranges of `range` (target offsets) whose bytes differ from the base
    /// byte they came from, joined across unchanged gaps shorter than
    /// `joinGap`. `origin[i]` is the base offset of target byte `i`, or −1
    /// for a byte that comes from no base byte (always "changed"); nil means
    /// every byte sits where it was.
    static func find(base: [UInt8], target: [UInt8], origin: [Int]?, range: Range<Int>,
                     joinGap: Int = ModelDiffer.joinGap) -> [Range<Int>] {
        func changed(_ i: Int) -> Bool {
            guard let origin else { return base[i] != target[i] }
            let o = origin[i]
            return o < 0 || base[o] != target[i]
        }
        var runs: [Range<Int>] = []
        var i = range.lowerBound
        while i < range.upperBound {
            guard changed(i) else { i += 1; continue }
            var end = i + 1
            var j = i + 1
            while j < range.upperBound, j - end < joinGap {
                if changed(j) { end = j + 1 }
                j += 1
            }
            if let last = runs.last, i - last.upperBound < joinGap {
                runs[runs.count - 1] = last.lowerBound ..< end
            } else {
                runs.append(i ..< end)
            }
            i = end
        }
        return runs
    }
}
