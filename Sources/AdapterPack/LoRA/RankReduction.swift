import Foundation

/// The best rank-k approximation of a module's change s·B·A (truncated SVD),
/// used to say which lower rank would fit a byte budget.
public enum RankReduction {
    /// `module` with its change truncated to rank `k` (≤ its rank): B' = U_k Σ_k, A' = V_kᵀ.
    public static func truncate(_ module: LoRAModule, to k: Int) -> LoRAModule {
        let r = module.rank
        guard k < r else { return module }
        let out = module.outFeatures, inn = module.inFeatures
        // B = Q_B R_B, Aᵀ = Q_A R_A, so B·A = Q_B (R_B R_Aᵀ) Q_Aᵀ.
        let (qb, rb) = qr(module.b, rows: out, columns: r)
        var aT = [Double](repeating: 0, count: inn * r)
        for kk in 0 ..< r { for i in 0 ..< inn { aT[i * r + kk] = module.a[kk * inn + i] } }
        let (qa, ra) = qr(aT, rows: inn, columns: r)
        var core = [Double](repeating: 0, count: r * r)
        for i in 0 ..< r { for j in 0 ..< r {
            var s = 0.0
            for t in 0 ..< r { s += rb[i * r + t] * ra[j * r + t] }
            core[i * r + j] = s
        } }
        let (u, sigma, v) = svd(core, n: r)
        var newB = [Double](repeating: 0, count: out * k)
        var newA = [Double](repeating: 0, count: k * inn)
        for o in 0 ..< out { for c in 0 ..< k {
            var s = 0.0
            for t in 0 ..< r { s += qb[o * r + t] * u[t * r + c] }
            newB[o * k + c] = s * sigma[c]
        } }
        for c in 0 ..< k { for i in 0 ..< inn {
            var s = 0.0
            for t in 0 ..< r { s += qa[i * r + t] * v[t * r + c] }
            newA[c * inn + i] = s
        } }
        return LoRAModule(name: module.name, rank: k, inFeatures: inn, outFeatures: out,
                          scaling: module.scaling, a: newA, b: newB, kernel: module.kernel)
    }

    /// Modified Gram–Schmidt: m (rows × columns) = Q R, Q with orthonormal (or zero) columns.
    static func qr(_ m: [Double], rows: Int, columns: Int) -> (q: [Double], r: [Double]) {
        var q = m
        var r = [Double](repeating: 0, count: columns * columns)
        for j in 0 ..< columns {
            for i in 0 ..< j {
                var dot = 0.0
                for t in 0 ..< rows { dot += q[t * columns + i] * q[t * columns + j] }
                r[i * columns + j] = dot
                for t in 0 ..< rows { q[t * columns + j] -= dot * q[t * columns + i] }
            }
            var norm = 0.0
            for t in 0 ..< rows { norm += q[t * columns + j] * q[t * columns + j] }
            norm = norm.squareRoot()
            r[j * columns + j] = norm
            for t in 0 ..< rows { q[t * columns + j] = norm > 1e-300 ? q[t * columns + j] / norm : 0 }
        }
        return (q, r)
    }

    /// One-sided Jacobi SVD of a small n × n matrix: m = U diag(σ) Vᵀ, σ descending.
    static func svd(_ m: [Double], n: Int) -> (u: [Double], sigma: [Double], v: [Double]) {
        var a = m
        var v = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { v[i * n + i] = 1 }
        for _ in 0 ..< 60 {
            var rotated = false
            for p in 0 ..< n { for q in p + 1 ..< n {
                var alpha = 0.0, beta = 0.0, gamma = 0.0
                for t in 0 ..< n {
                    alpha += a[t * n + p] * a[t * n + p]
                    beta += a[t * n + q] * a[t * n + q]
                    gamma += a[t * n + p] * a[t * n + q]
                }
                guard abs(gamma) > 1e-15 * (alpha * beta).squareRoot(), gamma != 0 else { continue }
                rotated = true
                let zeta = (beta - alpha) / (2 * gamma)
                let tangent = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                let c = 1 / (1 + tangent * tangent).squareRoot(), s = c * tangent
                for t in 0 ..< n {
                    let x = a[t * n + p], y = a[t * n + q]
                    a[t * n + p] = c * x - s * y
                    a[t * n + q] = s * x + c * y
                    let vx = v[t * n + p], vy = v[t * n + q]
                    v[t * n + p] = c * vx - s * vy
                    v[t * n + q] = s * vx + c * vy
                }
            } }
            if !rotated { break }
        }
        var sigma = (0 ..< n).map { j in (0 ..< n).reduce(0.0) { $0 + a[$1 * n + j] * a[$1 * n + j] }.squareRoot() }
        let order = (0 ..< n).sorted { sigma[$0] > sigma[$1] }
        var u = [Double](repeating: 0, count: n * n), vs = [Double](repeating: 0, count: n * n)
        for (c, j) in order.enumerated() {
            for t in 0 ..< n {
                u[t * n + c] = sigma[j] > 1e-300 ? a[t * n + j] / sigma[j] : 0
                vs[t * n + c] = v[t * n + j]
            }
        }
        sigma = order.map { sigma[$0] }
        return (u, sigma, vs)
    }
}
