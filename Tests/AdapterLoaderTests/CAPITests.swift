import XCTest
import AdapterFormat
import AdapterLoader
import CAdapterLoader
@testable import AdapterPack

/// The C API (adapter_loader.h) called the way firmware calls it: callback
/// structs over plain memory, the built-in Ed25519 verifier, integer codes.
final class CAPITests: XCTestCase {
    let base = LoaderHarness.model("base")
    let target = LoaderHarness.model("lora")

    /// The bundle bytes behind a C source: context points at this box.
    final class Box { var bytes: [UInt8]; init(_ b: [UInt8]) { bytes = b } }

    static let readBundle: @convention(c) (UnsafeMutableRawPointer?, UInt32, UnsafeMutablePointer<UInt8>?, UInt32) -> UInt32 = {
        context, offset, buffer, count in
        let box = Unmanaged<Box>.fromOpaque(context!).takeUnretainedValue()
        let n = min(Int(count), box.bytes.count - Int(offset), 100)  // short reads on purpose
        guard n > 0 else { return 0 }
        for i in 0 ..< n { buffer![i] = box.bytes[Int(offset) + i] }
        return UInt32(n)
    }

    func call(_ bundle: [UInt8], key: [UInt8]? = nil,
              _ body: (UnsafePointer<ap_bundle_source>, UnsafePointer<ap_verifier>, UnsafeMutablePointer<UInt8>, UInt32) -> Int32) -> Int32 {
        let box = Box(bundle)
        let publicKey = key ?? LoaderHarness.key.verifyingKey.rawPublicKey
        return withExtendedLifetime(box) {
            publicKey.withUnsafeBufferPointer { keyBytes in
                var source = ap_bundle_source(context: Unmanaged.passUnretained(box).toOpaque(),
                                              length: UInt32(bundle.count), read: Self.readBundle)
                var verifier = ap_verifier(context: nil, check: nil, ed25519_public_key: keyBytes.baseAddress)
                let size = AdapterLoader.ap_window_size(&source)
                var window = [UInt8](repeating: 0, count: Int(size))
                return window.withUnsafeMutableBufferPointer { w in body(&source, &verifier, w.baseAddress!, size) }
            }
        }
    }

    func testApplyAndUnapplyInRAMThroughTheCAPI() {
        let bundle = LoaderHarness.bundle(base, target)
        var model = base
        var outcome = ap_outcome()
        let applied = call(bundle) { source, verifier, window, size in
            model.withUnsafeMutableBufferPointer { m in
                AdapterLoader.ap_apply_ram(source, verifier, window, size, m.baseAddress, UInt32(m.count), UInt32(base.count), 0, &outcome)
            }
        }
        XCTAssertEqual(applied, Int32(AP_OK), String(cString: AdapterLoader.ap_error_name(applied)!))
        XCTAssertEqual(model, target)
        XCTAssertEqual(outcome.state, Int32(AP_MODEL_TARGET))
        XCTAssertEqual(outcome.interpreter_must_be_recreated, 1)
        XCTAssertEqual(outcome.model_length, UInt32(target.count))
        let digest = withUnsafeBytes(of: outcome.model_sha256) { Array($0) }
        XCTAssertEqual(digest, sha256(target).bytes)
        let removed = call(bundle) { source, verifier, window, size in
            model.withUnsafeMutableBufferPointer { m in
                AdapterLoader.ap_unapply_ram(source, verifier, window, size, m.baseAddress, UInt32(m.count), UInt32(target.count), &outcome)
            }
        }
        XCTAssertEqual(removed, Int32(AP_OK))
        XCTAssertEqual(model, base)
    }

    func testErrorsAreCodesWithNames() {
        var bundle = LoaderHarness.bundle(base, target)
        var model = LoaderHarness.model("full-ft")
        let wrongBase = call(bundle) { source, verifier, window, size in
            model.withUnsafeMutableBufferPointer { m in
                AdapterLoader.ap_apply_ram(source, verifier, window, size, m.baseAddress, UInt32(m.count), UInt32(m.count), 0, nil)
            }
        }
        XCTAssertEqual(wrongBase, Int32(AP_E_BASE_MISMATCH))
        XCTAssertEqual(String(cString: AdapterLoader.ap_error_name(wrongBase)!), "base model hash mismatch")
        XCTAssertEqual(model, LoaderHarness.model("full-ft"))
        let otherKey = call(bundle, key: LoaderHarness.stranger.verifyingKey.rawPublicKey) { source, verifier, window, size in
            AdapterLoader.ap_verify(source, verifier, window, size, 0)
        }
        XCTAssertEqual(otherKey, Int32(AP_E_UNKNOWN_KEY))
        var signature = bundle
        signature[StreamHeader.size + 5] ^= 1   // a signature byte
        XCTAssertEqual(call(signature) { AdapterLoader.ap_verify($0, $1, $2, $3, 0) }, Int32(AP_E_SIGNATURE))
        bundle[bundle.count - 5] ^= 1           // a byte of the last block
        XCTAssertEqual(call(bundle) { AdapterLoader.ap_verify($0, $1, $2, $3, 0) }, Int32(AP_E_BLOCK))
        XCTAssertEqual(call(LoaderHarness.bundle(base, target)) { AdapterLoader.ap_verify($0, $1, $2, $3 - 1, 0) }, Int32(AP_E_WINDOW))
        XCTAssertEqual(call(LoaderHarness.bundle(base, target, sequence: 3)) { AdapterLoader.ap_verify($0, $1, $2, $3, 4) }, Int32(AP_E_ROLLBACK))
        XCTAssertEqual(AdapterLoader.ap_verify(nil, nil, nil, 0, 0), Int32(AP_E_ARGUMENT))
    }

