import ArgumentParser

@main
struct AdapterPackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapterpack",
        abstract: "Build, sign, verify and apply fine-tuning bundles for int8 TFLite models.")
}
