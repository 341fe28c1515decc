/// A weight tensor that `diff --lossy` sends as its low-rank prediction and
/// only the misses larger than `tolerance` int8 steps (Spec/FORMAT.md §4.5;
/// `Int.max`: the prediction alone): the device's tensor becomes that
/// approximation, not the target's bytes.
public struct LossyTensor: Sendable {
    public var problem: LowRankProblem
    public var rank: Int
    public var bits: FactorBits
    public var tolerance: Int

    public init(problem: LowRankProblem, rank: Int, bits: FactorBits = .exact, tolerance: Int = .max) {
        self.problem = problem
        self.rank = rank
        self.bits = bits
        self.tolerance = tolerance
    }

    /// The operations and factor block, with the block at `block` in the factors section.
    public func candidate(segmentSize: Int, block: Int) -> LowRankPlanner.Candidate? {
        problem.candidate(rank: rank, tolerance: tolerance, bits: bits, segmentSize: segmentSize, block: block)
    }
}
