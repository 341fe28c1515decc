import XCTest
@testable import AdapterPack

/// PEFT LoRA on convolutions: the factor shapes PEFT writes for Conv2d and
/// Conv1d, A reordered into TFLite's OHWI kernel order, the CONV_2D kernel
/// they resolve to, and the refusals (layer types, ranks, tensors, shapes).
final class ConvLoRATests: XCTestCase {
    func testLayerTypeFromFactorShapes() throws {
        XCTAssertEqual(try PEFTAdapter.layer("fc", a: [4, 48], b: [10, 4]).kernel, [])
        let conv = try PEFTAdapter.layer("conv2", a: [4, 8, 3, 3], b: [16, 4, 1, 1])
        XCTAssertEqual(conv.channels, 8)
        XCTAssertEqual(conv.kernel, [3, 3])
        XCTAssertEqual(try PEFTAdapter.layer("c1d", a: [2, 6, 5], b: [12, 2, 1]).kernel, [1, 5], "Conv1d is a 1×k Conv2D in TFLite")
        func refusal(_ a: [Int], _ b: [Int]) -> String {
            do { _ = try PEFTAdapter.layer("m", a: a, b: b); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal([4, 8, 3, 3], [16, 4, 3, 3]).contains("lora_B of a Conv2d must be a 1×1 convolution"))
        XCTAssertTrue(refusal([4, 8, 3], [16, 4, 2]).contains("lora_B of a Conv1d must be a kernel-1 convolution"))
        XCTAssertTrue(refusal([4, 8, 3, 3, 3], [16, 4, 1, 1, 1]).contains("not the factors of a Linear, Conv1d or Conv2d layer"))
        XCTAssertTrue(refusal([4, 8, 3, 3], [16, 4]).contains("module m"))
    }

    func testKernelOrderIsOHWI() {
        // A: r = 1, 2 channels, 2×3 kernel, value = 100·c + 10·y + x (PyTorch's OIHW order).
        var a: [Double] = []
        for c in 0 ..< 2 { for y in 0 ..< 2 { for x in 0 ..< 3 { a.append(Double(100 * c + 10 * y + x)) } } }
        let ordered = PEFTAdapter.kernelOrder(a, rank: 1, channels: 2, kernel: [2, 3])
        var expected: [Double] = []
        for y in 0 ..< 2 { for x in 0 ..< 3 { for c in 0 ..< 2 { expected.append(Double(100 * c + 10 * y + x)) } } }
        XCTAssertEqual(ordered, expected, "column (y·kw + x)·channels + c of the OHWI kernel row")
        XCTAssertEqual(PEFTAdapter.kernelOrder(a, rank: 1, channels: 12, kernel: []), a, "Linear: unchanged")
    }

    func testAdapterFileWithConvFactors() throws {
        let config = try PEFTConfig(json: Data(#"{"r": 2, "lora_alpha": 4, "target_modules": ["conv"]}"#.utf8))
        func adapter(_ header: String, _ data: Int) throws -> PEFTAdapter {
            try PEFTAdapter(config: config, weights: try SafetensorsFile(bytes: SafetensorsTests.file(header, data: data)))
        }
        // lora_A 2×1×2×2 (16 bytes of F32 each value), lora_B 3×2×1×1.
        let header = #"{"base_model.model.conv.lora_A.weight":{"dtype":"F32","shape":[2,1,2,2],"data_offsets":[0,32]},"#
            + #""base_model.model.conv.lora_B.weight":{"dtype":"F32","shape":[3,2,1,1],"data_offsets":[32,56]}}"#
        let module = try XCTUnwrap(try adapter(header, 56).modules.first)
        XCTAssertEqual(module.kernel, [2, 2])
        XCTAssertEqual(module.inFeatures, 4)
        XCTAssertEqual(module.tfliteShape, [3, 2, 2, 1])
        XCTAssertEqual(module.layerKind, "Conv2d 2×2")
        // Rank above the format's limit.
        let big = try PEFTConfig(json: Data(#"{"r": 129, "target_modules": ["conv"]}"#.utf8))
        let bigHeader = #"{"base_model.model.conv.lora_A.weight":{"dtype":"F32","shape":[129,1,1,1],"data_offsets":[0,516]},"#
            + #""base_model.model.conv.lora_B.weight":{"dtype":"F32","shape":[1,129,1,1],"data_offsets":[516,1032]}}"#
        XCTAssertThrowsError(try PEFTAdapter(config: big, weights: try SafetensorsFile(bytes: SafetensorsTests.file(bigHeader, data: 0) + [UInt8](repeating: 0, count: 1032)))) {
            XCTAssertTrue("\($0)".contains("module conv: rank 129 is over the format's limit of 128"), "\($0)")
        }
    }

    /// A model with a CONV_2D (kernel 0, OHWI 4×3×3×2), a DEPTHWISE_CONV_2D
    /// (kernel 1, 1×3×3×4) and an int32 bias (tensor 2).
    func model() -> TFLiteModel {
        let q = { (n: Int) in TFLiteQuantization(scales: [Float](repeating: 0.01, count: n), zeroPoints: [Int64](repeating: 0, count: n),
                                                 quantizedDimension: n > 1 ? 3 : 0, scaleRange: 0 ..< 4 * n) }
        let conv = TFLiteTensor(index: 0, name: "conv/kernel", type: .int8, shape: [4, 3, 3, 2], bufferIndex: 1, dataRange: 100 ..< 172,
                                quantization: TFLiteQuantization(scales: [0.01, 0.02, 0.03, 0.04], zeroPoints: [0, 0, 0, 0],
                                                                 quantizedDimension: 0, scaleRange: 20 ..< 36))
        let depthwise = TFLiteTensor(index: 1, name: "dw/kernel", type: .int8, shape: [1, 3, 3, 4], bufferIndex: 2,
                                     dataRange: 200 ..< 236, quantization: q(4))
        let bias = TFLiteTensor(index: 2, name: "conv/bias", type: .int32, shape: [4], bufferIndex: 3, dataRange: 300 ..< 316,
                                quantization: nil)
        let graph = TFLiteSubgraph(tensors: [conv, depthwise, bias],
                                   operators: [TFLiteOperator(opcodeIndex: 0, inputs: [5, 0, 2], outputs: [6]),
                                               TFLiteOperator(opcodeIndex: 1, inputs: [6, 1, -1], outputs: [7])],
                                   inputs: [], outputs: [])
        return TFLiteModel(operatorCodes: [3, 4], subgraphs: [graph], buffers: [], fileLength: 400)
    }

    func convModule(name: String = "conv", out: Int = 4, channels: Int = 2, kernel: [Int] = [3, 3]) -> LoRAModule {
        let columns = channels * kernel.reduce(1, *)
        return LoRAModule(name: name, rank: 1, inFeatures: columns, outFeatures: out, scaling: 1,
                          a: [Double](repeating: 0.1, count: columns), b: [Double](repeating: 0.1, count: out), kernel: kernel)
    }

    func resolve(_ module: LoRAModule, map: String?) -> String {
        do {
            let targets = try LoRATargetResolver.resolve([module], in: model(), map: map.map { Data($0.utf8) })
            return "tensor \(targets[0].weight.index), bias \(targets[0].bias?.index ?? -1)"
        } catch { return "\(error)" }
    }

    func testConvModuleResolvesToTheConv2DKernel() {
        XCTAssertEqual(resolve(convModule(), map: nil), "tensor 0, bias 2", "unique OHWI shape; bias from the operator")
        XCTAssertEqual(resolve(convModule(), map: #"{"conv": {"index": 0, "shape": [4, 3, 3, 2], "layout": "ohwi"}}"#), "tensor 0, bias 2")
    }

    func testRefusalsNameTheModuleAndTheReason() {
        // Depthwise: the only tensor of its shape, refused by name.
        let depthwise = resolve(convModule(name: "dw", out: 1, channels: 4), map: nil)
        XCTAssertTrue(depthwise.contains("module dw: tensor 1 'dw/kernel' is the kernel of a DEPTHWISE_CONV_2D"), depthwise)
        // A map that names the bias, not the weights.
        let bias = resolve(convModule(), map: #"{"conv": {"index": 2}}"#)
        XCTAssertTrue(bias.contains("module conv: tensor 2 'conv/bias' is not an int8 weight tensor (INT32"), bias)
        // Shapes that do not match: the kernel, the map's shape, the layout.
        let shape = resolve(convModule(kernel: [5, 5]), map: #"{"conv": {"index": 0}}"#)
        XCTAssertTrue(shape.contains("module conv: tensor 0 'conv/kernel' has shape [4, 3, 3, 2], the adapter's Conv2d 5×5 B·A is [4, 5, 5, 2]"), shape)
        let mapShape = resolve(convModule(), map: #"{"conv": {"index": 0, "shape": [4, 18]}}"#)
        XCTAssertTrue(mapShape.contains("module conv: map says shape [4, 18]"), mapShape)
        let layout = resolve(convModule(), map: #"{"conv": {"index": 0, "layout": "out_in"}}"#)
        XCTAssertTrue(layout.contains("layout \"out_in\" is not supported for a Conv2d 3×3 module (only \"ohwi\""), layout)
        // A Linear module mapped onto a convolution's kernel.
        let linear = LoRAModule(name: "fc", rank: 1, inFeatures: 18, outFeatures: 4, scaling: 1,
                                a: [Double](repeating: 0.1, count: 18), b: [0.1, 0.1, 0.1, 0.1])
        let wrongKind = resolve(linear, map: #"{"fc": {"index": 0}}"#)
        XCTAssertTrue(wrongKind.contains("module fc: tensor 0 'conv/kernel' is read by a CONV_2D as its weights, not by the FULLY_CONNECTED a Linear module needs"), wrongKind)
    }
}
