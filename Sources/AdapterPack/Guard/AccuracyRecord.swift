import Foundation
import AdapterFormat

/// What the accuracy guard measured for a bundle, kept in its metadata
/// (tag 7, Spec/FORMAT.md §6) so that `inspect` and `report` can show it.
/// Short, since it travels in every guarded bundle: `approx 8550 8675 200`
/// (or `exact …`): the patched model's TFLM top-1, the reference's and the
/// allowed drop in basis points (1/10,000), then ` data=NAME` when the
/// bundle carries its description (`--describe`).
public struct AccuracyRecord: Codable, Sendable, Equatable {
    /// Whether the patched model differs from the exact change (lossy diff, narrowed factors).
    public var approximate: Bool
    /// Top-1 accuracy of the bundle's patched model under TFLM.
    public var accuracy: Double
    /// The reference model's accuracy on the same data.
    public var reference: Double
    public var maxDrop: Double
    /// The evaluation data, by file name (and split); empty: not carried.
    public var data: String

    public init(approximate: Bool, accuracy: Double, reference: Double, maxDrop: Double, data: String = "") {
        self.approximate = approximate
        self.accuracy = accuracy
        self.reference = reference
        self.maxDrop = maxDrop
        self.data = data
    }

    public var text: String {
        "\(approximate ? "approx" : "exact") \(Self.basisPoints(accuracy)) \(Self.basisPoints(reference)) "
            + "\(Self.basisPoints(maxDrop))" + (data.isEmpty ? "" : " data=\(data)")
    }

    /// Parses `text`; nil when a number is missing or out of 0 … 10,000
    /// (words a newer writer adds after the three numbers are skipped).
    public init?(text: String) {
        var rest = Substring(text), data = ""
        if let d = rest.range(of: " data=") {
            data = String(rest[d.upperBound...])
            rest = rest[..<d.lowerBound]
        }
        let words = rest.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count >= 4, words[0] == "approx" || words[0] == "exact" else { return nil }
        var numbers: [Double] = []
        for word in words[1 ... 3] {
            guard word.allSatisfy(\.isASCII), let n = Int(word), (0 ... 10_000).contains(n) else { return nil }
            numbers.append(Double(n) / 10_000)
        }
        self.init(approximate: words[0] == "approx", accuracy: numbers[0], reference: numbers[1], maxDrop: numbers[2], data: data)
    }

    static func basisPoints(_ x: Double) -> Int { Int((min(max(x, 0), 1) * 10_000).rounded()) }

    /// One line for people: `85.50 % TFLM top-1 (reference 86.75 %, allowed drop 2.00 points), approximate`.
    public var summary: String {
        "\(GuardedBuildError.points(accuracy)) TFLM top-1 (reference \(GuardedBuildError.points(reference)), allowed drop "
            + "\(GuardedBuildError.drop(maxDrop))\(data.isEmpty ? "" : ", on \(data)")), "
            + (approximate ? "approximate: the device's model is not the exact change" : "exact")
    }

    /// The record in a bundle's metadata, if it has one that parses.
    public init?(bundle: ParsedBundle) {
        guard let value = (try? bundle.metadata())?.first(where: { $0.tag == MetadataTag.accuracy.rawValue })?.value else { return nil }
        self.init(text: String(decoding: value, as: UTF8.self))
    }
}