    /// Flash through C callbacks over a simulated flash.
    static let flashRead: @convention(c) (UnsafeMutableRawPointer?, UInt32, UnsafeMutablePointer<UInt8>?, UInt32) -> Int32 = {
        context, address, buffer, count in
        let flash = Unmanaged<SimulatedFlash>.fromOpaque(context!).takeUnretainedValue()
        do { try flash.read(at: Int(address), into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(count))) } catch { return -1 }
        return 0
    }
    static let flashErase: @convention(c) (UnsafeMutableRawPointer?, UInt32) -> Int32 = { context, page in
        let flash = Unmanaged<SimulatedFlash>.fromOpaque(context!).takeUnretainedValue()
        do { try flash.erase(page: Int(page)) } catch { return -1 }
        return 0
    }
    static let flashProgram: @convention(c) (UnsafeMutableRawPointer?, UInt32, UnsafePointer<UInt8>?, UInt32) -> Int32 = {
        context, address, bytes, count in
        let flash = Unmanaged<SimulatedFlash>.fromOpaque(context!).takeUnretainedValue()
        do { try flash.program(at: Int(address), from: UnsafeRawBufferPointer(start: bytes, count: Int(count))) } catch { return -1 }
        return 0
    }

    func testFlashApplyCutAndResumeThroughTheCAPI() {
        let bundle = LoaderHarness.bundle(base, target)
        let layout = FlashLayout(pageSize: 2048, programSize: 8, segmentSize: 4096, capacity: base.count)
        let flash = layout.makeFlash()
        flash.load(base)
        var unit = [UInt8](repeating: 0, count: layout.unitSize)
        let run: (Bool) -> Int32 = { resume in
            unit.withUnsafeMutableBufferPointer { u in
                var device = ap_flash(context: Unmanaged.passUnretained(flash).toOpaque(), page_size: UInt32(layout.pageSize),
                                      program_size: UInt32(layout.programSize), page_count: UInt32(layout.pageCount),
                                      read: Self.flashRead, erase: Self.flashErase, program: Self.flashProgram)
                var geometry = ap_flash_layout(model_pages: UInt32(layout.modelPages), scratch_page: UInt32(layout.scratchPage),
                                               journal_page: UInt32(layout.journalPage), journal_pages: UInt32(layout.journalPages),
                                               unit_size: UInt32(layout.unitSize), unit_buffer: u.baseAddress)
                var outcome = ap_outcome()
                let code = self.call(bundle) { source, verifier, window, size in
                    resume ? AdapterLoader.ap_resume_flash(source, verifier, window, size, &device, &geometry, &outcome)
                           : AdapterLoader.ap_apply_flash(source, verifier, window, size, &device, &geometry, UInt32(self.base.count), 0, &outcome)
                }
                if code == Int32(AP_OK) { XCTAssertEqual(outcome.state, Int32(AP_MODEL_TARGET)) }
                return code
            }
        }
        flash.cutAt = 9
        XCTAssertEqual(run(false), Int32(AP_E_FLASH))
        flash.powerOn()
        XCTAssertEqual(run(true), Int32(AP_OK))
        XCTAssertEqual(Array(flash.memory[0 ..< target.count]), target)
    }

    /// Layout values whose products or sums overflow (or, on a 32-bit device,
    /// do not fit an Int) are refused as arguments, never trapped on.
    func testHostileFlashLayoutValuesAreRefusedNotTrappedOn() {
        let bundle = LoaderHarness.bundle(base, target)
        var unit = [UInt8](repeating: 0, count: 4096)
        let cases: [(page: UInt32, pages: UInt32, model: UInt32, scratch: UInt32, journal: UInt32, journalPages: UInt32, unit: UInt32)] = [
            (0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0x8000_0000),
            (4096, 0xFFFF_FFFF, 0xFFFF_FFF0, 0xFFFF_FFF0, 0xFFFF_FFF8, 0xFFFF_FFFF, 4096),
            (4096, 64, 10, 10, 0xFFFF_FFFF, 2, 4096),
        ]
        for c in cases {
            let code = unit.withUnsafeMutableBufferPointer { u -> Int32 in
                var device = ap_flash(context: nil, page_size: c.page, program_size: 8, page_count: c.pages,
                                      read: Self.flashRead, erase: Self.flashErase, program: Self.flashProgram)
                var geometry = ap_flash_layout(model_pages: c.model, scratch_page: c.scratch, journal_page: c.journal,
                                               journal_pages: c.journalPages, unit_size: c.unit, unit_buffer: u.baseAddress)
                var outcome = ap_outcome()
                return self.call(bundle) { source, verifier, window, size in
                    AdapterLoader.ap_apply_flash(source, verifier, window, size, &device, &geometry, UInt32(self.base.count), 0, &outcome)
                }
            }
            XCTAssertEqual(code, Int32(AP_E_ARGUMENT), "\(c)")
        }
    }
}
