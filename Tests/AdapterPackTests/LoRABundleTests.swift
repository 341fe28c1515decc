import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack
import TestSupport

/// `adapterpack build` on the corpus adapter: size, exactness through the
/// device loader, refusals, power cuts, and the integer-only device code.
final class LoRABundleTests: XCTestCase {
    static let digits = RepoPaths.digits

    func corpus() throws -> (base: [UInt8], adapter: PEFTAdapter, map: Data) {
        let dir = Self.digits.appendingPathComponent("lora-adapter")
        guard FileManager.default.fileExists(atPath: dir.path) else { throw XCTSkip("Examples/digits not present") }
        return (try RepoPaths.bytes(Self.digits.appendingPathComponent("base.tflite")), try PEFTAdapter(directory: dir.path),
                try Data(contentsOf: dir.appendingPathComponent("tensor_map.json")))
    }

    func testDigitsBundleIsSmallAndExact() throws {
        let (base, adapter, map) = try corpus()
        let result = try LoRABundler.build(base: base, adapter: adapter, map: map, key: Fixtures.ed25519Key)
        let bundle = result.bundle
        print("digits/lora-adapter: bundle \(bundle.count) bytes, sections \(result.sections.map { "\($0.kind) \($0.bytes)" }), "
            + "window \(result.window), rescaled rows \(result.plan.modules.map(\.rescaledRows)), backup \(result.plan.backupBytes) bytes")
        XCTAssertEqual(result.factorValues, 2_472)
        XCTAssertLessThanOrEqual(bundle.count, 2_472 * 3 / 2 + 1_024, "issue 3: at most 1.5·r·(in+out) + 1,024 bytes")
        XCTAssertLessThanOrEqual(bundle.count * 4, 19_170, "at least 4× smaller than the best existing tool")
        XCTAssertLessThanOrEqual(result.window, 8_192, "one block, the factor area and the fixed buffers")
        XCTAssertEqual(result.plan.modules.map(\.rescaledRows), [39, 8])
        // Every saturating weight is in a rescaled row, and nothing else is rescaled.
        XCTAssertGreaterThan(result.plan.modules.map(\.saturatingWeights).reduce(0, +), 1_400)

        // The same verify / apply as any bundle, in small pieces; one-way: unapply
        // refuses and the restore bundle gives the base back.
        _ = try HostLoader.verify(bundle: bundle, keys: Fixtures.trusted, base: base)
        let restore = try XCTUnwrap(result.restore, "rows are rescaled: the bundle is one-way and has a restore bundle")
        for chunk in [1, 7, 64, 4096] {
            let applied = try HostLoader.apply(bundle: bundle, base: base, keys: Fixtures.trusted, piece: chunk)
            XCTAssertEqual(applied.model, result.target, "chunk \(chunk)")
            XCTAssertThrowsError(try HostLoader.unapply(bundle: bundle, target: applied.model, keys: Fixtures.trusted, piece: chunk)) {
                XCTAssertEqual($0 as? LoaderError, .oneWay)
            }
            let restored = try HostLoader.apply(bundle: restore, base: applied.model, keys: Fixtures.trusted, piece: chunk)
            XCTAssertEqual(restored.model, base, "the restore bundle must give the base back byte for byte (chunk \(chunk))")
        }
        XCTAssertLessThanOrEqual(restore.count, 102_400)
        XCTAssertThrowsError(try HostLoader.apply(bundle: bundle, base: base, keys: Fixtures.trusted, window: result.window - 1)) {
            XCTAssertEqual($0 as? LoaderError, .windowTooSmall(needed: result.window, given: result.window - 1))
        }
        // The patched weights changed, in a model of the base's length.
        let model = try TFLiteModel(bytes: base)
        let fc1 = model.subgraphs[0].tensors[7]
        XCTAssertEqual(result.target.count, base.count, "one-way: the model does not grow")
        XCTAssertEqual(result.plan.backupBytes, 0)
        XCTAssertNotEqual(Array(result.target[fc1.dataRange!]), Array(base[fc1.dataRange!]))

        // Without a map the unique shapes give the same tensors, and the report says so.
        let unmapped = try LoRABundler.build(base: base, adapter: adapter, map: nil, key: Fixtures.ed25519Key)
        XCTAssertEqual(unmapped.target, result.target)
        XCTAssertTrue(unmapped.plan.modules[0].matchedBy.hasPrefix("unique shape [48, 512]: tensor 7"), unmapped.plan.modules[0].matchedBy)

        // inspect names the record kinds and opcodes.
        let description = try BundleDescription(ParsedBundle(bytes: bundle))
        let kinds = description.sections.map(\.kind)
        XCTAssertEqual(kinds, ["scales", "payload", "factors"])
        XCTAssertTrue(description.oneWay)
        let payload = try XCTUnwrap(description.sections.first { $0.kind == "payload" })
        XCTAssertEqual(payload.operations?["loraWeights"], 8)   // fc1 over 7 segments, logits
        XCTAssertEqual(payload.operations?["loraBias"], 2)
    }

