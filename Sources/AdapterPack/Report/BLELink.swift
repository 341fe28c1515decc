/// BLE: ATT notifications of up to ATT_MTU − 3 bytes, each in one LE 1M
/// link-layer packet, sent back to back in extended connection events and
/// acknowledged by the device with an empty packet after T_IFS.
public struct BLELink: LinkModel {
    public init() {}

    public var description: LinkDescription {
        typealias P = BLEParameters
        return LinkDescription(
            id: "ble", name: "BLE 5 (LE 1M, ATT MTU 247)",
            payloadBytesPerFrame: P.payloadPerFrame,
            overheadBytesPerFrame: P.attHeader + P.l2capHeader + P.phyFraming,
            downlinkBitsPerSecond: 1_000_000, dutyCycle: nil,
            voltage: P.voltage, rxMilliamps: P.rxMilliamps, txMilliamps: P.txMilliamps,
            timingModel: "frames = ⌈bytes / 244⌉; each packet (payload + 17 bytes) at 8 µs/byte; wall time adds T_IFS, the device's empty ack packet (80 µs) and T_IFS per packet: the theoretical maximum with unlimited packets per connection event (real stacks reach less)",
            energyModel: "receive current while packets arrive, transmit current for the acks, for the whole wall time (CPU and ramp-up excluded)",
            parameters: P.cited)
    }

    public func transfer(bytes: Int) -> LinkTransfer {
        typealias P = BLEParameters
        let perFrame = P.payloadPerFrame
        let frames = ceilDiv(bytes, perFrame)
        let overhead = P.attHeader + P.l2capHeader + P.phyFraming
        let linkBytes = bytes + frames * overhead
        let rx = Double(linkBytes) * P.secondsPerByte
        let tx = Double(frames * P.emptyPDUBytes) * P.secondsPerByte
        let wall = rx + tx + Double(frames) * 2 * P.interFrameSpace
        let airtimeEnergy = millijoules(volts: P.voltage, milliamps: P.rxMilliamps, seconds: rx)
            + millijoules(volts: P.voltage, milliamps: P.txMilliamps, seconds: tx)
        let energy = millijoules(volts: P.voltage, milliamps: P.rxMilliamps, seconds: wall - tx)
            + millijoules(volts: P.voltage, milliamps: P.txMilliamps, seconds: tx)
        return LinkTransfer(link: "ble", frames: frames, linkBytes: linkBytes, timeOnAirSeconds: rx,
                            uplinkTimeOnAirSeconds: tx, wallTimeSeconds: wall, energyMillijoules: energy,
                            airtimeEnergyMillijoules: airtimeEnergy)
    }
}
