#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file a command reads, with the option that named it ("--base", "bundle").
struct InputFile {
    let option: String
    let path: String
}

/// Refuses an output path that is one of the command's inputs.
///
/// Files are compared by device and inode after following symlinks (stat(2)), so
/// `-o ./base.tflite`, a symlink to the base and a hard link to it are all caught.
/// An output that does not exist yet cannot be an input. `mayReplace` lists the
/// options whose file the command is allowed to write over (apply/unapply with
/// `--in-place`: the model input); for any other input, or without `--in-place`,
/// the command stops before reading anything.
enum OutputPath {
    /// `inPlace`: for apply/unapply, the model input option ("--base", "--target") and
    /// whether `--in-place` was given; nil for commands that never write over an input.
    static func check(_ output: String, against inputs: [InputFile], command: String,
                      inPlace: (model: String, given: Bool)? = nil) throws {
        guard let out = identity(output) else { return }
        for input in inputs {
            guard let id = identity(input.path), id == out else { continue }
            if let inPlace, inPlace.given, input.option == inPlace.model { continue }
            var text = "-o \(output) is the same file as \(input.option) \(input.path): \(command) would overwrite its input. "
            switch inPlace {
            case nil:
                text += "Write to another path (\(command) never writes over its inputs)"
            case let (model, given)? where input.option == model && !given:
                text += "Write to another path, or pass --in-place to write the result over \(model) on purpose"
            case let (model, _)?:
                text += "Write to another path (--in-place allows writing over \(model) only)"
            }
            throw CLIError(text)
        }
    }

    /// (device, inode) of the file at `path`, symlinks followed; nil if there is none.
    private static func identity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }
}
