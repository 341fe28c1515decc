import XCTest
@testable import AdapterPack

/// Link figures checked against calculations done by hand (in the comments).
final class ReportLinkTests: XCTestCase {
    // MARK: LoRa time on air (Semtech AN1200.13)

    /// SF7, 125 kHz, CR 4/5, 8-symbol preamble, explicit header, CRC on, 51-byte PHY payload:
    ///   Tsym = 2^7 / 125 000 = 1.024 ms; Tpreamble = (8 + 4.25) × 1.024 = 12.544 ms
    ///   8·51 − 4·7 + 28 + 16 − 0 = 424; 424 / (4·7) = 15.14 → 16; 16 × 5 = 80; + 8 = 88 symbols
    ///   Tpayload = 88 × 1.024 = 90.112 ms; total 102.656 ms
    func testLoRaSF7FiftyOneBytes() {
        XCTAssertEqual(LoRaTimeOnAir.payloadSymbols(payloadBytes: 51, spreadingFactor: 7, crc: true, lowDataRateOptimize: false), 88)
        XCTAssertEqual(LoRaTimeOnAir.seconds(payloadBytes: 51, spreadingFactor: 7, crc: true), 0.102656, accuracy: 1e-9)
    }

    /// SF12 with low-data-rate optimisation (Tsym = 4096 / 125 000 = 32.768 ms > 16 ms), CRC on,
    /// 64-byte PHY payload (51-byte FRMPayload + 13 bytes LoRaWAN MAC):
    ///   8·64 − 48 + 28 + 16 = 508; 508 / (4·(12 − 2)) = 12.7 → 13; × 5 = 65; + 8 = 73 symbols
    ///   Tpreamble = 12.25 × 32.768 = 401.408 ms; Tpayload = 73 × 32.768 = 2392.064 ms; total 2793.472 ms
    func testLoRaSF12WithLowDataRateOptimisation() {
        XCTAssertTrue(LoRaTimeOnAir.lowDataRateOptimize(spreadingFactor: 12, bandwidthHz: 125_000))
        XCTAssertTrue(LoRaTimeOnAir.lowDataRateOptimize(spreadingFactor: 11, bandwidthHz: 125_000))
        XCTAssertFalse(LoRaTimeOnAir.lowDataRateOptimize(spreadingFactor: 10, bandwidthHz: 125_000))
        XCTAssertEqual(LoRaTimeOnAir.seconds(payloadBytes: 64, spreadingFactor: 12, crc: true), 2.793472, accuracy: 1e-9)
    }

    /// The LoRaWAN downlinks the report uses carry no CRC.
    ///   SF7, PL 255 (242 + 13): 8·255 − 28 + 28 = 2040; / 28 = 72.86 → 73; × 5 = 365; + 8 = 373 symbols
    ///     12.544 + 373 × 1.024 = 394.496 ms
    ///   SF9, PL 128 (115 + 13): 8·128 − 36 + 28 = 1016; / 36 = 28.2 → 29; × 5 = 145; + 8 = 153 symbols
    ///     Tsym 4.096 ms: 12.25 × 4.096 + 153 × 4.096 = 50.176 + 626.688 = 676.864 ms
    func testLoRaWANDownlinkFrames() {
        XCTAssertEqual(LoRaWANLink(spreadingFactor: 7).phyPayloadBytes, 255)
        XCTAssertEqual(LoRaWANLink(spreadingFactor: 7).frameSeconds, 0.394496, accuracy: 1e-9)
        XCTAssertEqual(LoRaWANLink(spreadingFactor: 9).phyPayloadBytes, 128)
        XCTAssertEqual(LoRaWANLink(spreadingFactor: 9).frameSeconds, 0.676864, accuracy: 1e-9)
        XCTAssertEqual(LoRaWANLink(spreadingFactor: 12).fragmentBytes, 48)
        XCTAssertEqual(LoRaWANLink(spreadingFactor: 9).fragmentBytes, 112)
        XCTAssertEqual(LoRaWANLink(spreadingFactor: 8).fragmentBytes, 239)
    }

