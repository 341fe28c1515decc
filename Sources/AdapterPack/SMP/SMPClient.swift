import Foundation

/// An SMP client for the commands a bundle upload needs: MCUmgr parameters
/// (the device's buffer size), image upload (chunks from the offset the device
/// answers with, so an interrupted upload continues where the device wants)
/// and image state. Speaks SMP version 2 framing over `SMPLink`.
public final class SMPClient {
    let link: SMPLink
    let timeout: Double
    private var receiver = SMPSerialFraming.Receiver()
    private var sequence: UInt8 = 0

    public init(link: SMPLink, timeout: Double = 10) {
        self.link = link
        self.timeout = timeout
    }

    /// Sends one request and waits for the response with its sequence number.
    public func request(op: UInt8, group: UInt16, command: UInt8, body: SMPValue) throws(SMPError) -> SMPValue {
        sequence &+= 1
        let payload = body.encoded()
        let header: [UInt8] = [0x08 | op, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF),
                               UInt8(group >> 8), UInt8(group & 0xFF), sequence, command]
        try link.write(SMPSerialFraming.encode(header + payload))
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for packet in try receiver.receive(try link.read(timeout: max(0.01, deadline.timeIntervalSinceNow))) {
                guard packet.count >= 8, packet[6] == sequence else { continue }   // another request's answer
                let length = Int(packet[2]) << 8 | Int(packet[3])
                guard packet[0] & 7 == op + 1, length == packet.count - 8 else {
                    throw .badResponse("op \(packet[0] & 7) or length \(length) does not answer the request")
                }
                let value = try SMPValue.decode(Array(packet[8...]))
                if let err = value["err"], let rc = err["rc"]?.unsignedValue, rc != 0 {
                    throw .refused(group: Int(err["group"]?.unsignedValue ?? 0), rc: Int(rc), meaning: Self.meaning(group: err["group"]?.unsignedValue, rc: rc))
                }
                if let rc = value["rc"]?.unsignedValue, rc != 0 { throw .refused(group: 0, rc: Int(rc), meaning: Self.meaning(group: 0, rc: rc)) }
                return value
            }
        }
        throw .timeout(seconds: timeout)
    }

    static func meaning(group: UInt64?, rc: UInt64) -> String {
        if group == 1 {
            let image: [UInt64: String] = [1: "unknown", 12: "flash write failed", 14: "invalid slot", 20: "invalid offset",
                                           21: "invalid length", 22: "invalid image header", 24: "invalid hash",
                                           27: "current version is newer", 31: "data overrun"]
            return image[rc] ?? "image management error"
        }
        let general: [UInt64: String] = [1: "unknown", 2: "no memory", 3: "invalid value", 4: "timeout", 5: "no entry",
                                         6: "bad state", 7: "response too large", 8: "not supported"]
        return general[rc] ?? "error"
    }

    /// The device's reassembly buffer (MCUmgr parameters), or 128 if it does not say.
    public func bufferSize() -> Int {
        guard let answer = try? request(op: 0, group: 0, command: 6, body: .map([])),
              let size = answer["buf_size"]?.unsignedValue, size > 64 else { return 128 }
        return Int(min(size, 1 << 16))
    }

    /// Uploads `image`; `progress` gets each offset the device answers with.
    /// Returns the number of requests sent.
    @discardableResult
    public func upload(_ image: [UInt8], progress: ((Int) -> Void)? = nil) throws(SMPError) -> Int {
        let buffer = bufferSize()
        let sha = SMPValue.bytes(tufDigest("sha256", image) ?? [])
        var offset = 0
        var requests = 0
        repeat {
            // What fits: the packet (header, CBOR, data) in buf_size - 4, leaving room for the fields.
            var fields: [(String, SMPValue)] = [("off", .unsigned(UInt64(offset)))]
            if offset == 0 { fields += [("len", .unsigned(UInt64(image.count))), ("sha", sha), ("image", .unsigned(0))] }
            let overhead = 8 + SMPValue.map(fields + [("data", .bytes([]))]).encoded().count + 4
            let chunk = max(1, min(image.count - offset, buffer - 4 - overhead - 4))
            fields.append(("data", .bytes(Array(image[offset ..< offset + chunk]))))
            let answer = try request(op: 2, group: 1, command: 1, body: .map(fields))
            requests += 1
            guard let next = answer["off"]?.unsignedValue, next <= UInt64(image.count) else {
                throw .badResponse("upload answer without an offset within the image")
            }
            offset = Int(next)
            progress?(offset)
        } while offset < image.count
        return requests
    }

    /// The hash the device reports for image slot 0 (for adapterpack
    /// firmware: the SHA-256 of the model in flash).
    public func imageHash() throws(SMPError) -> [UInt8]? {
        let answer = try request(op: 0, group: 1, command: 0, body: .map([]))
        guard case .array(let images)? = answer["images"] else { throw .badResponse("image state without images") }
        return images.first?["hash"]?.bytesValue
    }
}
