import Foundation

/// LoRaWAN EU868 FUOTA at one spreading factor: the bundle cut into
/// fixed-size fragments (max FRMPayload − 3), one downlink per fragment,
/// gateway limited to a 1 % duty cycle, device in Class C (always receiving).
public struct LoRaWANLink: LinkModel {
    public let spreadingFactor: Int

    public init(spreadingFactor: Int) {
        precondition((7 ... 12).contains(spreadingFactor), "EU868 uses SF7…SF12")
        self.spreadingFactor = spreadingFactor
    }

    public var id: String { "lorawan-sf\(spreadingFactor)" }

    /// Application bytes per downlink: the fragment payload.
    public var fragmentBytes: Int { LoRaWANParameters.maxFRMPayload(spreadingFactor: spreadingFactor) - LoRaWANParameters.fragmentHeader }

    /// PHY payload of each downlink: MAC overhead + fragment header + fragment.
    public var phyPayloadBytes: Int { LoRaWANParameters.maxFRMPayload(spreadingFactor: spreadingFactor) + LoRaWANParameters.macOverhead }

    /// Time on air of one fragment downlink.
    public var frameSeconds: Double {
        typealias P = LoRaWANParameters
        return LoRaTimeOnAir.seconds(payloadBytes: phyPayloadBytes, spreadingFactor: spreadingFactor,
                                     bandwidthHz: P.bandwidthHz, codingRate: P.codingRate,
                                     preambleSymbols: P.preambleSymbols, crc: P.downlinkCRC)
    }

    public var description: LinkDescription {
        typealias P = LoRaWANParameters
        let sf = spreadingFactor
        return LinkDescription(
            id: id, name: "LoRaWAN EU868 SF\(sf) (DR\(P.dataRate(spreadingFactor: sf)))",
            payloadBytesPerFrame: fragmentBytes, overheadBytesPerFrame: P.macOverhead + P.fragmentHeader,
            downlinkBitsPerSecond: Double(sf) * P.bandwidthHz / Double(1 << sf) * 4 / Double(4 + P.codingRate),
            dutyCycle: P.dutyCycle, voltage: P.voltage, rxMilliamps: P.rxMilliamps, txMilliamps: nil,
            timingModel: "frames = ⌈bytes / \(fragmentBytes)⌉ fixed-size fragments (PHY payload \(phyPayloadBytes) bytes, \(String(format: "%.1f", frameSeconds * 1000)) ms each by AN1200.13); wall time = frames × T + (frames − 1) × T × 99 (1 % duty cycle off time); no redundancy fragments, no losses",
            energyModel: "Class C: receive current for the whole wall time; airtime energy = receive current during the fragments only (e.g. Class B ping slots)",
            parameters: P.cited)
    }

    public func transfer(bytes: Int) -> LinkTransfer {
        typealias P = LoRaWANParameters
        let frames = ceilDiv(bytes, fragmentBytes)
        let t = frameSeconds
        let air = Double(frames) * t
        let off = Double(max(frames - 1, 0)) * t * (1 / P.dutyCycle - 1)
        let wall = air + off
        return LinkTransfer(
            link: id, frames: frames, linkBytes: frames * (fragmentBytes + P.fragmentHeader + P.macOverhead),
            timeOnAirSeconds: air, uplinkTimeOnAirSeconds: 0, wallTimeSeconds: wall,
            energyMillijoules: millijoules(volts: P.voltage, milliamps: P.rxMilliamps, seconds: wall),
            airtimeEnergyMillijoules: millijoules(volts: P.voltage, milliamps: P.rxMilliamps, seconds: air))
    }
}
