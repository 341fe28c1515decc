import AdapterPack
import ArgumentParser

@main
struct AdapterPackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapterpack",
        abstract: "Build, sign, verify and apply fine-tuning bundles for int8 TFLite models.",
        discussion: """
        Keys: --signing-key (sign; diff and build: --key) is a private key that makes a signature; \
        --trusted-key (verify, inspect, report; apply and unapply: --key) names public keys a signature must \
        verify with.

        Exit codes: 0 success; 1 runtime error (a refused bundle, a key or file problem; nothing is written); \
        64 usage error (unknown subcommand or option, invalid option value).

        Example:
          adapterpack keygen -o Keys/me.pem
          adapterpack diff --base A.tflite --target B.tflite --key Keys/me.pem -o out.apb
          adapterpack verify out.apb --trusted-key Keys/me.pub.pem
        """,
        version: BundleAssembler.toolVersion,
        subcommands: [Diff.self, Build.self, Sign.self, Verify.self, Inspect.self, Apply.self, Unapply.self, Keygen.self, Report.self, Repo.self, TUFClientCommand.self, Fetch.self, Send.self])

    /// `help NAME` with a NAME that is no subcommand is a usage error (64), not the top-level help.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "help" {
            var command: any ParsableCommand.Type = AdapterPackCommand.self
            for name in arguments.dropFirst() where !name.hasPrefix("-") && name != "help" {
                let subcommands = command.configuration.subcommands
                guard let next = subcommands.first(where: { $0._commandName == name }) else {
                    let names = subcommands.map { $0._commandName }
                    let message = names.isEmpty
                        ? "'\(name)': \(command._commandName) has no subcommands"
                        : "unknown subcommand '\(name)'; the subcommands are: \(names.joined(separator: ", "))"
                    AdapterPackCommand.exit(withError: ValidationError(message))
                }
                command = next
            }
        }
        AdapterPackCommand.main(arguments)
    }
}
