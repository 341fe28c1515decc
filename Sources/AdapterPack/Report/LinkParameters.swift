/// One number a link model uses, with where it comes from. Every parameter
/// the report's figures depend on is listed in the report output with its
/// source, so a reader can check or replace it.
public struct CitedParameter: Codable, Equatable, Sendable {
    public var name: String
    public var value: String
    public var source: String

    public init(_ name: String, _ value: String, _ source: String) {
        self.name = name
        self.value = value
        self.source = source
    }
}

/// Bluetooth Low Energy, LE 1M PHY, data pushed to the device with ATT
/// notifications / Write Commands (no ATT-level acknowledgement).
public enum BLEParameters {
    /// Negotiated ATT_MTU. 247 = 251-byte LL payload − 4-byte L2CAP header, the
    /// largest MTU that fits one LL packet.
    /// Bluetooth Core Specification v5.4, Vol 3, Part F (ATT), §3.2.8 / §3.4.2 (MTU exchange).
    public static let attMTU = 247
    /// ATT opcode (1) + attribute handle (2) in front of every notification /
    /// Write Command value: value ≤ ATT_MTU − 3. Core v5.4, Vol 3, Part F, §3.4.7.1, §3.4.5.3.
    public static let attHeader = 3
    /// L2CAP basic header (length 2 + channel id 2). Core v5.4, Vol 3, Part A, §3.1.
    public static let l2capHeader = 4
    /// LE 1M packet framing around the LL payload: preamble 1, access address 4,
    /// LL data PDU header 2, CRC 3 (no MIC: unencrypted link assumed).
    /// Core v5.4, Vol 6, Part B, §2.1 and §2.4.
    public static let phyFraming = 1 + 4 + 2 + 3
    /// LE 1M PHY: 1 Mbit/s, 8 µs per byte. Core v5.4, Vol 6, Part A, §3.
    public static let secondsPerByte = 8e-6
    /// Inter-frame space between packets of a connection event. Core v5.4, Vol 6, Part B, §4.1.1.
    public static let interFrameSpace = 150e-6
    /// The device acknowledges each packet with an empty LL PDU (framing only).
    public static let emptyPDUBytes = phyFraming
    /// Nordic nRF52840 Product Specification v1.x, "Current consumption: Radio":
    /// IRADIO_RX0 (1 Mbps BLE receive, DC/DC) 6.26 mA, IRADIO_TX1 (0 dBm, DC/DC)
    /// 6.40 mA, at the specification's typical supply of 3.0 V.
    public static let voltage = 3.0
    public static let rxMilliamps = 6.26
    public static let txMilliamps = 6.40

    public static var payloadPerFrame: Int { attMTU - attHeader }

    public static let cited: [CitedParameter] = [
        .init("ATT_MTU", "247 bytes (244-byte value per notification/Write Command)",
              "Bluetooth Core Specification v5.4, Vol 3, Part F (ATT) §3.2.8, §3.4.7.1: value ≤ ATT_MTU − 3"),
        .init("L2CAP header", "4 bytes", "Bluetooth Core Specification v5.4, Vol 3, Part A §3.1"),
        .init("LL payload / packet framing", "≤ 251 bytes (Data Length Extension); +10 bytes preamble, access address, header, CRC",
              "Bluetooth Core Specification v5.4, Vol 6, Part B §2.1, §2.4"),
        .init("PHY rate", "LE 1M: 1 Mbit/s (8 µs per byte)", "Bluetooth Core Specification v5.4, Vol 6, Part A"),
        .init("T_IFS", "150 µs", "Bluetooth Core Specification v5.4, Vol 6, Part B §4.1.1"),
        .init("Radio current", "RX 6.26 mA, TX 6.40 mA (0 dBm) at 3.0 V",
              "Nordic nRF52840 Product Specification v1.x, Current consumption: Radio (IRADIO_RX0, IRADIO_TX1, DC/DC)"),
    ]
}