    /// `keepBaseRows` (`build --reversible`): the base bytes of rescaled rows
    /// stay behind the model and the bundle unapplies by itself.
    func testReversibleBundleKeepsBaseRowsAndUnapplies() throws {
        let (base, adapter, map) = try corpus()
        var options = BundleOptions()
        options.keepBaseRows = true
        let result = try LoRABundler.build(base: base, adapter: adapter, map: map, key: Fixtures.ed25519Key, options: options)
        XCTAssertNil(result.restore)
        XCTAssertEqual(try ParsedBundle(bytes: result.bundle).header.flags & StreamHeader.oneWayFlag, 0)
        XCTAssertEqual(result.target.count, base.count + result.plan.backupBytes)
        XCTAssertEqual(result.plan.backupBytes, 24_300)
        for chunk in [1, 64, 4096] {
            let applied = try HostLoader.apply(bundle: result.bundle, base: base, keys: Fixtures.trusted, piece: chunk)
            XCTAssertEqual(applied.model, result.target, "chunk \(chunk)")
            let restored = try HostLoader.unapply(bundle: result.bundle, target: applied.model, keys: Fixtures.trusted, piece: chunk)
            XCTAssertEqual(restored.model, base, "unapply must give the base back byte for byte (chunk \(chunk))")
        }
        let kinds = try BundleDescription(ParsedBundle(bytes: result.bundle)).sections.map(\.kind)
        XCTAssertEqual(kinds, ["layout", "scales", "payload", "undo", "factors"])
    }

    func testQuantizedChangeIsCloseToTheFloatChange() throws {
        let (base, adapter, map) = try corpus()
        let targets = try LoRATargetResolver.resolve(adapter.modules, in: try TFLiteModel(bytes: base), map: map)
        let refit = LoRAQuantizer.deltaError(targets, refit: true), plain = LoRAQuantizer.deltaError(targets, refit: false)
        print("digits/lora-adapter: Δ error in int8 steps over \(refit.count) weights: RMS \(refit.rms) (max \(refit.max)) with B refitted, "
            + "RMS \(plain.rms) (max \(plain.max)) without")
        XCTAssertLessThan(refit.rms, 0.65)
        XCTAssertLessThanOrEqual(refit.rms, plain.rms)
    }

