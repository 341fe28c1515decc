import Foundation

/// "2026-12-02T17:48:43Z": whole seconds, UTC, as TUF requires.
public enum TUFTime {
    public static func string(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: date)
    }

    public static func date(_ text: String) -> Date? {
        // Only the exact ASCII shape reaches DateFormatter: corelibs Foundation
        // traps on some non-ASCII text (a combining mark after a digit, found
        // by the tuf-metadata fuzz target), and metadata comes from the network.
        let bytes = Array(text.utf8)
        guard bytes.count == 20 else { return nil }
        for (i, byte) in bytes.enumerated() {
            let expected: UInt8? = [4: UInt8(ascii: "-"), 7: UInt8(ascii: "-"), 10: UInt8(ascii: "T"), 13: UInt8(ascii: ":"),
                                    16: UInt8(ascii: ":"), 19: UInt8(ascii: "Z")][i]
            if let expected {
                guard byte == expected else { return nil }
            } else {
                guard (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(byte) else { return nil }
            }
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        guard let date = formatter.date(from: text), string(date) == text else { return nil }
        return date
    }

    /// `date` without its fraction of a second.
    public static func whole(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }
}