    /// 1 339 bytes over LoRaWAN SF7: ⌈1339 / 239⌉ = 6 fragments of 394.496 ms
    ///   time on air 6 × 0.394496 = 2.366976 s
    ///   wall time 2.366976 + 5 × 0.394496 × 99 = 2.366976 + 195.27552 = 197.642496 s (1 % duty cycle)
    ///   energy (Class C) 3.3 V × 12.68 mA × 197.642496 s = 8 270.15 mJ; airtime energy 3.3 × 12.68 × 2.366976 = 99.04 mJ
    func testLoRaWANTransferUnderDutyCycle() {
        let t = LoRaWANLink(spreadingFactor: 7).transfer(bytes: 1339)
        XCTAssertEqual(t.frames, 6)
        XCTAssertEqual(t.linkBytes, 6 * 255)
        XCTAssertEqual(t.timeOnAirSeconds, 2.366976, accuracy: 1e-9)
        XCTAssertEqual(t.wallTimeSeconds, 197.642496, accuracy: 1e-6)
        XCTAssertEqual(t.energyMillijoules, 3.3 * 12.68 * 197.642496, accuracy: 1e-6)
        XCTAssertEqual(t.energyMillijoules, 8270.15, accuracy: 0.01)
        XCTAssertEqual(t.airtimeEnergyMillijoules, 99.04, accuracy: 0.01)
        XCTAssertEqual(t.uplinkTimeOnAirSeconds, 0)
        // One frame: no off time.
        let one = LoRaWANLink(spreadingFactor: 7).transfer(bytes: 239)
        XCTAssertEqual(one.frames, 1)
        XCTAssertEqual(one.wallTimeSeconds, one.timeOnAirSeconds)
    }

    // MARK: BLE

    /// ATT_MTU 247 → 244 bytes per notification; 1 326 bytes → ⌈1326 / 244⌉ = 6 packets
    /// (5 × 244 + 106). Each packet on air = value + 3 ATT + 4 L2CAP + 10 framing:
    ///   link bytes 1326 + 6 × 17 = 1428; time on air 1428 × 8 µs = 11.424 ms
    ///   device acks 6 × 10 bytes × 8 µs = 0.48 ms; wall 11.424 + 0.48 + 6 × 2 × 0.15 = 13.704 ms
    ///   energy 3.0 V × (6.26 mA × (13.704 − 0.48) ms + 6.40 mA × 0.48 ms) = 0.24834672 + 0.009216 = 0.25756272 mJ
    func testBLEFrameCountAndTiming() {
        let link = BLELink()
        XCTAssertEqual(link.description.payloadBytesPerFrame, 244)
        let t = link.transfer(bytes: 1326)
        XCTAssertEqual(t.frames, 6)
        XCTAssertEqual(t.linkBytes, 1428)
        XCTAssertEqual(t.timeOnAirSeconds, 0.011424, accuracy: 1e-12)
        XCTAssertEqual(t.uplinkTimeOnAirSeconds, 0.00048, accuracy: 1e-12)
        XCTAssertEqual(t.wallTimeSeconds, 0.013704, accuracy: 1e-12)
        XCTAssertEqual(t.energyMillijoules, 0.25756272, accuracy: 1e-9)
        XCTAssertEqual(link.transfer(bytes: 244).frames, 1)
        XCTAssertEqual(link.transfer(bytes: 245).frames, 2)
        XCTAssertEqual(link.transfer(bytes: 0).frames, 0)
    }

    // MARK: Cellular and Wi-Fi