/// LoRaWAN EU868 firmware-update-over-the-air as the LoRa Alliance FUOTA
/// specifications do it: a Class C multicast session carrying the bundle as
/// fixed-size fragments.
public enum LoRaWANParameters {
    /// Maximum FRMPayload N (no FOpts) per spreading factor at 125 kHz:
    /// DR5 SF7 242, DR4 SF8 242, DR3 SF9 115, DR2 SF10 51, DR1 SF11 51, DR0 SF12 51.
    /// LoRaWAN Regional Parameters RP002-1.0.x, EU863-870 "Maximum payload size"
    /// (not repeater compatible) and EU863-870 data rate table (DR0 = SF12/125 kHz … DR5 = SF7/125 kHz).
    public static func maxFRMPayload(spreadingFactor sf: Int) -> Int {
        switch sf {
        case 7, 8: return 242
        case 9: return 115
        case 10, 11, 12: return 51
        default: preconditionFailure("EU868 uses SF7…SF12")
        }
    }
    /// EU868 data rate index of a 125 kHz spreading factor (RP002-1.0.x EU863-870).
    public static func dataRate(spreadingFactor sf: Int) -> Int { 12 - sf }
    /// LoRaWAN L2 1.0.4 (TS001-1.0.4) §4: MHDR 1 + FHDR 7 (DevAddr 4, FCtrl 1,
    /// FCnt 2, no FOpts) + FPort 1 + MIC 4 around the FRMPayload.
    public static let macOverhead = 13
    /// LoRa Alliance Fragmented Data Block Transport Specification v1.0.0,
    /// DataFragment: CID 1 + FragIndex/N 2 before each fragment; fragments have
    /// one fixed size (the last is padded).
    public static let fragmentHeader = 3
    /// 125 kHz channels, coding rate 4/5, 8-symbol preamble, explicit header
    /// (RP002-1.0.x EU863-870 preamble format; TS001-1.0.4 §3).
    public static let bandwidthHz = 125_000.0
    public static let codingRate = 1
    public static let preambleSymbols = 8
    /// Downlinks carry no payload CRC (TS001-1.0.4 §3, physical message formats).
    public static let downlinkCRC = false
    /// ETSI EN 300 220-2 / ERC Recommendation 70-03 Annex 1 band h1.4
    /// (868.0–868.6 MHz, the default EU868 channels): 1 % duty cycle for the
    /// transmitter, here the gateway. After a frame of time-on-air T the
    /// sub-band stays silent for T × (1/0.01 − 1).
    public static let dutyCycle = 0.01
    /// Microchip SAM R34/R35 LoRa SiP data sheet (DS70005356) §7.4.1: receive,
    /// 868 MHz, 125 kHz bandwidth: 12.68 mA at VDD 3.3 V (SX1276-class radio,
    /// MCU active).
    public static let voltage = 3.3
    public static let rxMilliamps = 12.68

    public static let cited: [CitedParameter] = [
        .init("Max FRMPayload (EU868, 125 kHz)", "SF7 242, SF8 242, SF9 115, SF10 51, SF11 51, SF12 51 bytes (DR5…DR0)",
              "LoRaWAN Regional Parameters RP002-1.0.x, EU863-870 maximum payload size table (not repeater compatible)"),
        .init("LoRaWAN MAC overhead", "13 bytes (MHDR 1, FHDR 7, FPort 1, MIC 4)", "LoRaWAN L2 1.0.4 Specification (TS001-1.0.4) §4"),
        .init("Fragment header", "3 bytes (CID, FragIndex/N); fixed fragment size",
              "LoRa Alliance Fragmented Data Block Transport Specification v1.0.0, DataFragment"),
        .init("Modulation", "125 kHz, CR 4/5, 8-symbol preamble, explicit header, no CRC on downlinks, low-data-rate optimisation at SF11/SF12",
              "RP002-1.0.x EU863-870; TS001-1.0.4 §3; Semtech SX1276 datasheet (LowDataRateOptimize when symbol time > 16 ms)"),
        .init("Time on air", "Tpreamble + Tpayload, (n_preamble + 4.25)·Tsym + (8 + max(⌈(8PL − 4SF + 28 + 16CRC − 20IH) / 4(SF − 2DE)⌉·(CR + 4), 0))·Tsym",
              "Semtech AN1200.13 LoRa Modem Designer's Guide §4; SX1276/77/78/79 datasheet §4.1.1.7"),
        .init("Duty cycle", "1 % (off time = 99 × time on air)",
              "ETSI EN 300 220-2 / ERC Recommendation 70-03 Annex 1, band h1.4 868.0–868.6 MHz"),
        .init("Radio current", "RX 12.68 mA at 3.3 V (868 MHz, 125 kHz)",
              "Microchip SAM R34/R35 LoRa SiP data sheet DS70005356 §7.4.1"),
        .init("Delivery", "Class C multicast session (device receives continuously)",
              "LoRa Alliance Remote Multicast Setup Specification v1.0.0; TS001-1.0.4 Class C"),
    ]
}

