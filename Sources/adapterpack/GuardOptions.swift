import AdapterPack
import ArgumentParser

/// The accuracy guard's options, shared by `build` and `diff --lossy`.
struct GuardOptions: ParsableArguments {
    @Option(parsing: .unconditional,
            help: "Accuracy guard: the largest drop of TensorFlow Lite Micro top-1 accuracy on --eval allowed against the reference (a fraction: 0.01 = 1 point).")
    var maxAccuracyDrop: Double?
    @Option(help: "With --max-accuracy-drop: evaluation data, an .npz with x (samples shaped like the model's input) and y (class labels).")
    var eval: String?
    @Option(help: "With --eval: use the arrays x_NAME and y_NAME (e.g. shifted for the corpus's eval.npz).")
    var evalSplit: String?
    @Option(help: "With --max-accuracy-drop: the model to compare against (e.g. the float-merged model); default the exact change's model (build: the 8-bit bundle's, diff: --target).")
    var reference: String?
    @Option(help: "With --max-accuracy-drop: a Python with PyPI's tflite-micro and numpy (default $ADAPTERPACK_PYTHON or .build-venv/bin/python3, made by `bash .ci/python-env.sh`).")
    var python: String?

    /// The drop must be a fraction and come with data; the other options only with it.
    func validate() throws {
        if let maxAccuracyDrop {
            guard maxAccuracyDrop.isFinite, (0 ... 1).contains(maxAccuracyDrop) else {
                throw ValidationError("--max-accuracy-drop \(maxAccuracyDrop) is not a fraction 0 … 1 (0.01 is one point)")
            }
            guard eval != nil else { throw ValidationError("--max-accuracy-drop needs --eval DATA.npz to measure accuracy on") }
        } else if eval != nil || reference != nil || evalSplit != nil || python != nil {
            throw ValidationError("--eval, --eval-split, --reference and --python belong to the accuracy guard: give --max-accuracy-drop too")
        }
    }

    /// Files the guard reads (the output may be none of them).
    var inputs: [InputFile] {
        (eval.map { [InputFile(option: "--eval", path: $0)] } ?? [])
            + (reference.map { [InputFile(option: "--reference", path: $0)] } ?? [])
    }

    /// The guard, or nil without --max-accuracy-drop.
    var accuracyGuard: AccuracyGuard? {
        guard maxAccuracyDrop != nil, let eval else { return nil }
        return AccuracyGuard(python: python ?? AccuracyGuard.defaultPython, data: eval, split: evalSplit ?? "")
    }

    /// The data as the metadata and messages name it: `eval.npz (shifted)`.
    var dataName: String { fileName(eval ?? "") + (evalSplit.map { " (\($0))" } ?? "") }

    func referenceBytes() throws -> [UInt8]? { try reference.map { try FileIO.read($0, limit: .modelOrBundle) } }
}
