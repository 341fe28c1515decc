import Foundation
import XCTest
@testable import AdapterPack
import TestSupport

final class TFLiteModelTests: XCTestCase {
    static let fixtureNames = [
        "hello_world_int8", "micro_speech_quantized", "keyword_scrambled_8bit", "trained_lstm_int8",
        "base", "full-ft", "head-ft", "lora",
    ]

    func fixture(_ name: String) throws -> [UInt8] {
        try RepoPaths.bytes(RepoPaths.model(name))
    }

    func model(_ name: String) throws -> TFLiteModel {
        try TFLiteModel(bytes: fixture(name))
    }

    // MARK: Known values

    func testDigitsBaseWeightTensors() throws {
        let m = try model("base")
        XCTAssertEqual(m.version, 3)
        XCTAssertEqual(m.subgraphs.count, 1)
        XCTAssertEqual(m.fileLength, 37128)
        let tensors = m.subgraphs[0].tensors

        // Values from /work/shared/corpus/digits/lora-adapter/tensor_map.json.
        let fc1 = tensors[7]
        XCTAssertEqual(fc1.index, 7)
        XCTAssertEqual(fc1.name, "digits_cnn_1/fc1_1/MatMul")
        XCTAssertEqual(fc1.type, .int8)
        XCTAssertEqual(fc1.shape, [48, 512])
        XCTAssertEqual(fc1.bufferIndex, 8)
        XCTAssertEqual(fc1.dataRange, 5536..<30112)
        XCTAssertTrue(fc1.isConstant)
        XCTAssertEqual(fc1.elementSize, 1)
        let q = try XCTUnwrap(fc1.quantization)
        XCTAssertEqual(q.scales.count, 48)
        XCTAssertEqual(q.zeroPoints, [Int64](repeating: 0, count: 48))
        XCTAssertEqual(q.quantizedDimension, 0)
        XCTAssertTrue(q.isPerChannel)
        XCTAssertEqual(q.scaleRange?.count, 48 * 4)
        XCTAssertEqual(q.zeroPointRange?.count, 48 * 8)

        let logits = tensors[5]
        XCTAssertEqual(logits.name, "digits_cnn_1/logits_1/MatMul")
        XCTAssertEqual(logits.type, .int8)
        XCTAssertEqual(logits.shape, [10, 48])
        XCTAssertEqual(logits.bufferIndex, 6)
        XCTAssertEqual(logits.dataRange, 30328..<(30328 + 480))
        XCTAssertEqual(logits.quantization?.scales.count, 10)

        // Biases named in the tensor map.
        XCTAssertEqual(tensors[6].name, "digits_cnn_1/fc1_1/Relu;digits_cnn_1/fc1_1/BiasAdd")
        XCTAssertEqual(tensors[6].type, .int32)
        XCTAssertEqual(tensors[6].shape, [48])
        XCTAssertEqual(tensors[4].name, "digits_cnn_1/logits_1/BiasAdd")

        // Activations have no data.
        XCTAssertNil(tensors[0].dataRange)
        XCTAssertFalse(tensors[0].isConstant)
        XCTAssertEqual(m.subgraphs[0].inputs, [0])
        XCTAssertEqual(m.subgraphs[0].outputs, [20])
        XCTAssertEqual(m.subgraphs[0].name, "main")
    }

    func testHelloWorldStructure() throws {
        let m = try model("hello_world_int8")
        XCTAssertEqual(m.fileLength, 2704)
        XCTAssertEqual(m.operatorCodes, [9])   // FULLY_CONNECTED
        let sg = m.subgraphs[0]
        XCTAssertEqual(sg.tensors.count, 10)
        XCTAssertEqual(sg.operators.count, 3)
        for op in sg.operators {
            XCTAssertEqual(m.builtinCode(of: op), 9)
            XCTAssertEqual(op.inputs.count, 3)
            XCTAssertEqual(op.outputs.count, 1)
        }
        XCTAssertEqual(sg.operators[0].inputs, [0, 6, 5])
        XCTAssertEqual(sg.operators[0].outputs, [7])
        // Old converter: per-tensor scales.
        for t in sg.tensors { XCTAssertEqual(t.quantization?.scales.count, 1, "tensor \(t.index)") }
    }

    // MARK: Every fixture

