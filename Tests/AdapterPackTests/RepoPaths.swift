import Foundation

/// Paths inside the repository and its sibling `shared/` folder.
enum RepoPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var vectors: URL { root.appendingPathComponent("Spec/vectors") }
    static var keys: URL { root.appendingPathComponent("Keys") }
    static var shared: URL { root.deletingLastPathComponent().appendingPathComponent("shared") }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}
