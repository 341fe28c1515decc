import Foundation

/// MCUmgr's serial transport: a packet goes out as lines (the first starts
/// 0x06 0x09, the rest 0x04 0x14, each ends in "\n") carrying base64 of
/// [length u16 BE][packet][CRC16-XMODEM BE], at most 127 bytes a line.
public enum SMPSerialFraming {
    public static func crc16(_ bytes: [UInt8]) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0 ..< 8 { crc = crc & 0x8000 != 0 ? crc << 1 ^ 0x1021 : crc << 1 }
        }
        return crc
    }

    public static func encode(_ packet: [UInt8]) -> [UInt8] {
        let crc = crc16(packet)
        let length = UInt16(packet.count + 2)
        let raw = [UInt8(length >> 8), UInt8(length & 0xFF)] + packet + [UInt8(crc >> 8), UInt8(crc & 0xFF)]
        let text = Array(Data(raw).base64EncodedString().utf8)
        var out: [UInt8] = []
        var at = 0
        while at < text.count {
            out += at == 0 ? [0x06, 0x09] : [0x04, 0x14]
            let end = min(text.count, at + 120)   // (127 - 4) rounded down to whole base64 groups
            out += text[at ..< end]
            out.append(UInt8(ascii: "\n"))
            at = end
        }
        return out
    }

    /// Reassembles packets from received bytes; console text between them is ignored.
    public struct Receiver {
        var line: [UInt8] = []
        var text: [UInt8] = []
        var inPacket = false
        public init() {}

        /// Takes received bytes; returns the packets completed by them (CRC checked).
        public mutating func receive(_ bytes: [UInt8]) throws(SMPError) -> [[UInt8]] {
            var packets: [[UInt8]] = []
            for byte in bytes {
                guard byte == UInt8(ascii: "\n") else {
                    guard line.count < 4096 else { throw .badResponse("a line longer than 4096 bytes") }
                    line.append(byte)
                    continue
                }
                defer { line = [] }
                if line.starts(with: [0x06, 0x09]) {
                    inPacket = true
                    text = []
                } else if !(line.starts(with: [0x04, 0x14]) && inPacket) {
                    continue   // console output
                }
                text += line.dropFirst(2).filter { $0 != UInt8(ascii: "\r") }
                guard text.count % 4 == 0, let data = Data(base64Encoded: Data(text)) else { continue }
                let raw = Array(data)
                guard raw.count >= 2 else { continue }
                let total = 2 + (Int(raw[0]) << 8 | Int(raw[1]))
                guard raw.count >= total else { continue }   // more lines follow
                inPacket = false
                guard raw.count == total, total >= 2 + 8 + 2 else { throw .badResponse("frame length \(total - 2) does not match its \(raw.count - 2) bytes") }
                let packet = Array(raw[2 ..< total - 2])
                guard crc16(packet) == UInt16(raw[total - 2]) << 8 | UInt16(raw[total - 1]) else {
                    throw .badResponse("CRC16 mismatch")
                }
                packets.append(packet)
            }
            return packets
        }
    }
}