/// A cellular IoT link: the device fetches the bundle with CoAP block-wise
/// GET (RFC 7959) over UDP/IPv4, one block per request/response.
public struct CellularParameters: Sendable {
    public var id: String
    public var name: String
    /// CoAP Block2 size (RFC 7959 SZX).
    public var blockSize: Int
    public var downlinkBitsPerSecond: Double
    public var uplinkBitsPerSecond: Double
    /// Request-to-first-byte latency per block (assumed, network dependent).
    public var latencySeconds: Double
    public var voltage: Double
    /// Connected-mode average current used for the whole transfer.
    public var milliamps: Double
    public var cited: [CitedParameter]

    /// IPv4 20 (RFC 791) + UDP 8 (RFC 768) + CoAP 4 + token 4 + Block2 option 3
    /// + payload marker 1 (RFC 7252, RFC 7959) per response.
    public static let responseOverhead = 20 + 8 + 4 + 4 + 3 + 1
    /// The GET for each block: IPv4 20 + UDP 8 + CoAP 4 + token 4 + Uri-Path
    /// "ota" 4 + Block2 option 3.
    public static let requestBytes = 20 + 8 + 4 + 4 + 4 + 3

    private static let transport = CitedParameter(
        "Transport", "CoAP block-wise GET over UDP/IPv4, no DTLS, no header compression: 40 bytes per response, 43-byte request per block",
        "RFC 7252 (CoAP), RFC 7959 (block-wise), RFC 768 (UDP), RFC 791 (IPv4)")

    /// NB-IoT Cat-NB1 (3GPP Release 13).
    public static let nbiot = CellularParameters(
        id: "nbiot", name: "NB-IoT (Cat-NB1)", blockSize: 512,
        downlinkBitsPerSecond: 25_500, uplinkBitsPerSecond: 62_500, latencySeconds: 1.6,
        voltage: 3.7, milliamps: 35,
        cited: [
            transport,
            .init("Block size", "512 bytes (SZX 5)", "assumption; RFC 7959 allows 16…1024"),
            .init("Peak rate", "25.5 kbit/s downlink, 62.5 kbit/s uplink (multi-tone)",
                  "3GPP TS 36.306 UE category NB1 (Rel-13); rates as quoted by MT2625-based module data sheets (e.g. Tuya NM1)"),
            .init("Latency per block", "1.6 s (assumed; best case)",
                  "GSMA Mobile IoT deployment guidance / 3GPP TR 45.820: NB-IoT latency 1.6 s … 10 s"),
            .init("Radio current", "35 mA average in RRC connected mode at 3.7 V",
                  "Nordic nRF9160 Product Specification, modem current: Cat-NB1 IRMC_0DBM, band 20 (used as receive-dominated proxy)"),
        ])

    /// LTE-M Cat-M1 half-duplex (3GPP Release 13).
    public static let ltem = CellularParameters(
        id: "ltem", name: "LTE-M (Cat-M1)", blockSize: 1024,
        downlinkBitsPerSecond: 300_000, uplinkBitsPerSecond: 375_000, latencySeconds: 0.015,
        voltage: 3.7, milliamps: 45,
        cited: [
            transport,
            .init("Block size", "1024 bytes (SZX 6)", "assumption; RFC 7959 maximum"),
            .init("Peak rate", "300 kbit/s downlink, 375 kbit/s uplink (half-duplex FDD)",
                  "3GPP TS 36.306 UE category M1 (Rel-13), HD-FDD peak rates"),
            .init("Latency per block", "15 ms (assumed)", "GSMA LTE-M deployment guidance: LTE-M latency 10 … 15 ms"),
            .init("Radio current", "45 mA average in RRC connected mode at 3.7 V",
                  "Nordic nRF9160 Product Specification, modem current: Cat-M1 IRMC_0DBM, band 20 (used as receive-dominated proxy)"),
        ])
}

