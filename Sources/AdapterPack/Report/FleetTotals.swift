/// What delivering bundles to N devices adds up to.
public struct FleetTotals: Codable, Equatable, Sendable {
    public struct Link: Codable, Equatable, Sendable {
        public var link: String
        public var frames: Int
        public var linkBytes: Int
        public var timeOnAirSeconds: Double
        public var energyJoules: Double
    }

    public var devices: Int
    /// Bundle bytes × devices.
    public var bytes: Int
    /// bytes / 10^6 × price per MB, when a price is given.
    public var cost: Double?
    /// Per link: frames, bytes on the link, air time and device energy summed
    /// over all devices, one unicast copy per device.
    public var links: [Link]

    /// Totals for sending one copy of every transfer in `perDevice` (all for
    /// bundles of `bundleBytes` in total) to each of `devices` devices.
    public init(devices: Int, bundleBytes: Int, perDevice: [[LinkTransfer]], pricePerMB: Double?) {
        self.devices = devices
        let total = bundleBytes * devices
        bytes = total
        cost = pricePerMB.map { Double(total) / 1_000_000 * $0 }
        var order: [String] = []
        var sums: [String: Link] = [:]
        for transfers in perDevice {
            for t in transfers {
                if sums[t.link] == nil {
                    order.append(t.link)
                    sums[t.link] = Link(link: t.link, frames: 0, linkBytes: 0, timeOnAirSeconds: 0, energyJoules: 0)
                }
                sums[t.link]!.frames += t.frames * devices
                sums[t.link]!.linkBytes += t.linkBytes * devices
                sums[t.link]!.timeOnAirSeconds += t.timeOnAirSeconds * Double(devices)
                sums[t.link]!.energyJoules += t.energyMillijoules / 1000 * Double(devices)
            }
        }
        links = order.map { sums[$0]! }
    }
}
