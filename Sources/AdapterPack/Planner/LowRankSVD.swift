import Foundation

/// The leading singular triplets of a real matrix, for the low-rank
/// prediction of weight changes (host only; Spec/FORMAT.md §4.5).
///
/// One-sided Jacobi (Hestenes) on the matrix's smaller side: the columns of
/// a tall matrix are rotated pairwise until they are orthogonal, which gives
/// every singular value to working precision. When the smaller side is
/// large, a block power (subspace) iteration first reduces the problem to a
/// few dozen directions and Jacobi finishes it.
public enum LowRankSVD {
    /// Sides up to this size go to Jacobi directly.
    static let directLimit = 96

    /// Top `k` singular triplets of `x` (rows × columns, row-major), σ
    /// descending: `u[j]` (rows values) and `v[j]` (columns values) unit
    /// vectors with x ≈ Σ_j σ_j u_j v_jᵀ.
    public static func top(_ x: [Double], rows: Int, columns: Int, k: Int)
        -> (u: [[Double]], sigma: [Double], v: [[Double]]) {
        precondition(x.count == rows * columns && rows > 0 && columns > 0)
        let k = min(k, rows, columns)
        if min(rows, columns) <= directLimit {
            // Columns of the matrix to orthogonalize = the smaller side.
            let transpose = rows <= columns  // then work on xᵀ: columns × rows, `rows` vectors
            let n = transpose ? rows : columns, m = transpose ? columns : rows
            var vectors = [Double](repeating: 0, count: n * m)
            for r in 0 ..< rows {
                for c in 0 ..< columns {
                    if transpose { vectors[r * m + c] = x[r * columns + c] } else { vectors[c * m + r] = x[r * columns + c] }
                }
            }
            let (left, sigma, right) = jacobi(&vectors, count: n, length: m)
            // xᵀ = L Σ Rᵀ → x = R Σ Lᵀ.
            let u = transpose ? right : left, v = transpose ? left : right
            return (Array(u.prefix(k)), Array(sigma.prefix(k)), Array(v.prefix(k)))
        }
        return subspace(x, rows: rows, columns: columns, k: k)
    }

    /// One-sided Jacobi on `count` column vectors of `length` values stored
    /// back to back: returns the normalized columns (left vectors), their
    /// norms (σ) and the accumulated rotation's columns (right vectors), σ descending.
    static func jacobi(_ a: inout [Double], count n: Int, length m: Int)
        -> (left: [[Double]], sigma: [Double], right: [[Double]]) {
        var v = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { v[i * n + i] = 1 }
        a.withUnsafeMutableBufferPointer { a in
            v.withUnsafeMutableBufferPointer { v in
                for _ in 0 ..< 60 {
                    var rotated = false
                    for p in 0 ..< n {
                        for q in p + 1 ..< n {
                            var alpha = 0.0, beta = 0.0, gamma = 0.0
                            for t in 0 ..< m {
                                let x = a[p * m + t], y = a[q * m + t]
                                alpha += x * x
                                beta += y * y
                                gamma += x * y
                            }
                            guard gamma != 0, abs(gamma) > 1e-13 * (alpha * beta).squareRoot() else { continue }
                            rotated = true
                            let zeta = (beta - alpha) / (2 * gamma)
                            let tangent = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                            let c = 1 / (1 + tangent * tangent).squareRoot(), s = c * tangent
                            for t in 0 ..< m {
                                let x = a[p * m + t], y = a[q * m + t]
                                a[p * m + t] = c * x - s * y
                                a[q * m + t] = s * x + c * y
                            }
                            for t in 0 ..< n {
                                let x = v[p * n + t], y = v[q * n + t]
                                v[p * n + t] = c * x - s * y
                                v[q * n + t] = s * x + c * y
                            }
                        }
                    }
                    if !rotated { break }
                }
            }
        }
        let norms = (0 ..< n).map { j in (0 ..< m).reduce(0.0) { $0 + a[j * m + $1] * a[j * m + $1] }.squareRoot() }
        let order = (0 ..< n).sorted { norms[$0] > norms[$1] }
        var left: [[Double]] = [], right: [[Double]] = []
        for j in order {
            let s = norms[j]
            left.append((0 ..< m).map { s > 1e-300 ? a[j * m + $0] / s : 0 })
            right.append(Array(v[j * n ..< (j + 1) * n]))
        }
        return (left, order.map { norms[$0] }, right)
    }

    /// Block power iteration with a few extra directions, then Jacobi on
    /// the projected matrix.
    static func subspace(_ x: [Double], rows: Int, columns: Int, k: Int)
        -> (u: [[Double]], sigma: [Double], v: [[Double]]) {
        let p = min(k + 8, rows, columns)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func random() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        // Q: p vectors of `columns` values.
        var q = (0 ..< p).map { _ in (0 ..< columns).map { _ in random() } }
        var z: [[Double]] = []
        for _ in 0 ..< 12 {
            orthonormalize(&q)
            z = q.map { multiply(x, rows: rows, columns: columns, by: $0) }
            orthonormalize(&z)
            q = z.map { multiplyTransposed(x, rows: rows, columns: columns, by: $0) }
        }
        // q_j = xᵀ z_j, so B = Zᵀ x has rows q_j: Bᵀ (columns × p) is q as columns.
        var flat = q.flatMap { $0 }
        let (left, sigma, right) = jacobi(&flat, count: p, length: columns)
        // Bᵀ = L Σ Rᵀ → B = R Σ Lᵀ, x ≈ Z B = (Z R) Σ Lᵀ.
        let u = right.map { r in (0 ..< rows).map { i in (0 ..< p).reduce(0.0) { $0 + z[$1][i] * r[$1] } } }
        return (Array(u.prefix(k)), Array(sigma.prefix(k)), Array(left.prefix(k)))
    }

    static func multiply(_ x: [Double], rows: Int, columns: Int, by vector: [Double]) -> [Double] {
        (0 ..< rows).map { r in (0 ..< columns).reduce(0.0) { $0 + x[r * columns + $1] * vector[$1] } }
    }

    static func multiplyTransposed(_ x: [Double], rows: Int, columns: Int, by vector: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: columns)
        for r in 0 ..< rows where vector[r] != 0 {
            for c in 0 ..< columns { out[c] += x[r * columns + c] * vector[r] }
        }
        return out
    }

    /// Modified Gram–Schmidt in place, each vector twice (so the result is
    /// orthonormal to working precision); a vector that is numerically in
    /// the span of the earlier ones becomes zero.
    static func orthonormalize(_ vectors: inout [[Double]]) {
        for j in vectors.indices {
            let original = vectors[j].reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            for _ in 0 ..< 2 {
                for i in 0 ..< j {
                    let dot = zip(vectors[i], vectors[j]).reduce(0.0) { $0 + $1.0 * $1.1 }
                    for t in vectors[j].indices { vectors[j][t] -= dot * vectors[i][t] }
                }
            }
            let norm = vectors[j].reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            let keep = norm > 1e-10 * original && norm > 1e-300
            for t in vectors[j].indices { vectors[j][t] = keep ? vectors[j][t] / norm : 0 }
        }
    }
}
