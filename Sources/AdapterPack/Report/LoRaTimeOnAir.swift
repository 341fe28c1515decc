import Foundation

/// Time on air of one LoRa packet, from Semtech AN1200.13 "LoRa Modem
/// Designer's Guide" §4 (the same formula as the SX1276/77/78/79 datasheet
/// §4.1.1.7):
///
///     Tsym      = 2^SF / BW
///     Tpreamble = (npreamble + 4.25) · Tsym
///     nPayload  = 8 + max(⌈(8·PL − 4·SF + 28 + 16·CRC − 20·IH) / (4·(SF − 2·DE))⌉ · (CR + 4), 0)
///     Tpacket   = Tpreamble + nPayload · Tsym
///
/// PL is the PHY payload in bytes, IH = 1 for implicit header, DE = 1 with
/// low-data-rate optimisation, CR = 1…4 for coding rate 4/5…4/8.
public enum LoRaTimeOnAir {
    /// Symbol time in seconds.
    public static func symbolTime(spreadingFactor sf: Int, bandwidthHz: Double) -> Double {
        Double(1 << sf) / bandwidthHz
    }

    /// The SX127x datasheet mandates low-data-rate optimisation when the symbol
    /// time exceeds 16 ms (SF11 and SF12 at 125 kHz).
    public static func lowDataRateOptimize(spreadingFactor sf: Int, bandwidthHz: Double) -> Bool {
        symbolTime(spreadingFactor: sf, bandwidthHz: bandwidthHz) > 0.016
    }

    /// Number of payload symbols (header, payload and CRC).
    public static func payloadSymbols(payloadBytes pl: Int, spreadingFactor sf: Int, codingRate cr: Int = 1,
                                      crc: Bool, explicitHeader: Bool = true, lowDataRateOptimize de: Bool) -> Int {
        let numerator = 8 * pl - 4 * sf + 28 + (crc ? 16 : 0) - (explicitHeader ? 0 : 20)
        let denominator = 4 * (sf - (de ? 2 : 0))
        let blocks = numerator > 0 ? (numerator + denominator - 1) / denominator : 0
        return 8 + max(blocks * (cr + 4), 0)
    }

    /// Time on air in seconds.
    public static func seconds(payloadBytes: Int, spreadingFactor sf: Int, bandwidthHz: Double = 125_000,
                               codingRate: Int = 1, preambleSymbols: Int = 8, crc: Bool,
                               explicitHeader: Bool = true, lowDataRateOptimize: Bool? = nil) -> Double {
        let tsym = symbolTime(spreadingFactor: sf, bandwidthHz: bandwidthHz)
        let de = lowDataRateOptimize ?? Self.lowDataRateOptimize(spreadingFactor: sf, bandwidthHz: bandwidthHz)
        let preamble = (Double(preambleSymbols) + 4.25) * tsym
        let symbols = payloadSymbols(payloadBytes: payloadBytes, spreadingFactor: sf, codingRate: codingRate,
                                     crc: crc, explicitHeader: explicitHeader, lowDataRateOptimize: de)
        return preamble + Double(symbols) * tsym
    }
}
