/// A radio link the report costs a bundle on: how the bytes are framed, how
/// long they take and what the device's radio spends on them.
public protocol LinkModel: Sendable {
    var description: LinkDescription { get }
    /// The cost of delivering `bytes` application bytes to one device.
    func transfer(bytes: Int) -> LinkTransfer
}

/// What a link is and which parameters (with sources) it uses.
public struct LinkDescription: Codable, Equatable, Sendable {
    /// Stable id used by `--links` and in the JSON (`ble`, `lorawan-sf7`, …).
    public var id: String
    public var name: String
    /// Application bytes carried per frame.
    public var payloadBytesPerFrame: Int
    /// Protocol bytes added per frame (counted in `linkBytes`).
    public var overheadBytesPerFrame: Int
    /// Nominal downlink bit rate of the PHY or link (bits/s).
    public var downlinkBitsPerSecond: Double
    /// Regulatory duty cycle on the transmitter, when one applies.
    public var dutyCycle: Double?
    public var voltage: Double
    public var rxMilliamps: Double
    public var txMilliamps: Double?
    /// How frames, time on air and wall time are counted.
    public var timingModel: String
    /// What `energyMillijoules` covers.
    public var energyModel: String
    public var parameters: [CitedParameter]
}

/// The cost of one bundle on one link for one device.
public struct LinkTransfer: Codable, Equatable, Sendable {
    public var link: String
    public var frames: Int
    /// Bytes sent to the device including per-frame protocol overhead and padding.
    public var linkBytes: Int
    /// Air time of the frames carrying the bundle to the device.
    public var timeOnAirSeconds: Double
    /// Air time of what the device sends back (acknowledgements, block requests).
    public var uplinkTimeOnAirSeconds: Double
    /// Start of the first frame to end of the last, with protocol gaps,
    /// round trips and duty-cycle off time.
    public var wallTimeSeconds: Double
    /// Device radio energy for the whole transfer under the link's energy model.
    public var energyMillijoules: Double
    /// Device radio energy while frames are on the air only (a lower bound).
    public var airtimeEnergyMillijoules: Double

    public init(link: String, frames: Int, linkBytes: Int, timeOnAirSeconds: Double, uplinkTimeOnAirSeconds: Double,
                wallTimeSeconds: Double, energyMillijoules: Double, airtimeEnergyMillijoules: Double) {
        self.link = link
        self.frames = frames
        self.linkBytes = linkBytes
        self.timeOnAirSeconds = timeOnAirSeconds
        self.uplinkTimeOnAirSeconds = uplinkTimeOnAirSeconds
        self.wallTimeSeconds = wallTimeSeconds
        self.energyMillijoules = energyMillijoules
        self.airtimeEnergyMillijoules = airtimeEnergyMillijoules
    }
}

/// Energy of a radio drawing `milliamps` at `volts` for `seconds`: V·mA·s = mJ.
@inline(__always)
func millijoules(volts: Double, milliamps: Double, seconds: Double) -> Double {
    volts * milliamps * seconds
}

/// ⌈a / b⌉ for non-negative a and positive b.
@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
