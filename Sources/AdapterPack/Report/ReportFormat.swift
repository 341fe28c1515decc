import Foundation

/// Number formatting shared by the table and HTML renderers (locale-free).
public enum ReportFormat {
    /// 25131 → "25,131".
    public static func bytes(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Seconds as ms, s, min, h or d with three significant-ish digits.
    public static func duration(_ s: Double) -> String {
        switch s {
        case ...0: return "—"
        case ..<0.01: return String(format: "%.2f ms", s * 1000)
        case ..<1: return String(format: "%.1f ms", s * 1000)
        case ..<120: return String(format: "%.2f s", s)
        case ..<7200: return String(format: "%.1f min", s / 60)
        case ..<172_800: return String(format: "%.1f h", s / 3600)
        default: return String(format: "%.1f d", s / 86400)
        }
    }

    /// Millijoules as mJ, J or kJ.
    public static func energy(millijoules mj: Double) -> String {
        switch mj {
        case ..<10: return String(format: "%.2f mJ", mj)
        case ..<1000: return String(format: "%.1f mJ", mj)
        case ..<1_000_000: return String(format: "%.2f J", mj / 1000)
        case ..<1_000_000_000: return String(format: "%.1f kJ", mj / 1_000_000)
        default: return String(format: "%.2f MJ", mj / 1_000_000_000)
        }
    }

    public static func joules(_ j: Double) -> String { energy(millijoules: j * 1000) }

    /// 0.3217 → "32.2 %".
    public static func percent(_ fraction: Double) -> String { String(format: "%.1f %%", fraction * 100) }

    /// A saving against an alternative, said as a saving or as how much larger
    /// the bundle is: 0.967 → "saves 96.7 %", −0.655 → "larger by 65.5 %".
    public static func saving(_ fraction: Double) -> String {
        fraction >= 0 ? "saves " + percent(fraction) : "larger by " + percent(-fraction)
    }

    public static func ratio(_ r: Double) -> String { String(format: "%.2f×", r) }

    public static func money(_ amount: Double, _ currency: String) -> String {
        String(format: "%.2f ", amount) + currency
    }

    /// Big byte counts in decimal units for fleet totals.
    public static func volume(_ n: Int) -> String {
        let d = Double(n)
        switch d {
        case ..<10_000: return bytes(n) + " B"
        case ..<10_000_000: return String(format: "%.1f kB", d / 1e3)
        case ..<10_000_000_000: return String(format: "%.1f MB", d / 1e6)
        default: return String(format: "%.1f GB", d / 1e9)
        }
    }
}
