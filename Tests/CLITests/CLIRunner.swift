import Foundation
import XCTest
import TestSupport

/// Runs the built `adapterpack` binary and other commands in a scratch folder.
struct CLIRunner {
    typealias Output = Subprocess.Output

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("adapterpack-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// The path of the committed model `name` (without `.tflite`).
    static func model(_ name: String) -> String { RepoPaths.model(name).path }

    /// The folder holding the test bundle holds the built products too.
    static var binary: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            let candidate = bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("adapterpack")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        // Linux: the test runner is an executable in the products folder.
        let fallback = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("adapterpack")
        return fallback
    }

    static var binaryIsBuilt: Bool { FileManager.default.isExecutableFile(atPath: binary.path) }

    /// Deletes the scratch folder.
    func remove() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    @discardableResult
    func adapterpack(_ arguments: [String]) throws -> Output {
        try run(Self.binary.path, arguments)
    }

    /// Runs adapterpack and records a test failure (the command and its
    /// stderr) unless it exits 0; returns its stdout.
    @discardableResult
    func succeed(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let out = try adapterpack(arguments)
        XCTAssertEqual(out.status, 0, "adapterpack \(arguments.joined(separator: " ")):\n\(out.stderr)", file: file, line: line)
        return out.stdout
    }

    func run(_ executable: String, _ arguments: [String]) throws -> Output {
        try Subprocess.run(executable, arguments, in: directory)
    }

    static func which(_ tool: String) -> String? { Subprocess.which(tool) }
}
