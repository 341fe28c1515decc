import XCTest
@testable import AdapterPack

/// The SMP client's framing and CBOR (Sources/AdapterPack/SMP), on known
/// values and on bad input. The exchange with a device is tested end to end by
/// Examples/cortex-m4/run.sh (`adapterpack send` into the QEMU firmware).
final class SMPClientTests: XCTestCase {
    func testCRC16IsXMODEM() {
        XCTAssertEqual(SMPSerialFraming.crc16(Array("123456789".utf8)), 0x31C3)   // the CRC catalogue's check value
    }

    func testFramesRoundTripOverSeveralLinesAmidConsoleText() throws {
        let packet = [UInt8](repeating: 0xA5, count: 8) + SMPValue.map([("off", .unsigned(0)), ("data", .bytes(Array(0 ..< 200)))]).encoded()
        let wire = SMPSerialFraming.encode(packet)
        XCTAssertGreaterThan(wire.filter { $0 == UInt8(ascii: "\n") }.count, 2)
        XCTAssertTrue(wire.split(separator: UInt8(ascii: "\n")).allSatisfy { $0.count <= 126 })
        var receiver = SMPSerialFraming.Receiver()
        let noise = Array("boot: hello\r\n".utf8)
        XCTAssertEqual(try receiver.receive(noise + Array(wire.prefix(50))), [])
        XCTAssertEqual(try receiver.receive(Array(wire.dropFirst(50))), [packet])
    }

    func testABadCRCIsRefused() {
        var wire = SMPSerialFraming.encode([UInt8](repeating: 1, count: 12))
        wire[4] = wire[4] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        var receiver = SMPSerialFraming.Receiver()
        XCTAssertThrowsError(try receiver.receive(wire))
    }

    func testCBOREncodesShortestAndDecodesBack() throws {
        let value = SMPValue.map([("off", .unsigned(500)), ("sha", .bytes([1, 2])), ("ok", .bool(true)),
                                  ("list", .array([.text("a"), .negative(-3)]))])
        let bytes = value.encoded()
        XCTAssertEqual(Array(bytes.prefix(9)), [0xA4, 0x63, 0x6F, 0x66, 0x66, 0x19, 0x01, 0xF4, 0x63])
        XCTAssertEqual(try SMPValue.decode(bytes), value)
    }

    func testHostileCBORIsRefused() {
        for bytes: [UInt8] in [[0x5A, 0xFF, 0xFF, 0xFF, 0xFF], [0xBB, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                               [0x5F, 0x41, 0x00, 0xFF], [0xF9, 0x3C, 0x00], Array(repeating: 0x81, count: 40), [0xA1, 0x01, 0x02], []] {
            XCTAssertThrowsError(try SMPValue.decode(bytes), "\(bytes.prefix(6))")
        }
    }
}