    func testOverBudgetSaysByHowMuchAndWhichRankFits() throws {
        let (base, adapter, map) = try corpus()
        var options = BundleOptions()
        options.maxBytes = 2_500
        XCTAssertThrowsError(try LoRABundler.build(base: base, adapter: adapter, map: map, key: Fixtures.ed25519Key, options: options)) {
            let text = "\($0)"
            guard case .overBudget(let size, let budget, let rank, let fits)? = $0 as? LoRABuildError else { return XCTFail(text) }
            XCTAssertEqual(budget, 2_500)
            XCTAssertEqual(rank, 4)
            XCTAssertTrue(text.contains("\(size - 2_500) over the 2500-byte budget"), text)
            let found = try? XCTUnwrap(fits)
            XCTAssertNotNil(found, text)
            if let found {
                XCTAssertLessThan(found.rank, 4)
                XCTAssertLessThanOrEqual(found.size, 2_500)
                XCTAssertTrue(text.contains("--rank \(found.rank)"), text)
                // And that rank does build within the budget.
                let built = try? LoRABundler.build(base: base, adapter: adapter, map: map, key: Fixtures.ed25519Key,
                                                   options: options, rank: found.rank)
                XCTAssertEqual(built?.bundle.count, found.size)
            }
        }
    }

    func testRankTruncationKeepsTheProduct() {
        // B·A of rank 2 written with rank 3: truncating to 2 loses nothing.
        let a: [Double] = [1, 2, 3, 4, 0, 1, 0, 1, 1, 3, 0, 2].enumerated().map { $0.element + Double($0.offset % 3) * 0.1 }
        var b: [Double] = [1, 0, 1, 0, 2, 2, 3, 1, 4, -1, 0, -1, 2, 2, 4]
        for o in 0 ..< 5 { b[o * 3 + 2] = b[o * 3] + b[o * 3 + 1] }        // column 3 = column 1 + column 2
        var a3 = a
        for i in 0 ..< 4 { a3[8 + i] = 0 }                                  // A row 3 = 0
        let module = LoRAModule(name: "m", rank: 3, inFeatures: 4, outFeatures: 5, scaling: 1.5, a: a3, b: b)
        let reduced = RankReduction.truncate(module, to: 2)
        XCTAssertEqual(reduced.rank, 2)
        for o in 0 ..< 5 { for i in 0 ..< 4 {
            let full = (0 ..< 3).reduce(0.0) { $0 + b[o * 3 + $1] * a3[$1 * 4 + i] }
            let low = (0 ..< 2).reduce(0.0) { $0 + reduced.b[o * 2 + $1] * reduced.a[$1 * 4 + i] }
            XCTAssertEqual(full, low, accuracy: 1e-9)
        } }
    }

