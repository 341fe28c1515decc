/// NB-IoT or LTE-M: CoAP block-wise download, one block per round trip, the
/// modem in RRC connected mode for the whole transfer.
public struct CellularLink: LinkModel {
    public let parameters: CellularParameters

    public init(_ parameters: CellularParameters) { self.parameters = parameters }

    public var description: LinkDescription {
        let p = parameters
        return LinkDescription(
            id: p.id, name: p.name, payloadBytesPerFrame: p.blockSize,
            overheadBytesPerFrame: CellularParameters.responseOverhead,
            downlinkBitsPerSecond: p.downlinkBitsPerSecond, dutyCycle: nil,
            voltage: p.voltage, rxMilliamps: p.milliamps, txMilliamps: p.milliamps,
            timingModel: "frames = ⌈bytes / \(p.blockSize)⌉ CoAP blocks; time on air = (bytes + 40 per block) × 8 / peak downlink rate; uplink = 43-byte request per block at the peak uplink rate; wall time adds \(p.latencySeconds) s latency per block (one block in flight, RFC 7252 NSTART 1); attach, RRC setup and repetitions for coverage extension excluded",
            energyModel: "connected-mode average current for the whole wall time (an upper estimate: connected-mode DRX lowers it); airtime energy = same current during the frames only",
            parameters: p.cited)
    }

    public func transfer(bytes: Int) -> LinkTransfer {
        let p = parameters
        let frames = ceilDiv(bytes, p.blockSize)
        let linkBytes = bytes + frames * CellularParameters.responseOverhead
        let down = Double(linkBytes * 8) / p.downlinkBitsPerSecond
        let up = Double(frames * CellularParameters.requestBytes * 8) / p.uplinkBitsPerSecond
        let wall = down + up + Double(frames) * p.latencySeconds
        return LinkTransfer(
            link: p.id, frames: frames, linkBytes: linkBytes, timeOnAirSeconds: down, uplinkTimeOnAirSeconds: up,
            wallTimeSeconds: wall,
            energyMillijoules: millijoules(volts: p.voltage, milliamps: p.milliamps, seconds: wall),
            airtimeEnergyMillijoules: millijoules(volts: p.voltage, milliamps: p.milliamps, seconds: down + up))
    }
}