    /// NB-IoT, 1 339 bytes in 512-byte CoAP blocks: 3 blocks, 1339 + 3 × 40 = 1459 bytes down
    ///   1459 × 8 / 25 500 = 0.457725 s; requests 3 × 43 × 8 / 62 500 = 0.016512 s
    ///   wall 0.457725 + 0.016512 + 3 × 1.6 = 5.274237 s; energy 3.7 V × 35 mA × 5.274237 s = 683.01 mJ
    func testNBIoTBlocks() {
        let t = CellularLink(.nbiot).transfer(bytes: 1339)
        XCTAssertEqual(t.frames, 3)
        XCTAssertEqual(t.linkBytes, 1459)
        XCTAssertEqual(t.timeOnAirSeconds, 1459.0 * 8 / 25_500, accuracy: 1e-12)
        XCTAssertEqual(t.uplinkTimeOnAirSeconds, 0.016512, accuracy: 1e-12)
        XCTAssertEqual(t.wallTimeSeconds, 5.274237, accuracy: 1e-6)
        XCTAssertEqual(t.energyMillijoules, 683.01, accuracy: 0.01)
    }

    /// Wi-Fi, one full segment (1460 bytes): MPDU 1460 + 78 = 1538 bytes
    ///   ⌈(22 + 8 × 1538) / 260⌉ = ⌈47.4⌉ = 48 symbols → 36 + 192 + 6 = 234 µs on air
    ///   MAC ACK ⌈(22 + 112) / 96⌉ = 2 symbols → 20 + 8 + 6 = 34 µs; TCP ACK (78 bytes) ⌈646 / 260⌉ = 3 → 54 µs
    ///   wall = (28 + 67.5 + 234 + 10 + 34) + (28 + 67.5 + 54 + 10 + 34) = 373.5 + 193.5 = 567 µs
    func testWiFiSegmentTiming() {
        let t = WiFiLink().transfer(bytes: 1460)
        XCTAssertEqual(t.frames, 1)
        XCTAssertEqual(t.timeOnAirSeconds, 234e-6, accuracy: 1e-12)
        XCTAssertEqual(t.uplinkTimeOnAirSeconds, 34e-6 + 54e-6, accuracy: 1e-12)
        XCTAssertEqual(t.wallTimeSeconds, 567e-6, accuracy: 1e-12)
    }

    // MARK: --links

    func testLinkSelection() throws {
        XCTAssertEqual(LinkCatalog.all.map(\.description.id),
                       ["ble", "lorawan-sf7", "lorawan-sf8", "lorawan-sf9", "lorawan-sf10", "lorawan-sf11", "lorawan-sf12",
                        "nbiot", "ltem", "wifi"])
        XCTAssertEqual(try LinkCatalog.parse("wifi,ble").map(\.description.id), ["ble", "wifi"])
        XCTAssertEqual(try LinkCatalog.parse("lorawan").count, 6)
        XCTAssertEqual(try LinkCatalog.parse(" LoRaWAN-SF9 , nbiot").map(\.description.id), ["lorawan-sf9", "nbiot"])
        XCTAssertEqual(try LinkCatalog.parse("all").count, 10)
        XCTAssertThrowsError(try LinkCatalog.parse("ble,zigbee")) { error in
            XCTAssertEqual(error as? ReportError, .unknownLink("zigbee", valid: LinkCatalog.names))
            XCTAssertTrue("\(error)".contains("unknown link 'zigbee'"))
            XCTAssertTrue("\(error)".contains("lorawan-sf12"))
        }
        XCTAssertThrowsError(try LinkCatalog.parse("lorawan-sf6"))
        XCTAssertThrowsError(try LinkCatalog.parse(""))
    }

    /// Every link names a source for every parameter, and the figures stay sane.
    func testEveryLinkCitesItsParameters() {
        for link in LinkCatalog.all {
            let d = link.description
            XCTAssertFalse(d.parameters.isEmpty, d.id)
            for p in d.parameters { XCTAssertFalse(p.source.isEmpty, "\(d.id): \(p.name)") }
            XCTAssertTrue(d.parameters.contains { $0.name == "Radio current" }, d.id)
            let t = link.transfer(bytes: 20_000)
            XCTAssertGreaterThan(t.frames, 0)
            XCTAssertGreaterThanOrEqual(t.wallTimeSeconds, t.timeOnAirSeconds, d.id)
            XCTAssertGreaterThanOrEqual(t.energyMillijoules, t.airtimeEnergyMillijoules, d.id)
            XCTAssertGreaterThanOrEqual(t.linkBytes, 20_000, d.id)
        }
    }
}
