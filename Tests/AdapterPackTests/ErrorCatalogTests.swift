import Foundation
import XCTest
import AdapterFormat
@testable import AdapterLoader
import CAdapterLoader
@testable import AdapterPack
import TestSupport

/// The error catalogs (FormatError.swift, LoaderError.swift) and the files
/// Scripts/generate-errors.py derives from them: the Embedded variants, the
/// host messages, `apCode`/`ap_error_name` and the header's return codes.
final class ErrorCatalogTests: XCTestCase {
    /// A declaration edited without re-running the generator fails here, on
    /// the host, rather than only in the embedded check or on the device.
    func testGeneratedFilesAreCurrent() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "Scripts/generate-errors.py", "--check"]
        process.currentDirectoryURL = RepoPaths.root
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "generated error files are stale:\n\(text)")
    }

    /// Read from the sources rather than from the generator, so that a
    /// generator bug cannot hide a case without a code.
    func testEveryLoaderErrorCaseHasACodeDocumentedInTheHeader() throws {
        let declaration = try String(contentsOf: RepoPaths.root.appendingPathComponent("Sources/AdapterLoader/LoaderError.swift"),
                                     encoding: .utf8)
        let header = try String(contentsOf: RepoPaths.root.appendingPathComponent("Sources/CAdapterLoader/include/adapter_loader.h"),
                                encoding: .utf8)

        // Header: `AP_X = value,  /* comment */` lines of the return-code enum.
        var headerCodes: [String: (value: Int32, documented: Bool)] = [:]
        var values: Set<Int32> = []
        for line in header.split(separator: "\n") {
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 3)
            guard parts.count >= 3, parts[0].hasPrefix("AP_E_") || parts[0] == "AP_OK", parts[1] == "=",
                  let value = Int32(parts[2].trimmingCharacters(in: CharacterSet(charactersIn: ","))) else { continue }
            let name = String(parts[0])
            XCTAssertNil(headerCodes[name], "\(name) is declared twice in adapter_loader.h")
            XCTAssertTrue(values.insert(value).inserted, "\(name) = \(value) reuses a value in adapter_loader.h")
            headerCodes[name] = (value, name == "AP_OK" || line.contains("/*"))
        }
        XCTAssertGreaterThan(headerCodes.count, 10, "the header's return codes were not found")

        // Declaration: each `case` line of LoaderError and the `- code:` line of its doc comment.
        var inEnum = false, pendingCode: String?, cases: [String] = []
        for raw in declaration.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if raw.hasPrefix("public enum LoaderError") { inEnum = true; continue }
            guard inEnum else { continue }
            if raw == "}" { break }
            if line.hasPrefix("/// - code: ") { pendingCode = String(line.dropFirst("/// - code: ".count)) }
            guard line.hasPrefix("case ") else { continue }
            let name = String(line.dropFirst(5).prefix { $0.isLetter || $0.isNumber })
            cases.append(name)
            guard let code = pendingCode else { XCTFail("LoaderError.\(name) has no '- code:' line"); continue }
            pendingCode = nil
            guard let entry = headerCodes[code] else { XCTFail("LoaderError.\(name): \(code) is not in adapter_loader.h"); continue }
            XCTAssertTrue(entry.documented, "\(code) has no comment in adapter_loader.h")
        }
        XCTAssertEqual(cases.count, Set(cases).count, "LoaderError declares a case twice")
        XCTAssertTrue(cases.contains("notBuiltIn") && cases.contains("format"), "LoaderError's cases were not found: \(cases)")

        // Every code the header declares has its own name.
        var names: [String: String] = [:]
        for (code, entry) in headerCodes {
            let name = String(cString: AdapterLoader.ap_error_name(entry.value)!)
            XCTAssertNotEqual(name, "unknown error", "ap_error_name does not know \(code)")
            if let other = names.updateValue(code, forKey: name) { XCTFail("\(other) and \(code) are both named '\(name)'") }
        }
    }

    /// Spot checks of the generated mapping, including the format errors that have their own code.
    func testCodesOfSomeErrors() {
        XCTAssertEqual(apCode(.format(.unsupportedVersion(major: 9, minor: 0))), Int32(AP_E_VERSION))
        XCTAssertEqual(apCode(.format(.malformedBlock(block: 1, offset: 0, .digestMismatch))), Int32(AP_E_BLOCK))
        XCTAssertEqual(apCode(.streamGap(needed: 10, given: 20)), Int32(AP_E_STREAM))
        XCTAssertEqual(apCode(.format(.io(offset: 0))), Int32(AP_E_FORMAT))
        XCTAssertEqual(apCode(.sourceLengthMismatch(headerLength: 1, sourceLength: 2)), Int32(AP_E_FORMAT))
        XCTAssertEqual(apCode(.modelLengthMismatch(expected: 1, actual: 2)), Int32(AP_E_STORE))
        XCTAssertEqual(apCode(.unapplyMismatch(expected: .zero, actual: .zero)), Int32(AP_E_TARGET_MISMATCH))
        XCTAssertEqual(apCode(.notBuiltIn(.lowRank)), Int32(AP_E_NOT_BUILT_IN))
    }

    /// The generated messages are the hand-written ones they replaced.
    func testMessagesOfSomeErrors() {
        XCTAssertEqual(LoaderError.windowTooSmall(needed: 2048, given: 512).description,
                       "RAM window too small: the bundle needs 2048 bytes, 512 given")
        XCTAssertEqual(LoaderError.format(.malformedBlock(block: 3, offset: 7, .recordPastBlock(length: 40))).description,
                       "block 3, offset 7 in the block: record of 40 bytes runs past the end of the block's payload")
        XCTAssertEqual(FormatError.malformedRecord(section: 7, offset: 0, .lora(.badRow(row: 5))).description,
                       "malformed factors (kind 7) section at decoded offset 0: factor block row 5 has an invalid ratio for its block's ratio shift")
        XCTAssertEqual(LoaderError.flashFailed(address: 0x3_4000).description, "flash operation failed at address 0x34000")
        XCTAssertEqual(LoaderError.notBuiltIn(.lowRank).description,
                       "this loader was built without low-rank support (ADAPTERPACK_NO_LOW_RANK); "
                           + "make the bundle with `adapterpack diff --without low-rank`")
        XCTAssertEqual(LoaderError.notBuiltIn(.lora).description,
                       "this loader was built without lora support (ADAPTERPACK_NO_LORA); LoRA operations come only "
                           + "from `adapterpack build`: ship a `diff` of the LoRA-merged model instead")
    }
}
