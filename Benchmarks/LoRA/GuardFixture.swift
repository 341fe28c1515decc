import AdapterPack
import Foundation

/// What the guarded tables read from a fixture directory: the base, the
/// adapter with its tensor map, the float-merged reference, and a TFLM guard
/// on eval.npz's shifted split.
struct GuardFixture {
    let base: [UInt8]
    let adapter: PEFTAdapter
    let map: Data
    let reference: [UInt8]
    let accuracyGuard: AccuracyGuard

    init(directory: URL, python: URL) throws {
        base = try FileIO.read(directory.appendingPathComponent("base.tflite").path, limit: .modelOrBundle)
        let adapterDir = directory.appendingPathComponent("lora-adapter")
        adapter = try PEFTAdapter(directory: adapterDir.path)
        map = Data(try FileIO.read(adapterDir.appendingPathComponent("tensor_map.json").path, limit: .json))
        reference = try FileIO.read(directory.appendingPathComponent("lora.tflite").path, limit: .modelOrBundle)
        accuracyGuard = AccuracyGuard(python: python.path, data: directory.appendingPathComponent("eval.npz").path, split: "shifted")
    }
}
