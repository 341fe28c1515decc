import Foundation

/// The links a report can cost, and parsing of `--links`.
public enum LinkCatalog {
    /// Every link, in report order.
    public static let all: [any LinkModel] =
        [BLELink()] + (7 ... 12).map { LoRaWANLink(spreadingFactor: $0) }
        + [CellularLink(.nbiot), CellularLink(.ltem), WiFiLink()]

    /// Accepted `--links` names: the groups and every single link id.
    public static var names: [String] {
        ["ble", "lorawan", "nbiot", "ltem", "wifi"] + (7 ... 12).map { "lorawan-sf\($0)" }
    }

    /// Parses a comma-separated list such as `ble,lorawan,wifi`; `lorawan`
    /// means SF7…SF12, `lorawan-sf9` one spreading factor. Report order is kept.
    public static func parse(_ list: String) throws(ReportError) -> [any LinkModel] {
        var wanted = Set<String>()
        let items = list.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for item in items {
            switch item {
            case "lorawan": for sf in 7 ... 12 { wanted.insert("lorawan-sf\(sf)") }
            case "all": for link in all { wanted.insert(link.description.id) }
            case _ where all.contains(where: { $0.description.id == item }): wanted.insert(item)
            default: throw .unknownLink(item.isEmpty ? "(empty)" : item, valid: names)
            }
        }
        return all.filter { wanted.contains($0.description.id) }
    }
}