    func testAmbiguousShapeIsRefusedAndMapIsChecked() throws {
        let tensor = { (i: Int, name: String) in
            TFLiteTensor(index: i, name: name, type: .int8, shape: [2, 3], bufferIndex: i + 1, dataRange: 100 * i + 100 ..< 100 * i + 106,
                         quantization: TFLiteQuantization(scales: [0.1, 0.2], zeroPoints: [0, 0], quantizedDimension: 0,
                                                          scaleRange: 10 ..< 18))
        }
        let model = TFLiteModel(operatorCodes: [9], subgraphs: [TFLiteSubgraph(tensors: [tensor(0, "w0"), tensor(1, "w1")],
                                                                               operators: [], inputs: [], outputs: [])],
                                buffers: [], fileLength: 400)
        let module = LoRAModule(name: "fc", rank: 1, inFeatures: 3, outFeatures: 2, scaling: 1, a: [1, 2, 3], b: [1, 1])
        XCTAssertThrowsError(try LoRATargetResolver.resolve([module], in: model, map: nil)) {
            XCTAssertEqual("\($0)", "tensor map: module fc: shape [2, 3] is ambiguous (tensors 0 'w0', 1 'w1'); give --map tensor_map.json")
        }
        let chosen = try LoRATargetResolver.resolve([module], in: model, map: Data(#"{"base_model.model.fc": {"index": 1}}"#.utf8))
        XCTAssertEqual(chosen[0].weight.name, "w1")
        XCTAssertThrowsError(try LoRATargetResolver.resolve([module], in: model, map: Data(#"{"fc": {"index": 1, "shape": [3, 2]}}"#.utf8))) {
            XCTAssertTrue("\($0)".contains("map says shape [3, 2]"), "\($0)")
        }
        XCTAssertThrowsError(try LoRATargetResolver.resolve([module], in: model, map: Data(#"{"fc": {"index": 1, "layout": "in_out"}}"#.utf8)))
        XCTAssertThrowsError(try LoRATargetResolver.resolve([module], in: model, map: Data(#"{"other": {"index": 1}}"#.utf8))) {
            XCTAssertTrue("\($0)".contains("no entry for module fc"), "\($0)")
        }
    }

    func testMalformedLoRAOperationsAreRefusedBeforeAnyWrite() throws {
        let (base, adapter, map) = try corpus()
        let good = try LoRABundler.build(base: base, adapter: adapter, map: map, key: Fixtures.ed25519Key)
        let parsed = try ParsedBundle(bytes: good.bundle)
        let goodFactors = try parsed.joined(.factors)
        func sections(payloadOp: [UInt8]?, factors: Bool = true, scalesOp: [UInt8]? = nil) -> [BundleWriter.Record] {
            var list: [BundleWriter.Record] = []
            if factors {
                list.append(BundleWriter.Record(kind: .factors, codec: .stored, segment: 0, stored: goodFactors,
                                                decodedLength: goodFactors.count))
            }
            // One record in segment 1 (offsets 4096 ..< 8192).
            func record(_ kind: SectionKind, _ op: [UInt8]) -> BundleWriter.Record {
                BundleWriter.Record(kind: kind, codec: .stored, segment: 1, stored: op, decodedLength: op.count)
            }
            if let scalesOp { list.append(record(.scales, scalesOp)) }
            if let payloadOp { list.append(record(.payload, payloadOp)) }
            return list
        }
        func refusal(_ list: [BundleWriter.Record]) -> LoaderError? {
            let factorBytes = list.filter { $0.kind == .factors }.reduce(0) { $0 + $1.stored.count }
            var options = BundleOptions()
            options.blockSize = 8192
            let bundle = try! BundleWriter.assemble(list, base: base, target: good.target, factorBytes: factorBytes,
                                                    key: Fixtures.ed25519Key, options: options, stepBound: 16)
            do { _ = try HostLoader.apply(bundle: bundle, base: base, keys: Fixtures.trusted); return nil }
            catch { return error as? LoaderError }
        }
        func op(_ code: UInt8, _ fields: Int...) -> [UInt8] {
            var bytes = [code]
            for f in fields { LEB128.append(f, to: &bytes) }
            return bytes
        }
        func lora(_ p: LoRAProblem) -> LoaderError { .format(.malformedRecord(section: 5, offset: 0, .lora(p))) }
        // fc1 weights start at 5536; its block is at factors offset 0.
        XCTAssertEqual(refusal(sections(payloadOp: op(10, 5600, 100, 0), factors: false)), lora(.noFactorsSection))
        XCTAssertEqual(refusal(sections(payloadOp: op(10, 5600, 100, 9_999))), lora(.badBlock(block: 9_999)))
        XCTAssertEqual(refusal(sections(payloadOp: op(10, 5600, 100, 7))), .format(.malformedRecord(section: 7, offset: 0, .lora(.badBlock(block: 7)))))
        XCTAssertEqual(refusal(sections(payloadOp: op(10, 4200, 100, 0))), lora(.outsideTensor(offset: 4200, length: 100)))
        XCTAssertEqual(refusal(sections(payloadOp: op(11, 5600, 2, 0))), lora(.outsideTensor(offset: 5600, length: 2)))
        XCTAssertEqual(refusal(sections(payloadOp: op(10, 8100, 200, 0))),
                       .format(.malformedRecord(section: 5, offset: 6, .outsideSegment(segment: 1, offset: 8100, length: 200))))
        XCTAssertEqual(refusal(sections(payloadOp: nil, scalesOp: op(10, 5600, 100, 0))),
                       .format(.malformedRecord(section: 4, offset: 0, .unknownOpcode(10))))
        // loraScales: a count that is neither the block's rows nor 1, in payload, and a "scale" that is no positive float.
        func scales(_ p: LoRAProblem) -> LoaderError { .format(.malformedRecord(section: 4, offset: 0, .lora(p))) }
        XCTAssertEqual(refusal(sections(payloadOp: nil, scalesOp: op(12, 5600, 7, 0))), scales(.outsideTensor(offset: 5600, length: 7)))
        XCTAssertEqual(refusal(sections(payloadOp: op(12, 5600, 48, 0))),
                       .format(.malformedRecord(section: 5, offset: 0, .unknownOpcode(12))))
        let rowZero = try goodFactors.withUnsafeBytes { raw throws -> LoRARow in
            let h = try LoRABlockHeader(parsing: raw, block: 0)
            return try LoRARow(parsing: raw, at: h.rowsOffset + Int(h.rank), row: 0, header: h)
        }
        XCTAssertTrue(rowZero.rescaled, "fc1 row 0 is rescaled on digits/lora-adapter")
        // The first offset in segment 1 whose four bytes read as a negative float32 (its top byte ≥ 0x80).
        let negative = try XCTUnwrap((4096 ..< 8188).first { base[$0 + 3] >= 0x80 })
        XCTAssertEqual(refusal(sections(payloadOp: nil, scalesOp: op(12, negative, 1, 0))), scales(.badScale(offset: UInt32(negative))))
        // A corrupted block in a re-signed bundle: its m set to 0 while row 5 keeps a ratio
        // (every other row's R cleared, so row 5's record is the first one refused).
        var factors = goodFactors
        let header = try factors.withUnsafeBytes { try LoRABlockHeader(parsing: $0, block: 0) }
        factors[14] = 0
        for row in 0 ..< Int(header.rows) {
            factors[header.rowsOffset + row * header.rowRecordSize + Int(header.rank) + 2] = row == 5 ? 1 : 0
        }
        var list = sections(payloadOp: op(10, 5536, 4096 - 5536 % 4096 + 5536 - 5536, 0))
        list[0] = BundleWriter.Record(kind: .factors, codec: .stored, segment: 0, stored: factors, decodedLength: factors.count)
        list[1] = sections(payloadOp: op(10, 5536, 8192 - 5536, 0))[1]
        XCTAssertEqual(refusal(list), .format(.malformedRecord(section: 7, offset: 0, .lora(.badRow(row: 5)))))
    }

    func testPowerCutsDuringLoRAApplyAndUnapply() throws {
        let (base, adapter, map) = try corpus()
        // One-way (the default: apply only) and reversible (layout moves; apply and unapply).
        for (keepBaseRows, directions) in [(false, [false]), (true, [false, true])] {
        var options = BundleOptions()
        options.keepBaseRows = keepBaseRows
        let result = try LoRABundler.build(base: base, adapter: adapter, map: map, key: Fixtures.ed25519Key, options: options)
        let bundle = result.bundle, target = result.target
        let header = try ParsedBundle(bytes: bundle).header
        let layout = FlashLayout(pageSize: 1024, segmentSize: Int(header.segmentSize), capacity: Int(header.storeCapacityNeeded))
        for unapply in directions {
            let start = unapply ? target : base, goal = unapply ? base : target
            let clean = layout.makeFlash()
            clean.load(start)
            XCTAssertEqual(try Self.flashRun(bundle, layout, clean, start.count, unapply: unapply, cut: nil).get().modelSHA256, sha256(goal))
            let total = clean.operations
            var ends = [0, 0]
            for cut in stride(from: 0, to: total, by: 3) {
                let flash = layout.makeFlash()
                flash.load(start)
                _ = Self.flashRun(bundle, layout, flash, start.count, unapply: unapply, cut: cut)
                flash.powerOn()
                let resumed = Self.flashRun(bundle, layout, flash, 0, unapply: unapply, cut: nil, resume: true)
                guard case .success(let outcome) = resumed else { return XCTFail("cut \(cut): \(resumed)") }
                let model = Array(flash.memory[0 ..< outcome.modelLength])
                XCTAssertEqual(model, outcome.state == .base ? base : target, "cut \(cut)")
                ends[outcome.state == .base ? 0 : 1] += 1
            }
            print("LoRA power cuts (\(keepBaseRows ? "reversible" : "one-way") \(unapply ? "unapply" : "apply")): \(total) flash operations, every third cut: \(ends[0]) ended at base, \(ends[1]) at target")
        }
        }
    }

    static func flashRun(_ bundle: [UInt8], _ layout: FlashLayout, _ flash: SimulatedFlash, _ length: Int, unapply: Bool,
                         cut: Int?, resume: Bool = false) -> Result<LoaderOutcome, LoaderError> {
        var unit = [UInt8](repeating: 0, count: layout.unitSize)
        var window = [UInt8](repeating: 0, count: HostLoader.declaredWindow(bundle))
        flash.cutAt = cut
        return unit.withUnsafeMutableBytes { buffer in
            window.withUnsafeMutableBytes { win in
                var loader = StreamLoader(resume ? .resume : unapply ? .unapply : .apply,
                                          store: layout.store(on: flash, unitBuffer: buffer, length: length),
                                          verifier: Fixtures.trusted, window: win)
                do throws(LoaderError) {
                    try HostLoader.feed(bundle, to: &loader, piece: 64)
                    return .success(try loader.finish())
                } catch { return .failure(error) }
            }
        }
    }

    /// Issue 3: the device modules do no floating-point arithmetic. Every
    /// source of AdapterFormat and AdapterLoader is read with comments and
    /// string literals removed; a floating-point type or literal fails.
    func testDeviceCodeHasNoFloatingPoint() throws {
        let forbidden = try NSRegularExpression(pattern:
            #"\b(Float|Double|Float16|Float32|Float64|Float80|CGFloat|CDouble|CFloat|BinaryFloatingPoint|FloatingPoint)\b"#
            + #"|\b[0-9][0-9_]*\.[0-9]|\b[0-9][0-9_]*[eE][-+]?[0-9]|\b0x[0-9A-Fa-f_]+(\.[0-9A-Fa-f_]+)?[pP]"#)
        var checked = 0
        for module in ["AdapterFormat", "AdapterLoader"] {
            let dir = RepoPaths.root.appendingPathComponent("Sources/\(module)")
            let files = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)!
                .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
            for file in files {
                let code = Self.strippingCommentsAndStrings(try String(contentsOf: file, encoding: .utf8))
                for (n, line) in code.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let text = String(line)
                    if forbidden.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil {
                        XCTFail("\(file.lastPathComponent):\(n + 1): floating point in device code: \(text)")
                    }
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 20)
    }

    /// Blanks `//` and `/* */` comments and string literals, keeping line breaks.
    static func strippingCommentsAndStrings(_ source: String) -> String {
        var out = ""
        let chars = Array(source)
        var i = 0, blockDepth = 0, inString = false, inLine = false
        while i < chars.count {
            let c = chars[i], next = i + 1 < chars.count ? chars[i + 1] : " "
            if c == "\n" { inLine = false; out.append("\n"); i += 1; continue }
            if inLine { i += 1; continue }
            if blockDepth > 0 {
                if c == "*" && next == "/" { blockDepth -= 1; i += 2 } else if c == "/" && next == "*" { blockDepth += 1; i += 2 } else { i += 1 }
                continue
            }
            if inString {
                if c == "\\" { i += 2; continue }
                if c == "\"" { inString = false }
                i += 1
                continue
            }
            if c == "/" && next == "/" { inLine = true; i += 2; continue }
            if c == "/" && next == "*" { blockDepth = 1; i += 2; continue }
            if c == "\"" { inString = true; out.append("\"\""); i += 1; continue }
            out.append(c)
            i += 1
        }
        return out
    }
}
