import ArgumentParser

@main
struct AdapterPackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapterpack",
        abstract: "Build, sign, verify and apply fine-tuning bundles for int8 TFLite models.",
        subcommands: [Diff.self, Build.self, Sign.self, Verify.self, Inspect.self, Apply.self, Unapply.self, Keygen.self, Report.self, Repo.self])
}
