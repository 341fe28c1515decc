import Foundation

/// Reads a JSON file that must hold one object (adapter_config.json, tensor_map.json)
/// and says what is wrong when it does not: the parser's reason with the line and
/// column, a file that ends early, or the kind of value found instead of an object.
enum JSONObject {
    /// The object in `data`, or the reason it is not one (without the file's name).
    static func parse(_ data: Data) -> Result<[String: Any], JSONObjectError> {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data)
        } catch {
            return .failure(JSONObjectError(reason: reason(error, data)))
        }
        guard let object = value as? [String: Any] else {
            return .failure(JSONObjectError(reason: "is not a JSON object (it holds \(kind(value)))"))
        }
        return .success(object)
    }

    /// "is not valid JSON: invalid value at line 1, column 1 (byte 0)" and the like.
    static func reason(_ error: Error, _ data: Data) -> String {
        let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String)
            ?? (error as NSError).localizedDescription
        let text = detail.hasSuffix(".") ? String(detail.dropLast()) : detail
        if data.isEmpty { return "is empty, not a JSON object" }
        // "Invalid value around character 12." → the line and column of byte 12.
        if let range = text.range(of: #"character (\d+)"#, options: .regularExpression),
           let offset = Int(text[range].split(separator: " ")[1]) {
            let (line, column) = position(of: offset, in: data)
            return "is not valid JSON: \(text) (line \(line), column \(column))"
        }
        if text.lowercased().contains("end of file") || text.lowercased().contains("unexpected end") {
            let (line, column) = position(of: data.count, in: data)
            return "is not valid JSON: \(text): the file ends at byte \(data.count) (line \(line), column \(column)) "
                + "in the middle of a value; is it truncated?"
        }
        return "is not valid JSON: \(text)"
    }

    /// 1-based line and column of byte `offset`.
    static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    static func kind(_ value: Any) -> String {
        switch value {
        case is [Any]: return "an array"
        case is String: return "a string"
        case is NSNull: return "null"
        case let n as NSNumber: return String(cString: n.objCType) == "c" ? "a boolean" : "a number"
        default: return "\(type(of: value))"
        }
    }
}

/// Why a JSON file is not an object; `reason` reads after the file's name.
struct JSONObjectError: Error {
    var reason: String
}
