import Foundation

/// Why the accuracy guard could not judge a model.
public enum AccuracyGuardError: Error, Equatable, CustomStringConvertible {
    /// No Python at the path (or it could not be started).
    case noPython(path: String)
    /// The helper refused the data or a model; its message names which and why.
    case refused(message: String)
    /// The helper printed something that is not its JSON line.
    case unreadableAnswer(String)

    public var description: String {
        switch self {
        case .noPython(let path):
            return "accuracy guard: no Python at \(path) (create the venv with `bash .ci/python-env.sh`, or give --python "
                + "a Python with PyPI's tflite-micro and numpy)"
        case .refused(let message):
            return "accuracy guard: " + message
        case .unreadableAnswer(let text):
            return "accuracy guard: the helper's answer is not readable: \(text.prefix(200))"
        }
    }
}

/// Top-1 accuracy of candidate models on evaluation data, measured by
/// TensorFlow Lite Micro's own interpreter (the runtime the device runs) in
/// a Python helper process (`GuardScript`).
///
/// Data: an `.npz` file with int arrays `x` (samples shaped like the model's
/// input, its dtype) and `y` (one class label per sample), or `x_NAME` and
/// `y_NAME` with `split` NAME (the corpus's `eval.npz` has `x_shifted`,
/// `y_shifted`, `x_original`, `y_original`). The metric is top-1 accuracy
/// over the first output; another metric (a regression error, a keyword
/// detector's false-accept rate) would be another scoring loop in the
/// helper with the same "higher is better" answer, and is not built.
public struct AccuracyGuard: Sendable {
    public var python: String
    public var data: String
    public var split: String

    public init(python: String, data: String, split: String = "") {
        self.python = python
        self.data = data
        self.split = split
    }

    /// The Python the guard uses when none is given: `$ADAPTERPACK_PYTHON`, or
    /// the venv `.ci/python-env.sh` makes in the working directory.
    public static var defaultPython: String {
        ProcessInfo.processInfo.environment["ADAPTERPACK_PYTHON"] ?? ".build-venv/bin/python3"
    }

    /// Accuracy of each model (bytes), in order. Refuses data that does not
    /// fit a model's input (shape, dtype, labels) and models TFLM cannot run.
    public func accuracy(of models: [[UInt8]]) throws -> [Double] {
        guard FileManager.default.isExecutableFile(atPath: python) else { throw AccuracyGuardError.noPython(path: python) }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("adapterpack-guard-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("guard.py")
        try Data(GuardScript.source.utf8).write(to: script)
        var paths: [String] = []
        for (k, model) in models.enumerated() {
            let path = directory.appendingPathComponent("candidate-\(k).tflite")
            try Data(model).write(to: path)
            paths.append(path.path)
        }
        let (status, out, err) = try Self.run(python, [script.path, data, split] + paths,
                                              errors: directory.appendingPathComponent("stderr.txt"))
        guard status == 0 else {
            let message = err.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
            // Name the candidate by what it is, not by its temporary file.
            var readable = message
            for (k, path) in paths.enumerated() { readable = readable.replacingOccurrences(of: path, with: "candidate model \(k + 1)") }
            throw AccuracyGuardError.refused(message: readable)
        }
        let lines = out.split(separator: "\n")
        var result: [Double] = []
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let accuracy = object["accuracy"] as? Double else { throw AccuracyGuardError.unreadableAnswer(String(line)) }
            result.append(accuracy)
        }
        guard result.count == models.count else { throw AccuracyGuardError.unreadableAnswer(out) }
        return result
    }

    /// Accuracy of one model.
    public func accuracy(of model: [UInt8]) throws -> Double { try accuracy(of: [model])[0] }

    /// Runs the helper; stderr goes to a file beside it (a pipe nobody reads
    /// could fill and stall it while stdout is being read).
    static func run(_ executable: String, _ arguments: [String], errors: URL) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let errorFile = try FileHandle(forWritingTo: errors)
        defer { try? errorFile.close() }
        process.standardOutput = out
        process.standardError = errorFile
        do { try process.run() } catch { throw AccuracyGuardError.noPython(path: executable) }
        let outBytes = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errText = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(decoding: outBytes, as: UTF8.self), errText)
    }
}
