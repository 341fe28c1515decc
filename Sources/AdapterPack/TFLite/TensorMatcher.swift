/// A tensor of the base model and the tensor of the target model that plays the same
/// role in the graph.
public struct TensorPair: Sendable, Equatable {
    /// How a pair was found, strongest first.
    public enum Method: Sendable, Equatable {
        /// Same tensor index (tensor counts are equal).
        case position
        /// Same slot of an aligned operator (or of the subgraph's inputs/outputs).
        case operatorSlot
        /// The only unmatched constant tensor of its type and shape on both sides.
        case uniqueShape
    }

    public let subgraph: Int
    public let baseIndex: Int
    public let targetIndex: Int
    public let base: TFLiteTensor
    public let target: TFLiteTensor
    public let method: Method

    public init(subgraph: Int, base: TFLiteTensor, target: TFLiteTensor, method: Method) {
        self.subgraph = subgraph
        self.baseIndex = base.index
        self.targetIndex = target.index
        self.base = base
        self.target = target
        self.method = method
    }
}

/// Pairs the tensors of two versions of one model by their place in the graph.
///
/// Names are ignored (a re-exported model renames `sequential_1/...` to
/// `sequential_2/...`) and so are file offsets (buffers move when a model is
/// re-serialized). A pair always has the same type and shape, and each tensor
/// is in at most one pair.
public enum TensorMatcher {
    /// Largest operator-count product for which operators are aligned by longest
    /// common subsequence; beyond it they are paired position by position.
    static let maxAlignmentCells = 4_000_000

    /// Pairs tensors of subgraphs with the same index, in three passes:
    /// 1. when the subgraphs have equally many tensors, tensor i with tensor i;
    /// 2. for the rest, the subgraph inputs/outputs slot by slot, then the operators
    ///    (aligned by their builtin codes, longest common subsequence) input and
    ///    output slot by slot;
    /// 3. for constant tensors still unmatched, a (type, shape) that occurs exactly
    ///    once on each side.
    ///
    /// Pairs come out sorted by subgraph, then base tensor index.
    public static func match(base: TFLiteModel, target: TFLiteModel) -> [TensorPair] {
        var pairs: [TensorPair] = []
        for s in 0..<min(base.subgraphs.count, target.subgraphs.count) {
            pairs += matchSubgraph(s, base: base, target: target)
        }
        return pairs
    }

    private static func matchSubgraph(_ s: Int, base: TFLiteModel, target: TFLiteModel) -> [TensorPair] {
        let b = base.subgraphs[s]
        let t = target.subgraphs[s]
        var forward = [Int?](repeating: nil, count: b.tensors.count)   // base index -> target index
        var method = [TensorPair.Method](repeating: .position, count: b.tensors.count)
        var taken = [Bool](repeating: false, count: t.tensors.count)
        var matched = 0

        func tryPair(_ i: Int, _ j: Int, _ how: TensorPair.Method) {
            guard b.tensors.indices.contains(i), t.tensors.indices.contains(j),
                  forward[i] == nil, !taken[j],
                  b.tensors[i].type == t.tensors[j].type, b.tensors[i].shape == t.tensors[j].shape
            else { return }
            forward[i] = j
            method[i] = how
            taken[j] = true
            matched += 1
        }
        func complete() -> Bool { matched == b.tensors.count || matched == t.tensors.count }

        // 1. Same index.
        if b.tensors.count == t.tensors.count {
            for i in b.tensors.indices { tryPair(i, i, .position) }
        }

        // 2. Same slot of the subgraph and of aligned operators.
        if !complete() {
            for (i, j) in zip(b.inputs, t.inputs) { tryPair(i, j, .operatorSlot) }
            for (i, j) in zip(b.outputs, t.outputs) { tryPair(i, j, .operatorSlot) }
            for (k, l) in alignOperators(b.operators, base.operatorCodes, t.operators, target.operatorCodes) {
                for (i, j) in zip(b.operators[k].inputs, t.operators[l].inputs) { tryPair(i, j, .operatorSlot) }
                for (i, j) in zip(b.operators[k].outputs, t.operators[l].outputs) { tryPair(i, j, .operatorSlot) }
            }
        }

        // 3. Unique (type, shape) among unmatched constants.
        if !complete() {
            struct Key: Hashable { let type: TFLiteTensorType; let shape: [Int32] }
            var baseByKey: [Key: [Int]] = [:]
            var targetByKey: [Key: [Int]] = [:]
            for tensor in b.tensors where tensor.isConstant && forward[tensor.index] == nil {
                baseByKey[Key(type: tensor.type, shape: tensor.shape), default: []].append(tensor.index)
            }
            for tensor in t.tensors where tensor.isConstant && !taken[tensor.index] {
                targetByKey[Key(type: tensor.type, shape: tensor.shape), default: []].append(tensor.index)
            }
            for (key, baseIndices) in baseByKey where baseIndices.count == 1 {
                if let targetIndices = targetByKey[key], targetIndices.count == 1 {
                    tryPair(baseIndices[0], targetIndices[0], .uniqueShape)
                }
            }
        }

        var pairs: [TensorPair] = []
        pairs.reserveCapacity(matched)
        for i in b.tensors.indices {
            if let j = forward[i] {
                pairs.append(TensorPair(subgraph: s, base: b.tensors[i], target: t.tensors[j], method: method[i]))
            }
        }
        return pairs
    }

    /// Pairs of operator positions (base, target) running the same builtin code, in
    /// order: a longest common subsequence of the two code sequences, so an inserted
    /// or removed operator does not shift every later pairing.
    static func alignOperators(_ a: [TFLiteOperator], _ aCodes: [Int32],
                               _ b: [TFLiteOperator], _ bCodes: [Int32]) -> [(Int, Int)] {
        func code(_ op: TFLiteOperator, _ codes: [Int32]) -> Int64 {
            // Unknown opcode indices never match anything real.
            codes.indices.contains(op.opcodeIndex) ? Int64(codes[op.opcodeIndex]) : Int64.min
        }
        let x = a.map { code($0, aCodes) }
        let y = b.map { code($0, bCodes) }
        let n = x.count, m = y.count
        if n == 0 || m == 0 { return [] }

        // Fast path: identical sequences (the common case) align position by position.
        if x == y { return (0..<n).map { ($0, $0) } }

        let (cells, overflow) = (n + 1).multipliedReportingOverflow(by: m + 1)
        guard !overflow, cells <= maxAlignmentCells else {
            return (0..<min(n, m)).filter { x[$0] == y[$0] }.map { ($0, $0) }
        }
        // lcs[i][j] = LCS length of x[i...] and y[j...], stored row-major.
        var lcs = [Int32](repeating: 0, count: cells)
        let width = m + 1
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i * width + j] = x[i] == y[j]
                    ? lcs[(i + 1) * width + j + 1] + 1
                    : max(lcs[(i + 1) * width + j], lcs[i * width + j + 1])
            }
        }
        var result: [(Int, Int)] = []
        var i = 0, j = 0
        while i < n && j < m {
            if x[i] == y[j] {
                result.append((i, j))
                i += 1
                j += 1
            } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return result
    }
}
