import AdapterPack
import ArgumentParser
import Foundation

/// `adapterpack send`: uploads a bundle to a device over SMP (MCUmgr's image
/// upload), as `mcumgr image upload` or `smpmgr` would, on a serial port or a
/// TCP socket; then reads back the hash the device reports.
struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a bundle to a device over SMP (MCUmgr image upload) on a serial port or TCP.",
        discussion: """
        The device applies the bundle while it arrives (Examples/cortex-m4/smp) and answers each chunk \
        with the offset it wants next; after a reset mid-upload, send again: the device says where to go on.

        Example:
          adapterpack send next.apb --serial /dev/ttyACM0
          adapterpack send next.apb --tcp 127.0.0.1:5555 --expect-hash <target sha256>
        """)

    @Argument(help: "Bundle to upload.") var bundle: String
    @Option(help: "Serial port (a tty or pty).") var serial: String?
    @Option(help: "TCP HOST:PORT instead of a serial port.") var tcp: String?
    @Option(help: "Baud rate of the serial port.") var baud: Int = 115_200
    @Option(help: "Seconds to wait for each answer.") var timeout: Double = 30
    @Option(help: "SHA-256 (hex) the device must report afterwards, e.g. the bundle's target.") var expectHash: String?

    func validate() throws {
        guard (serial == nil) != (tcp == nil) else { throw ValidationError("give exactly one of --serial and --tcp") }
    }

    func run() throws {
        let image = try FileIO.read(bundle, limit: .modelOrBundle)
        let link: SMPLink
        if let serial {
            link = try SMPLink(serial: serial, baud: baud)
        } else {
            let parts = tcp!.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--tcp wants HOST:PORT") }
            link = try SMPLink(tcp: String(parts[0]), port: port)
        }
        let client = SMPClient(link: link, timeout: timeout)
        let started = Date()
        var answers: [Int] = []
        let requests = try client.upload(image) { answers.append($0) }
        let seconds = Date().timeIntervalSince(started)
        let jumps = zip([0] + answers, answers).filter { $1 - $0 > 1024 }.count
        print("sent \(bundle): \(image.count) bytes in \(requests) request(s), \(String(format: "%.1f", seconds)) s"
              + (jumps > 0 ? "; the device skipped ahead \(jumps) time(s) (resumed)" : ""))
        let hash = try client.imageHash().map { hexString($0) } ?? "none"
        print("device reports hash \(hash)")
        if let expectHash, hash != expectHash.lowercased() {
            throw SMPError.badResponse("the device reports hash \(hash), expected \(expectHash.lowercased())")
        }
    }
}
