/// Wi-Fi: the bundle as TCP segments in single 802.11n frames (no
/// aggregation), each after DIFS and a mean backoff and answered by a MAC ACK
/// from the device; the device sends a TCP ACK every second segment.
public struct WiFiLink: LinkModel {
    public init() {}

    public var description: LinkDescription {
        typealias P = WiFiParameters
        return LinkDescription(
            id: "wifi", name: "Wi-Fi 802.11n (2.4 GHz, HT20 MCS7)",
            payloadBytesPerFrame: P.mss, overheadBytesPerFrame: P.frameOverhead,
            downlinkBitsPerSecond: Double(P.htBitsPerSymbol) / P.symbol, dutyCycle: nil,
            voltage: P.voltage, rxMilliamps: P.rxMilliamps, txMilliamps: P.txMilliamps,
            timingModel: "frames = ⌈bytes / 1460⌉; PPDU = 36 µs + 4 µs × ⌈(22 + 8 × (payload + 78)) / 260⌉ + 6 µs; wall time per frame adds DIFS 28 µs, mean backoff 67.5 µs, SIFS 10 µs and the device's 34 µs ACK, plus a TCP ACK exchange every 2 segments; association, DHCP, TCP handshake, TLS and slow start excluded; idle channel",
            energyModel: "receive current for the whole wall time except the device's own transmissions (MAC and TCP ACKs) at transmit current",
            parameters: P.cited)
    }

    /// Duration of an HT-mixed PPDU (MCS7, 20 MHz) carrying `bytes` of MPDU.
    static func htPPDU(bytes: Int) -> Double {
        typealias P = WiFiParameters
        let symbols = ceilDiv(P.serviceAndTailBits + 8 * bytes, P.htBitsPerSymbol)
        return P.htPreamble + Double(symbols) * P.symbol + P.signalExtension
    }

    /// Duration of a legacy OFDM 24 Mbit/s PPDU (control responses).
    static func legacyPPDU(bytes: Int) -> Double {
        typealias P = WiFiParameters
        let symbols = ceilDiv(P.serviceAndTailBits + 8 * bytes, P.legacyBitsPerSymbol)
        return P.legacyPreamble + Double(symbols) * P.symbol + P.signalExtension
    }

    public func transfer(bytes: Int) -> LinkTransfer {
        typealias P = WiFiParameters
        let frames = ceilDiv(bytes, P.mss)
        let full = bytes / P.mss, last = bytes % P.mss
        var down = Double(full) * Self.htPPDU(bytes: P.mss + P.frameOverhead)
        if last > 0 { down += Self.htPPDU(bytes: last + P.frameOverhead) }
        let ack = Self.legacyPPDU(bytes: P.ackBytes)
        let access = P.difs + P.meanBackoff
        // Data frames: access + PPDU + SIFS + device's MAC ACK.
        let macAcks = Double(frames) * ack
        // TCP ACKs from the device: access + PPDU + SIFS + AP's MAC ACK (received).
        let tcpAcks = ceilDiv(frames, P.segmentsPerTCPAck)
        let tcpAckPPDU = Double(tcpAcks) * Self.htPPDU(bytes: P.tcpAckBytes)
        let up = macAcks + tcpAckPPDU
        let wall = down + Double(frames) * (access + P.sifs) + macAcks
            + Double(tcpAcks) * (access + P.sifs + ack) + tcpAckPPDU
        let energy = millijoules(volts: P.voltage, milliamps: P.rxMilliamps, seconds: wall - up)
            + millijoules(volts: P.voltage, milliamps: P.txMilliamps, seconds: up)
        let airtimeEnergy = millijoules(volts: P.voltage, milliamps: P.rxMilliamps, seconds: down)
            + millijoules(volts: P.voltage, milliamps: P.txMilliamps, seconds: up)
        return LinkTransfer(link: "wifi", frames: frames, linkBytes: bytes + frames * P.frameOverhead,
                            timeOnAirSeconds: down, uplinkTimeOnAirSeconds: up, wallTimeSeconds: wall,
                            energyMillijoules: energy, airtimeEnergyMillijoules: airtimeEnergy)
    }
}
