import XCTest
@testable import AdapterPack

/// Canonical JSON (the bytes TUF signs) and the JSON reader the repository loads with.
/// The expected bytes were produced by securesystemslib's `encode_canonical` (1.6.0).
final class TUFCanonicalJSONTests: XCTestCase {
    func testMatchesSecuresystemslibBytes() throws {
        let value: JSONValue = .object([
            "b": .integer(1),
            "a": .string("x\"y\\z\n\u{e9}\u{1F600}"),
            "c": .array([.bool(true), .bool(false), .null, .integer(-5), .object(["z": .object([:]), "A": .array([])])]),
            "\u{e9}": .integer(0), "B": .integer(2), "~": .integer(3),
        ])
        let expected = "7b2242223a322c2261223a22785c22795c5c7a0ac3a9f09f9880222c2262223a312c2263223a5b747275652c66616c73652c6e756c6c2c2d352c7b2241223a5b5d2c227a223a7b7d7d5d2c227e223a332c22c3a9223a307d"
        XCTAssertEqual(hexString(CanonicalJSON.encode(value)), expected)
    }

    func testKeyIDIsSHA256OfCanonicalKeyObject() {
        // hashlib.sha256(encode_canonical({"keytype": "ed25519", "scheme": "ed25519",
        //   "keyval": {"public": "00" * 32}})).hexdigest()
        let key = TUFKey(ed25519PublicKey: [UInt8](repeating: 0, count: 32))
        XCTAssertEqual(key.keyID, "7f7373360bc914a5d4a7bd87711615178beb6cf52494fcc49082ec65ba62908c")
    }

    func testMembersSortedByCodePointNotUTF16() {
        // U+FF61 sorts before U+1F600 by code point (and by UTF-8), after it by UTF-16 units.
        let value: JSONValue = .object(["\u{1F600}": .integer(1), "\u{FF61}": .integer(2)])
        XCTAssertEqual(String(decoding: CanonicalJSON.encode(value), as: UTF8.self), "{\"\u{FF61}\":2,\"\u{1F600}\":1}")
    }

    func testControlCharactersAreWrittenRaw() {
        XCTAssertEqual(CanonicalJSON.encode(.string("a\u{1}\tb")), Array("\"a\u{1}\tb\"".utf8))
    }

    func testPrettyFileFormParsesBackToTheSameValue() throws {
        let value: JSONValue = .object([
            "s": .string("q\"\\\u{1}\n/é"), "n": .integer(Int64.min), "m": .integer(Int64.max),
            "e": .object([:]), "l": .array([.array([]), .null, .bool(false)]),
        ])
        XCTAssertEqual(try JSONValue.parse(PrettyJSON.encode(value)), value)
        // Canonical JSON writes control characters raw, which strict JSON readers refuse
        // (so metadata files are written in the pretty form); without them it parses back.
        XCTAssertThrowsError(try JSONValue.parse(CanonicalJSON.encode(value)))
        var plain = value.objectValue!
        plain["s"] = .string("q\"\\/é")
        XCTAssertEqual(try JSONValue.parse(CanonicalJSON.encode(.object(plain))), .object(plain))
    }

    func testParserReadsEscapesAndSurrogatePairs() throws {
        let parsed = try JSONValue.parse(Array(#" {"k" : ["\u00e9\ud83d\ude00\/\b\f\r\t", -0, 12]} "#.utf8))
        XCTAssertEqual(parsed, .object(["k": .array([.string("é😀/\u{8}\u{c}\r\t"), .integer(0), .integer(12)])]))
    }

    func testParserRefusals() {
        let bad = [
            #"{"a":1,"a":2}"#,  // duplicate member
            "1.5", "1e3",  // no floats in canonical JSON
            "01", "[1,]", "{\"a\"}", "\"\\ud800\"", "\"unterminated", "[1] x", "9223372036854775808",
            "\"a\u{1}\"",  // raw control character
        ]
        for text in bad {
            XCTAssertThrowsError(try JSONValue.parse(Array(text.utf8)), "accepted \(text)")
        }
    }
}