    func testEveryFixtureParsesConsistently() throws {
        for name in Self.fixtureNames {
            let bytes = try fixture(name)
            let m = try TFLiteModel(bytes: bytes)
            XCTAssertFalse(m.subgraphs.isEmpty, name)
            XCTAssertEqual(m.fileLength, bytes.count)
            var checkedData = 0

            // Buffers lie inside the file and never overlap.
            let ranges = m.buffers.compactMap(\.dataRange).sorted { $0.lowerBound < $1.lowerBound }
            for r in ranges { XCTAssertTrue(r.lowerBound >= 0 && r.upperBound <= bytes.count, name) }
            for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertLessThanOrEqual(a.upperBound, b.lowerBound, name) }
            XCTAssertNil(m.buffers.first?.dataRange, "\(name): buffer 0 is the empty sentinel")

            for (s, sg) in m.subgraphs.enumerated() {
                for (i, t) in sg.tensors.enumerated() {
                    let label = "\(name) subgraph \(s) tensor \(i) \(t.name)"
                    XCTAssertEqual(t.index, i)
                    XCTAssertEqual(t.dataRange, m.buffers.indices.contains(t.bufferIndex) ? m.buffers[t.bufferIndex].dataRange : nil, label)
                    if let range = t.dataRange, let size = t.elementSize, !t.isSparse {
                        let count = t.shape.reduce(1) { $0 * Int($1) }
                        XCTAssertEqual(range.count, count * size, label)
                        checkedData += 1
                    }
                    if let q = t.quantization {
                        if let r = q.scaleRange {
                            XCTAssertEqual(r.count, q.scales.count * 4, label)
                            XCTAssertEqual(floats(bytes, r).map(\.bitPattern), q.scales.map(\.bitPattern), label)
                        } else {
                            XCTAssertTrue(q.scales.isEmpty, label)
                        }
                        if let r = q.zeroPointRange {
                            XCTAssertEqual(r.count, q.zeroPoints.count * 8, label)
                            XCTAssertEqual(int64s(bytes, r), q.zeroPoints, label)
                        }
                        if let r = q.minRange { XCTAssertEqual(floats(bytes, r).map(\.bitPattern), q.min.map(\.bitPattern), label) }
                        if let r = q.maxRange { XCTAssertEqual(floats(bytes, r).map(\.bitPattern), q.max.map(\.bitPattern), label) }
                        if t.isConstant && q.scales.count > 1 {
                            let d = q.quantizedDimension
                            XCTAssertTrue(Int(t.shape[d]) == q.scales.count || t.elementCount == q.scales.count, label)
                        }
                    }
                }
                for op in sg.operators {
                    XCTAssertNotNil(m.builtinCode(of: op))
                    for i in op.inputs + op.outputs { XCTAssertTrue(i == -1 || sg.tensors.indices.contains(i)) }
                }
            }
            XCTAssertGreaterThan(checkedData, 0, name)
        }
    }

    func testDigitsVariantsShareLayout() throws {
        let base = try model("base")
        for name in ["full-ft", "head-ft", "lora"] {
            let other = try model(name)
            XCTAssertEqual(other.fileLength, base.fileLength, name)
            XCTAssertEqual(other.buffers, base.buffers, name)
            XCTAssertEqual(other.subgraphs[0].tensors.map(\.dataRange), base.subgraphs[0].tensors.map(\.dataRange), name)
            XCTAssertEqual(other.subgraphs[0].tensors.map(\.name), base.subgraphs[0].tensors.map(\.name), name)
        }
    }

    /// Optional: the fifth TFLM model, which is kept only in the shared corpus.
    func testPersonDetectIfPresent() throws {
        let path = "/work/shared/corpus/tflm/person_detect.tflite"
        guard let data = FileManager.default.contents(atPath: path) else { throw XCTSkip("\(path) not present") }
        let m = try TFLiteModel(bytes: [UInt8](data))
        let weights = m.subgraphs[0].tensors.filter { $0.isConstant && $0.type == .int8 }
        XCTAssertFalse(weights.isEmpty)
        XCTAssertTrue(weights.contains { $0.quantization?.quantizedDimension == 3 && $0.quantization!.isPerChannel })
    }

    // MARK: Matching

    func testMatchBaseFullFineTunePairsEveryTensor() throws {
        let base = try model("base")
        for name in ["full-ft", "head-ft", "lora"] {
            let target = try model(name)
            let pairs = TensorMatcher.match(base: base, target: target)
            XCTAssertEqual(pairs.count, base.subgraphs[0].tensors.count, name)
            for p in pairs {
                XCTAssertEqual(p.subgraph, 0)
                XCTAssertEqual(p.baseIndex, p.targetIndex)
                XCTAssertEqual(p.method, .position)
                XCTAssertEqual(p.base.shape, p.target.shape)
                XCTAssertEqual(p.base.type, p.target.type)
                XCTAssertEqual(p.base.name, p.target.name)
            }
        }
    }

    func testMatchFullFineTuneWeightsActuallyDiffer() throws {
        let baseBytes = try fixture("base"), ftBytes = try fixture("full-ft")
        let pairs = TensorMatcher.match(base: try TFLiteModel(bytes: baseBytes), target: try TFLiteModel(bytes: ftBytes))
        let changed = pairs.filter { p in
            guard let a = p.base.dataRange, let b = p.target.dataRange else { return false }
            return baseBytes[a] != ftBytes[b]
        }
        XCTAssertTrue(changed.contains { $0.baseIndex == 7 }, "fc1 weights change in full-ft")
        XCTAssertTrue(changed.contains { $0.baseIndex == 5 }, "logits weights change in full-ft")
    }

    /// Every byte that differs between base and a variant lies in a tensor's data, scale or
    /// zero-point range: the reader's ranges cover everything fine-tuning changes.
    func testDigitsVariantDifferencesAreCoveredByTensorRanges() throws {
        let baseBytes = try fixture("base")
        let base = try TFLiteModel(bytes: baseBytes)
        var covered = [Bool](repeating: false, count: baseBytes.count)
        for t in base.subgraphs[0].tensors {
            for r in [t.dataRange, t.quantization?.scaleRange, t.quantization?.zeroPointRange] {
                if let r { for i in r { covered[i] = true } }
            }
        }
        for name in ["full-ft", "head-ft", "lora"] {
            let bytes = try fixture(name)
            XCTAssertEqual(bytes.count, baseBytes.count)
            let uncovered = (0..<bytes.count).filter { bytes[$0] != baseBytes[$0] && !covered[$0] }
            XCTAssertEqual(uncovered, [], name)
        }
    }

    func testMatchUnrelatedModelsOnlyPairsCompatibleTensors() throws {
        let a = try model("hello_world_int8"), b = try model("base")
        for p in TensorMatcher.match(base: a, target: b) {
            XCTAssertEqual(p.base.type, p.target.type)
            XCTAssertEqual(p.base.shape, p.target.shape)
        }
        let self_ = TensorMatcher.match(base: a, target: a)
        XCTAssertEqual(self_.count, a.subgraphs[0].tensors.count)
    }

    /// Re-exported models rename tensors: equal counts pair by position, not by name.
    func testMatchIgnoresNames() {
        let base = Synthetic.model(prefix: "sequential_1", extraLeadingTensor: false)
        let target = Synthetic.model(prefix: "sequential_2", extraLeadingTensor: false)
        let pairs = TensorMatcher.match(base: base, target: target)
        XCTAssertEqual(pairs.count, 5)
        XCTAssertTrue(pairs.allSatisfy { $0.method == .position && $0.baseIndex == $0.targetIndex })
        XCTAssertTrue(pairs.allSatisfy { $0.base.name != $0.target.name })
    }

    /// When the target has an extra tensor and operator, tensors pair by aligned operator slots,
    /// and an orphan constant by its unique (type, shape).
    func testMatchFallsBackToOperatorSlotsAndUniqueShape() {
        let base = Synthetic.model(prefix: "a", extraLeadingTensor: false)
        let target = Synthetic.model(prefix: "b", extraLeadingTensor: true)
        let pairs = TensorMatcher.match(base: base, target: target)
        let map = Dictionary(uniqueKeysWithValues: pairs.map { ($0.baseIndex, $0.targetIndex) })
        XCTAssertEqual(map, [0: 1, 1: 2, 2: 3, 3: 4, 4: 5])
        XCTAssertEqual(pairs.first { $0.baseIndex == 1 }?.method, .operatorSlot)
        XCTAssertEqual(pairs.first { $0.baseIndex == 4 }?.method, .uniqueShape)
    }

    func testOperatorAlignmentSkipsInsertedOperators() {
        func op(_ code: Int) -> TFLiteOperator { TFLiteOperator(opcodeIndex: code, inputs: [], outputs: []) }
        let codes: [Int32] = [0, 1, 2, 3]
        let a = [op(1), op(2), op(3), op(2)]
        let b = [op(1), op(0), op(2), op(3), op(2)]
        let aligned = TensorMatcher.alignOperators(a, codes, b, codes)
        XCTAssertEqual(aligned.map { [$0.0, $0.1] }, [[0, 0], [1, 2], [2, 3], [3, 4]])
    }

    // MARK: Errors

    func testWrongIdentifier() throws {
        var bytes = try fixture("hello_world_int8")
        bytes.replaceSubrange(4..<8, with: Array("TFL2".utf8))
        XCTAssertThrowsError(try TFLiteModel(bytes: bytes)) { error in
            XCTAssertEqual(error as? TFLiteError, .missingIdentifier(found: Array("TFL2".utf8)))
            XCTAssertTrue("\(error)".contains("TFL3"))
        }
    }

    func testTooShortFiles() {
        XCTAssertThrowsError(try TFLiteModel(bytes: [])) { error in
            XCTAssertEqual(error as? TFLiteError, .truncated(offset: 0, needed: 8, fileLength: 0))
        }
        // Identifier present but the root offset points past the end.
        let bytes: [UInt8] = [0xF0, 0, 0, 0] + Array("TFL3".utf8)
        XCTAssertThrowsError(try TFLiteModel(bytes: bytes)) { error in
            XCTAssertEqual(error as? TFLiteError, .badRootOffset(offset: 0xF0, fileLength: 8))
        }
    }

    func testBadBufferIndexNamesTensorAndBufferCount() throws {
        var bytes = try fixture("base")
        let at = try fieldPosition(bytes, subgraph: 0, tensor: 7, field: 2)   // Tensor.buffer
        write(UInt32(99), into: &bytes, at: at)
        XCTAssertThrowsError(try TFLiteModel(bytes: bytes)) { error in
            XCTAssertEqual(error as? TFLiteError, .badBufferIndex(subgraph: 0, tensor: 7, buffer: 99, bufferCount: 24))
            XCTAssertEqual("\(error)", "tensor 7: buffer index 99 out of range (model has 24 buffers)")
        }
    }

    func testShapeThatDisagreesWithDataIsRejected() throws {
        var bytes = try fixture("base")
        // Tensor.shape is field 0; its vector's first element is the 48 of [48, 512].
        var r = FlatBufferReader(bytes: bytes)
        let shapeVector = try XCTUnwrap(r.vector(try tensorTable(&r, subgraph: 0, tensor: 7), 0, elementSize: 4, field: ""))
        write(UInt32(47), into: &bytes, at: shapeVector.start)
        XCTAssertThrowsError(try TFLiteModel(bytes: bytes)) { error in
            XCTAssertEqual(error as? TFLiteError,
                           .dataShapeMismatch(subgraph: 0, tensor: 7, expectedBytes: 47 * 512, actualBytes: 48 * 512))
        }
    }

    func testBadOperatorTensorIndex() throws {
        var bytes = try fixture("hello_world_int8")
        var r = FlatBufferReader(bytes: bytes)
        let sg = try subgraphTable(&r, 0)
        let ops = try XCTUnwrap(r.vector(sg, 3, elementSize: 4, field: ""))
        let op = try r.table(in: ops, 1, field: "")
        let inputs = try XCTUnwrap(r.vector(op, 1, elementSize: 4, field: ""))
        write(UInt32(1000), into: &bytes, at: inputs.position(2))
        XCTAssertThrowsError(try TFLiteModel(bytes: bytes)) { error in
            XCTAssertEqual(error as? TFLiteError,
                           .badTensorIndex(field: "subgraphs[0].operators[1].inputs[2]", index: 1000, tensorCount: 10))
        }
    }

    func testErrorDescriptions() {
        XCTAssertEqual(TFLiteError.badBufferIndex(subgraph: 0, tensor: 7, buffer: 99, bufferCount: 12).description,
                       "tensor 7: buffer index 99 out of range (model has 12 buffers)")
        XCTAssertEqual(TFLiteError.badBufferIndex(subgraph: 2, tensor: 7, buffer: 99, bufferCount: 12).description,
                       "subgraph 2, tensor 7: buffer index 99 out of range (model has 12 buffers)")
        XCTAssertEqual(TFLiteError.truncated(offset: 100, needed: 4, fileLength: 102).description,
                       "truncated: 4 bytes needed at offset 100, file has 102 bytes")
        XCTAssertEqual(TFLiteError.missingIdentifier(found: [0x54, 0x46, 0x4C, 0x00]).description,
                       "not a TFLite model: file identifier at offset 4 is \"TFL.\" (54 46 4c 00), expected \"TFL3\"")
    }

    // MARK: Hostile input

    func testEveryTruncationParsesOrThrows() throws {
        let bytes = try fixture("hello_world_int8")
        XCTAssertEqual(bytes.count, 2704)
        var parsed = 0, thrown = 0
        for n in 0..<bytes.count {
            do {
                _ = try TFLiteModel(bytes: Array(bytes[0..<n]))
                parsed += 1
            } catch {
                thrown += 1
            }
        }
        XCTAssertEqual(parsed + thrown, bytes.count)
        // Metadata and buffers reach the end of the file, so no strict prefix is a valid model.
        XCTAssertEqual(parsed, 0)
        XCTAssertNoThrow(try TFLiteModel(bytes: bytes))
    }

    func testRandomSingleByteCorruptionsParseOrThrow() throws {
        let bytes = try fixture("hello_world_int8")
        var rng = TestRNG(seed: 0xADA9_7E12)
        var parsed = 0, thrown = 0
        for _ in 0..<2000 {
            var b = bytes
            let at = Int(rng.next() % UInt64(b.count))
            var value = UInt8(truncatingIfNeeded: rng.next())
            if value == b[at] { value &+= 1 }
            b[at] = value
            do {
                _ = try TFLiteModel(bytes: b)
                parsed += 1
            } catch {
                thrown += 1
            }
        }
        XCTAssertEqual(parsed + thrown, 2000)
        XCTAssertGreaterThan(thrown, 0)   // many bytes are weights, so many corruptions still parse
    }

    func testCraftedHostileOffsets() {
        // Root table whose soffset is 0: the vtable is the table itself, vtable size 0.
        var w = FBWriter()
        w.header()
        let t = w.bytes.count
        w.i32(0)
        w.patchRoot(t)
        XCTAssertThrowsError(try TFLiteModel(bytes: w.bytes)) { error in
            XCTAssertEqual(error as? TFLiteError, .badVTable(field: "root", offset: t))
        }

        // A vtable far before the file start (huge positive soffset).
        w = FBWriter()
        w.header()
        let t2 = w.bytes.count
        w.i32(Int32.max)
        w.patchRoot(t2)
        XCTAssertThrowsError(try TFLiteModel(bytes: w.bytes)) { error in
            guard case .badVTable = error as? TFLiteError else { return XCTFail("\(error)") }
        }

        // A subgraph vector claiming 2^32-1 elements.
        w = FBWriter()
        w.header()
        let (model, fields) = w.table([(2, .offset)])
        w.patchRoot(model)
        let vector = w.bytes.count
        w.u32(0xFFFF_FFFF)
        w.link(fields[2]!, vector)
        XCTAssertThrowsError(try TFLiteModel(bytes: w.bytes)) { error in
            XCTAssertEqual(error as? TFLiteError, .vectorTooLong(field: "subgraphs", count: 0xFFFF_FFFF, offset: vector))
        }

        // An offset field of 0 (pointing at itself).
        w = FBWriter()
        w.header()
        let (model3, fields3) = w.table([(2, .offset)])
        w.patchRoot(model3)
        XCTAssertThrowsError(try TFLiteModel(bytes: w.bytes)) { error in
            XCTAssertEqual(error as? TFLiteError, .offsetOutOfBounds(field: "subgraphs", offset: fields3[2]!))
        }
    }

    /// Many tensor entries aliasing one tensor with a huge shape vector would decode
    /// N × M values from an N + M sized file; the decode budget refuses it.
    func testAliasingBombIsRefused() {
        let n = 20_000, m = 20_000
        var w = FBWriter()
        w.header()
        let (model, mf) = w.table([(2, .offset)])
        w.patchRoot(model)
        let subgraphs = w.offsetVector(1)
        w.link(mf[2]!, subgraphs.lengthPosition)
        let (sg, sf) = w.table([(0, .offset)])
        w.link(subgraphs.elements[0], sg)
        let tensors = w.offsetVector(n)
        w.link(sf[0]!, tensors.lengthPosition)
        let (tensor, tf) = w.table([(0, .offset)])
        for e in tensors.elements { w.link(e, tensor) }
        let shape = w.bytes.count
        w.u32(UInt32(m))
        for _ in 0..<m { w.i32(1) }
        w.link(tf[0]!, shape)

        let start = Date()
        XCTAssertThrowsError(try TFLiteModel(bytes: w.bytes)) { error in
            guard case .decodeBudgetExceeded = error as? TFLiteError else { return XCTFail("\(error)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    // MARK: Large-model buffers

    func testBufferOffsetAndSizeFields() throws {
        func build(offset: UInt64, size: UInt64) -> [UInt8] {
            var w = FBWriter()
            w.header()
            let (model, mf) = w.table([(0, .u32(3)), (2, .offset), (4, .offset)])
            w.patchRoot(model)
            // subgraphs: one subgraph with one tensor using buffer 1
            let subgraphs = w.offsetVector(1)
            w.link(mf[2]!, subgraphs.lengthPosition)
            let (sg, sf) = w.table([(0, .offset)])
            w.link(subgraphs.elements[0], sg)
            let tensors = w.offsetVector(1)
            w.link(sf[0]!, tensors.lengthPosition)
            let (tensor, tf) = w.table([(0, .offset), (1, .u8(9)), (2, .u32(1))])
            w.link(tensors.elements[0], tensor)
            let shape = w.bytes.count
            w.u32(2); w.i32(4); w.i32(4)
            w.link(tf[0]!, shape)
            // buffers: [empty, {offset, size}]
            let buffers = w.offsetVector(2)
            w.link(mf[4]!, buffers.lengthPosition)
            let (empty, _) = w.table([])
            w.link(buffers.elements[0], empty)
            let (large, _) = w.table([(1, .u64(offset)), (2, .u64(size))])
            w.link(buffers.elements[1], large)
            return w.bytes
        }
        let probe = build(offset: 0, size: 0)
        let dataAt = (probe.count + 15) / 16 * 16
        var bytes = build(offset: UInt64(dataAt), size: 16)
        bytes += [UInt8](repeating: 0, count: dataAt - bytes.count) + (0..<16).map { UInt8($0) }
        let m = try TFLiteModel(bytes: bytes)
        XCTAssertEqual(m.buffers.count, 2)
        XCTAssertTrue(m.buffers[1].usesOffsetField)
        XCTAssertEqual(m.buffers[1].dataRange, dataAt..<(dataAt + 16))
        XCTAssertEqual(m.subgraphs[0].tensors[0].dataRange, dataAt..<(dataAt + 16))
        XCTAssertEqual(m.subgraphs[0].tensors[0].type, .int8)

        // offset <= 1 means "not used".
        let unused = try TFLiteModel(bytes: build(offset: 1, size: 16))
        XCTAssertNil(unused.buffers[1].dataRange)

        // Past the end of the file, including values that overflow Int.
        for (offset, size) in [(UInt64(dataAt), UInt64(17)), (UInt64.max, UInt64(16)), (UInt64(dataAt), UInt64.max)] {
            var b = build(offset: offset, size: size)
            b += [UInt8](repeating: 0, count: max(0, dataAt + 16 - b.count))
            XCTAssertThrowsError(try TFLiteModel(bytes: b)) { error in
                XCTAssertEqual(error as? TFLiteError,
                               .bufferOutOfBounds(buffer: 1, offset: offset, size: size, fileLength: b.count))
            }
        }
    }

    func testTensorTypeRawValues() {
        XCTAssertEqual(TFLiteTensorType(rawValue: 9), .int8)
        XCTAssertEqual(TFLiteTensorType.int8.rawValue, 9)
        XCTAssertEqual(TFLiteTensorType(rawValue: 0), .float32)
        XCTAssertEqual(TFLiteTensorType(rawValue: 22), .float8E5M2)
        XCTAssertEqual(TFLiteTensorType(rawValue: 200), .other(200))
        XCTAssertEqual(TFLiteTensorType.other(9), .int8)
        XCTAssertEqual(TFLiteTensorType.other(9).hashValue, TFLiteTensorType.int8.hashValue)
        for raw in UInt8.min...UInt8.max { XCTAssertEqual(TFLiteTensorType(rawValue: raw).rawValue, raw) }
        XCTAssertEqual(TFLiteTensorType.int32.elementSize, 4)
        XCTAssertNil(TFLiteTensorType.int4.elementSize)
        XCTAssertEqual("\(TFLiteTensorType.int8)", "INT8")
    }

    // MARK: Cross-check with the Python `tflite` package, when installed

    func testCrossCheckWithPythonTFLite() throws {
        let probe = runPython("import tflite, flatbuffers")
        guard probe?.status == 0 else { throw XCTSkip("python3 with the tflite and flatbuffers packages is not available") }
        let script = """
        import sys, tflite
        buf = open(sys.argv[1], 'rb').read()
        m = tflite.Model.GetRootAsModel(buf, 0)
        for s in range(m.SubgraphsLength()):
            sg = m.Subgraphs(s)
            for i in range(sg.TensorsLength()):
                t = sg.Tensors(i)
                shape = ",".join(str(int(x)) for x in (t.ShapeAsNumpy() if t.ShapeLength() else []))
                b = m.Buffers(t.Buffer())
                o = b._tab.Offset(4)
                start = b._tab.Vector(o) if o and b.DataLength() else -1
                print(s, i, (t.Name() or b"").decode(), t.Type(), shape, t.Buffer(), start, b.DataLength() if o else 0)
        """
        for name in Self.fixtureNames {
            let url = RepoPaths.model(name)
            let out = try XCTUnwrap(runPython(script, args: [url.path]))
            XCTAssertEqual(out.status, 0, name)
            let m = try model(name)
            var expected: [String] = []
            for (s, sg) in m.subgraphs.enumerated() {
                for t in sg.tensors {
                    let shape = t.shape.map(String.init).joined(separator: ",")
                    let start = t.dataRange?.lowerBound ?? -1
                    expected.append("\(s) \(t.index) \(t.name) \(t.type.rawValue) \(shape) \(t.bufferIndex) \(start) \(t.dataRange?.count ?? 0)")
                }
            }
            XCTAssertEqual(out.stdout.split(separator: "\n").map(String.init), expected, name)
        }
    }

    // MARK: Helpers

    private func floats(_ bytes: [UInt8], _ r: Range<Int>) -> [Float] {
        stride(from: r.lowerBound, to: r.upperBound, by: 4).map { p in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[p + $1]) << (8 * $1) })
        }
    }

    private func int64s(_ bytes: [UInt8], _ r: Range<Int>) -> [Int64] {
        stride(from: r.lowerBound, to: r.upperBound, by: 8).map { p in
            Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[p + $1]) << (8 * UInt64($1)) })
        }
    }

    private func write(_ v: UInt32, into bytes: inout [UInt8], at p: Int) {
        for k in 0..<4 { bytes[p + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }

    private func subgraphTable(_ r: inout FlatBufferReader, _ s: Int) throws -> FlatBufferTable {
        let root = try r.rootTable()
        let subgraphs = try XCTUnwrap(r.vector(root, 2, elementSize: 4, field: ""))
        return try r.table(in: subgraphs, s, field: "")
    }

    private func tensorTable(_ r: inout FlatBufferReader, subgraph s: Int, tensor i: Int) throws -> FlatBufferTable {
        let sg = try subgraphTable(&r, s)
        let tensors = try XCTUnwrap(r.vector(sg, 0, elementSize: 4, field: ""))
        return try r.table(in: tensors, i, field: "")
    }

    private func fieldPosition(_ bytes: [UInt8], subgraph s: Int, tensor i: Int, field: Int) throws -> Int {
        var r = FlatBufferReader(bytes: bytes)
        let t = try tensorTable(&r, subgraph: s, tensor: i)
        return try XCTUnwrap(r.fieldPosition(t, field, size: 4, field: ""))
    }

    /// The venv of .ci/python-env.sh when it exists (it has `tflite`), else python3 on PATH.
    private func runPython(_ code: String, args: [String] = []) -> (status: Int32, stdout: String)? {
        let p = Process()
        let venv = RepoPaths.root.appendingPathComponent(".build-venv/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: venv) {
            p.executableURL = URL(fileURLWithPath: venv)
            p.arguments = ["-c", code] + args
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", code] + args
        }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A tiny forward flatbuffer writer for crafting test files: objects are appended in
/// order and offsets are patched afterwards (a referenced object must come later).
private struct FBWriter {
    enum Field { case offset, u8(UInt8), u32(UInt32), u64(UInt64) }

    var bytes: [UInt8] = []

    mutating func header() {
        u32(0)                                   // root offset, patched by patchRoot
        bytes += Array("TFL3".utf8)
    }

    mutating func u32(_ v: UInt32) { for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func u64(_ v: UInt64) { for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    mutating func u16(_ v: Int) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    mutating func align4() { while bytes.count % 4 != 0 { bytes.append(0) } }

    mutating func patch(_ at: Int, _ v: UInt32) { for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) } }
    mutating func patchRoot(_ table: Int) { patch(0, UInt32(table)) }
    /// Makes the u32 offset at `from` point at `to`.
    mutating func link(_ from: Int, _ to: Int) { patch(from, UInt32(to - from)) }

    /// Writes a vtable then its table; returns the table position and each field's position.
    mutating func table(_ fields: [(Int, Field)]) -> (Int, [Int: Int]) {
        func size(_ f: Field) -> Int {
            switch f { case .offset, .u32: 4; case .u8: 1; case .u64: 8 }
        }
        align4()
        let slots = (fields.map(\.0).max() ?? -1) + 1
        let vtable = bytes.count
        var inline = 4
        var offsets: [Int: Int] = [:]
        for (slot, f) in fields { offsets[slot] = inline; inline += size(f) }
        u16(4 + 2 * slots)
        u16(inline)
        for s in 0..<slots { u16(offsets[s] ?? 0) }
        align4()
        let table = bytes.count
        i32(Int32(table - vtable))
        var positions: [Int: Int] = [:]
        for (slot, f) in fields {
            positions[slot] = bytes.count
            switch f {
            case .offset: u32(0)
            case .u8(let v): bytes.append(v)
            case .u32(let v): u32(v)
            case .u64(let v): u64(v)
            }
        }
        align4()
        return (table, positions)
    }

    /// Writes a vector of `count` u32 offsets (to be linked); returns its positions.
    mutating func offsetVector(_ count: Int) -> (lengthPosition: Int, elements: [Int]) {
        align4()
        let at = bytes.count
        u32(UInt32(count))
        let elements = (0..<count).map { at + 4 + 4 * $0 }
        bytes += [UInt8](repeating: 0, count: 4 * count)
        return (at, elements)
    }
}

/// Small in-memory models for matcher tests (Tensor indices and operators only).
private enum Synthetic {
    /// input int8 [1,4] → FULLY_CONNECTED(w int8 [3,4], b int32 [3]) → output int8 [1,3],
    /// plus an unused constant int8 [7]. With `extraLeadingTensor`, a float input and a
    /// QUANTIZE operator come first, shifting every index by one.
    static func model(prefix: String, extraLeadingTensor: Bool) -> TFLiteModel {
        let fullyConnected: Int32 = 9, quantize: Int32 = 114
        var tensors: [TFLiteTensor] = []
        func add(_ name: String, _ type: TFLiteTensorType, _ shape: [Int32], constant: Bool) -> Int {
            let i = tensors.count
            let bytes = constant ? (TFLiteTensor.elementCount(of: shape)! * type.elementSize!) : 0
            tensors.append(TFLiteTensor(index: i, name: "\(prefix)/\(name)", type: type, shape: shape,
                                        bufferIndex: constant ? i + 1 : 0,
                                        dataRange: constant ? (1000 * (i + 1))..<(1000 * (i + 1) + bytes) : nil,
                                        quantization: nil))
            return i
        }
        var operators: [TFLiteOperator] = []
        let raw = extraLeadingTensor ? add("raw", .float32, [1, 4], constant: false) : nil
        let input = add("input", .int8, [1, 4], constant: false)
        let weights = add("dense/MatMul", .int8, [3, 4], constant: true)
        let bias = add("dense/BiasAdd", .int32, [3], constant: true)
        let output = add("dense/Relu", .int8, [1, 3], constant: false)
        _ = add("orphan", .int8, [7], constant: true)
        if let raw { operators.append(TFLiteOperator(opcodeIndex: 1, inputs: [raw], outputs: [input])) }
        operators.append(TFLiteOperator(opcodeIndex: 0, inputs: [input, weights, bias], outputs: [output]))
        let sg = TFLiteSubgraph(tensors: tensors, operators: operators, inputs: [raw ?? input], outputs: [output])
        let buffers = (0...tensors.count).map { TFLiteBuffer(index: $0, dataRange: nil) }
        return TFLiteModel(operatorCodes: [fullyConnected, quantize], subgraphs: [sg], buffers: buffers, fileLength: 10_000)
    }
}