/// Wi-Fi 802.11n in 2.4 GHz, HT20 MCS7, one spatial stream, TCP download,
/// uncontended channel.
public enum WiFiParameters {
    /// TCP maximum segment size on Ethernet-MTU paths (1500 − IPv4 20 − TCP 20).
    public static let mss = 1460
    /// QoS data MAC header 26 + LLC/SNAP 8 + IPv4 20 + TCP 20 + FCS 4.
    /// IEEE Std 802.11-2020 §9.3.2; RFC 1042; RFC 791; RFC 9293.
    public static let frameOverhead = 26 + 8 + 20 + 20 + 4
    /// A TCP ACK from the device: the same headers with no data.
    public static let tcpAckBytes = frameOverhead
    /// Delayed ACK: one TCP ACK per two full segments (RFC 9293 §3.8.6.3).
    public static let segmentsPerTCPAck = 2
    /// HT-mixed preamble, one stream: L-STF 8 + L-LTF 8 + L-SIG 4 + HT-SIG 8 +
    /// HT-STF 4 + HT-LTF 4 µs. IEEE Std 802.11-2020 Clause 19 (HT PHY).
    public static let htPreamble = 36e-6
    /// MCS7, 20 MHz, 800 ns guard interval: 260 data bits per 4 µs symbol (65 Mbit/s).
    public static let htBitsPerSymbol = 260
    public static let symbol = 4e-6
    /// SERVICE 16 bits + tail 6 bits (Clauses 17, 19).
    public static let serviceAndTailBits = 22
    /// 2.4 GHz: aSIFSTime 10 µs, OFDM signal extension 6 µs, short slot 9 µs,
    /// CWmin 15 (Clauses 18, 19); DIFS = SIFS + 2 slots.
    public static let sifs = 10e-6
    public static let signalExtension = 6e-6
    public static let slot = 9e-6
    public static let cwMin = 15
    public static var difs: Double { sifs + 2 * slot }
    /// Mean backoff before each data frame on an idle channel: CWmin/2 slots.
    public static var meanBackoff: Double { Double(cwMin) / 2 * slot }
    /// MAC ACK (14 bytes) at the 24 Mbit/s basic rate: 20 µs legacy preamble +
    /// SIGNAL, 96 bits per symbol.
    public static let ackBytes = 14
    public static let legacyPreamble = 20e-6
    public static let legacyBitsPerSymbol = 96
    /// Espressif ESP32 datasheet, RF power consumption (3.3 V, 25 °C): receive
    /// 802.11b/g/n 95–100 mA (upper value used), transmit 802.11n MCS7 at
    /// +14 dBm 180 mA.
    public static let voltage = 3.3
    public static let rxMilliamps = 100.0
    public static let txMilliamps = 180.0

    public static let cited: [CitedParameter] = [
        .init("PHY", "802.11n HT20 MCS7, 800 ns GI: 65 Mbit/s, 36 µs HT-mixed preamble, 4 µs symbols",
              "IEEE Std 802.11-2020 Clause 19 (HT PHY)"),
        .init("MAC timing (2.4 GHz)", "SIFS 10 µs + 6 µs signal extension, slot 9 µs, DIFS 28 µs, CWmin 15, ACK at 24 Mbit/s",
              "IEEE Std 802.11-2020 Clauses 10, 18, 19"),
        .init("Frame", "TCP MSS 1460; 78 bytes MAC/LLC/IPv4/TCP/FCS per frame; TCP ACK every 2 segments",
              "IEEE Std 802.11-2020 §9.3.2; RFC 1042; RFC 791; RFC 9293"),
        .init("Radio current", "RX 100 mA, TX 180 mA (MCS7, +14 dBm) at 3.3 V",
              "Espressif ESP32 Datasheet, RF power-consumption specifications"),
    ]
}
