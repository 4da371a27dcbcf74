import Foundation
import JSONScan
import Testing

/// A JSON value built with the scanner or from Foundation's `JSONSerialization`, so the two can be compared.
/// Numbers compare as `Double`, which is what `JSONSerialization` promises for every number.
indirect enum Tree: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([Tree])
    case object([String: Tree])

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .number(let d): return "\(d)"
        case .string(let s): return s.debugDescription
        case .array(let a): return "\(a)"
        case .object(let o): return "\(o)"
        }
    }

    /// Reads one value with the scanner's pull API; a repeated key keeps its last value, as in Foundation.
    static func read(_ s: inout JSONScanner) throws(JSONScanError) -> Tree {
        switch try s.peekKind() {
        case .string: return .string(try s.readString())
        case .number: return .number(try s.readDouble())
        case .bool: return .bool(try s.readBool())
        case .null: try s.readNull(); return .null
        case .array:
            var elements: [Tree] = []
            try s.readArray { (s) throws(JSONScanError) in elements.append(try read(&s)) }
            return .array(elements)
        case .object:
            var members: [(String, Tree)] = []
            try s.readObject { (s, key) throws(JSONScanError) in members.append((key, try read(&s))) }
            return .object(Dictionary(members, uniquingKeysWith: { _, last in last }))
        }
    }

    /// Converts what `JSONSerialization` returns.
    init(foundation value: Any) throws {
        switch value {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let a as [Any]: self = .array(try a.map { try Tree(foundation: $0) })
        case let o as [String: Any]: self = .object(try o.mapValues { try Tree(foundation: $0) })
        case let n as NSNumber:
            // On Linux `1 is Bool` holds for any NSNumber; the boolean class is the reliable test.
            self = String(describing: type(of: n)).contains("Boolean") ? .bool(n.boolValue) : .number(n.doubleValue)
        default: throw FoundationValueError(value: "\(value)")
        }
    }
}

struct FoundationValueError: Error, CustomStringConvertible {
    let value: String
    var description: String { "JSONSerialization returned \(value), which is not a JSON value" }
}

/// Reads `bytes` as one whole document.
func scanDocument(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONScanError) -> Tree {
    let result: Result<Tree, JSONScanError> = bytes.withUnsafeBufferPointer { buffer in
        var scanner = JSONScanner(buffer, maxDepth: maxDepth)
        do throws(JSONScanError) {
            let tree = try Tree.read(&scanner)
            try scanner.expectEnd()
            #expect(scanner.depth == 0, "every container that was opened was closed")
            return .success(tree)
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}

func scanDocument(_ text: String, maxDepth: Int = 64) throws(JSONScanError) -> Tree {
    try scanDocument(Array(text.utf8), maxDepth: maxDepth)
}

/// Runs `body` on a scanner over `text` and returns its result and the scanner's final offset.
func withScanner<T>(_ text: String, _ body: (inout JSONScanner) throws(JSONScanError) -> T) throws(JSONScanError) -> (T, offset: Int) {
    let bytes = Array(text.utf8)
    let result: Result<(T, Int), JSONScanError> = bytes.withUnsafeBufferPointer { buffer in
        var scanner = JSONScanner(buffer)
        do throws(JSONScanError) {
            let value = try body(&scanner)
            return .success((value, scanner.offset))
        } catch {
            return .failure(error)
        }
    }
    let (value, offset) = try result.get()
    return (value, offset)
}

@Suite("JSONScanner: strict JSON")
struct JSONScannerTests {
    // MARK: Valid documents agree with Foundation

    @Test("every kind of valid document reads as JSONSerialization reads it", arguments: [
        "null", "true", "false",
        "0", "-0", "7", "-12", "1.5", "-0.25e-3", "1E+2", "6.02e23", "1e-7",
        "9007199254740993", "9223372036854775807", "-9223372036854775808", "12345678901234567890",
        #""""#, #""plain ascii""#, #""ünïcødé 日本語 🧪""#,
        #""esc \" \\ \/ \b \f \n \r \t""#,
        #""\u0041\u00e9\u65E5\ud83e\uddea\u2028\u0000""#,
        "[]", "{}", "[[]]", #"{"":{}}"#,
        #"[1, "a", null, true, [false, {}], -2.5]"#,
        #"{"a": {"b": [1, 2, {"c": "d"}]}, "e": -1.5e10, "f": null, "g": true, "ü": "x"}"#,
        " \t\n\r[ 1 ,\n2 ] \r\n",
    ])
    func agreesWithFoundation(json: String) throws {
        let ours = try scanDocument(json)
        let theirs = try Tree(foundation: JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]))
        #expect(ours == theirs)
    }

    @Test("strings Foundation writes, with every awkward character, read back unchanged")
    func readsWhatFoundationWrites() throws {
        let strings = ["", "quote\"back\\slash/", "tab\tnew\nline\rret\u{08}\u{0C}", "nul\u{0}bell\u{07}unit\u{1F}del\u{7F}",
                       "ünïcødé", "日本語", "emoji 🧪🐹 flag 🇪🇺", "\u{2028}\u{2029}\u{FEFF}\u{FFFD}", "\u{10FFFF}"]
        let document: [String: Any] = ["strings": strings, "nested": ["k": strings]]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        let ours = try scanDocument(Array(data))
        #expect(ours == .object(["strings": .array(strings.map(Tree.string)),
                                 "nested": .object(["k": .array(strings.map(Tree.string))])]))
    }

    // MARK: Rejections, each at its offset

    @Test("invalid documents are rejected at the offending byte", arguments: [
        // trailing garbage
        ("[1] x", 4, "trailing bytes after the top-level value"),
        ("nulls", 4, "trailing bytes after the top-level value"),
        ("{} {}", 3, "trailing bytes after the top-level value"),
        // escapes
        (#""a\qb""#, 2, #"invalid escape character 'q' after '\' in a string"#),
        (#""\x41""#, 1, #"invalid escape character 'x' after '\'"#),
        (#""\u12G4""#, 5, "bad hex digit 'G' in a \\u escape"),
        (#""\u12""#, 3, "short \\u escape"),
        // unpaired surrogates
        (#""\ud800""#, 1, "unpaired surrogate in a \\u escape"),
        (#""ab\ud800x""#, 3, "unpaired surrogate in a \\u escape"),
        (#""\ud800\u0041""#, 1, "unpaired surrogate in a \\u escape"),
        (#""\ud800\ud800""#, 1, "unpaired surrogate in a \\u escape"),
        (#""\udc00\ud800""#, 1, "unpaired surrogate in a \\u escape"),
        // control characters in strings, escaped or not
        ("\"a\u{01}b\"", 2, "control character byte 0x01 in a string"),
        ("\"tab\there\"", 4, "control character byte 0x09 in a string"),
        ("\"a\\n\nb\"", 4, "control character byte 0x0A in a string"),
        // numbers
        ("01", 0, "number with a leading zero"),
        ("-01", 1, "number with a leading zero"),
        ("[00]", 1, "number with a leading zero"),
        ("-", 0, "expected a digit after '-'"),
        ("[-x]", 1, "expected a digit after '-'"),
        ("1.", 2, "expected digits after '.' in a number"),
        ("1.e5", 2, "expected digits after '.' in a number"),
        ("1e", 2, "expected digits in a number's exponent"),
        ("1e+", 3, "expected digits in a number's exponent"),
        (".5", 0, "unexpected '.' where a value was expected"),
        ("+1", 0, "unexpected '+' where a value was expected"),
        // literals
        ("tru", 0, "expected the literal true"),
        ("[fals]", 1, "expected the literal false"),
        ("nul", 0, "expected the literal null"),
        ("True", 0, "unexpected 'T' where a value was expected"),
        // structure
        ("", 0, "unexpected end of input, expected a value"),
        ("   ", 3, "unexpected end of input, expected a value"),
        ("[1 2]", 3, "expected ',' or ']' in an array, found '2'"),
        ("[1,]", 3, "unexpected ']' where a value was expected"),
        (#"{"a" 1}"#, 5, "expected ':', found '1'"),
        ("{1:2}", 1, "expected '\"' to start an object key, found '1'"),
        (#"{"a":1,}"#, 7, "expected '\"' to start an object key, found '}'"),
        (#"{"a":1 "b":2}"#, 7, "expected ',' or '}' in an object, found '\"'"),
        ("]", 0, "unexpected ']' where a value was expected"),
        // truncated input
        ("[1,", 3, "unexpected end of input, expected a value"),
        ("[1", 2, "unterminated array: expected ']'"),
        (#"{"a":1"#, 6, "unterminated object: expected '}'"),
        (#"{"a""#, 4, "unexpected end of input, expected ':'"),
        ("{", 1, "unterminated object: expected '\"' to start a key"),
        (#""abc"#, 4, "unterminated string"),
        (#""ab\"#, 4, "unterminated string"),
        (#""\u00"#, 3, "short \\u escape"),
    ])
    func rejects(json: String, offset: Int, reason: String) throws {
        let error = try #require(throws: JSONScanError.self) { try scanDocument(json) }
        #expect(error == JSONScanError(offset: offset, reason: error.reason))
        #expect(error.reason.contains(reason), "\(error)")
    }

    @Test("invalid UTF-8 in a string is rejected at the start of the string's contents", arguments: [
        ([0x22, 0x61, 0xFF, 0x62, 0x22], 1),                     // a byte that is never UTF-8
        ([0x5B, 0x22, 0xC3, 0x22, 0x5D], 2),                     // truncated two-byte sequence
        ([0x22, 0xC0, 0x80, 0x22], 1),                           // overlong encoding of NUL
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),                     // an encoded surrogate
        ([0x22, 0x5C, 0x6E, 0xE2, 0x82, 0x22], 1),               // invalid after an escape (slow path)
    ] as [([UInt8], Int)])
    func rejectsInvalidUTF8(bytes: [UInt8], offset: Int) throws {
        let error = try #require(throws: JSONScanError.self) { try scanDocument(bytes) }
        #expect(error == JSONScanError(offset: offset, reason: "invalid UTF-8 in a string"))
    }

    @Test("nesting is limited to maxDepth objects and arrays, counted together")
    func depthLimit() throws {
        #expect(try scanDocument("[[[1]]]", maxDepth: 3) == .array([.array([.array([.number(1)])])]))
        #expect(try scanDocument(#"{"a":[{"b":"c"}]}"#, maxDepth: 3) == .object(["a": .array([.object(["b": .string("c")])])]))
        let arrays = try #require(throws: JSONScanError.self) { try scanDocument("[[[[1]]]]", maxDepth: 3) }
        #expect(arrays == JSONScanError(offset: 3, reason: "values nested too deeply (more than 3 levels)"))
        let mixed = try #require(throws: JSONScanError.self) { try scanDocument(#"{"a":[{"b":[]}]}"#, maxDepth: 3) }
        #expect(mixed == JSONScanError(offset: 11, reason: "values nested too deeply (more than 3 levels)"))
        // Siblings do not add up: closing a container frees its level.
        #expect(try scanDocument("[[[]],[[]],[[]]]", maxDepth: 3) == .array(Array(repeating: .array([.array([])]), count: 3)))
        // The default limit stops hostile input long before the stack runs out.
        let deep = try #require(throws: JSONScanError.self) { try scanDocument(String(repeating: "[", count: 100_000)) }
        #expect(deep == JSONScanError(offset: 64, reason: "values nested too deeply (more than 64 levels)"))
    }

    @Test("skipValue checks what it skips and respects the depth limit")
    func skipValue() throws {
        let (_, offset) = try withScanner(#" {"a":[1,{"b":null}],"c":"\u00e9"} , 2"#) { (s) throws(JSONScanError) in try s.skipValue() }
        #expect(offset == 34)
        let badEscape = try #require(throws: JSONScanError.self) {
            try withScanner(#"{"a":[1,"\x"]}"#) { (s) throws(JSONScanError) in try s.skipValue() }
        }
        #expect(badEscape == JSONScanError(offset: 9, reason: #"invalid escape character 'x' after '\' in a string"#))
        let tooDeep = try #require(throws: JSONScanError.self) {
            try withScanner(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) { (s) throws(JSONScanError) in try s.skipValue() }
        }
        #expect(tooDeep.offset == 64)
        #expect(tooDeep.reason == "values nested too deeply (more than 64 levels)")
    }

    // MARK: The pull API

    @Test("numbers: Int64 exactly when written as an integer that fits, else Double")
    func numbers() throws {
        func number(_ text: String) throws -> JSONScanner.Number {
            try withScanner(text) { (s) throws(JSONScanError) in try s.readNumber() }.0
        }
        #expect(try number("999999999999999999") == .integer(999_999_999_999_999_999))
        #expect(try number("9223372036854775807") == .integer(.max))
        #expect(try number("-9223372036854775808") == .integer(.min))
        #expect(try number("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try number("-0") == .integer(0))
        #expect(try number("2.50") == .double(2.5))
        #expect(try number("1e2") == .double(100))
        #expect(try number("1e400") == .double(.infinity))
        #expect(try withScanner(" -0.5e+3,") { (s) throws(JSONScanError) in try s.readNumberText() } == ("-0.5e+3", 8))
        #expect(try withScanner("-1.5e3") { (s) throws(JSONScanError) in try s.readDouble() }.0 == -1500)
    }

    @Test("readInt64 takes whole numbers in range, however written")
    func int64() throws {
        func int64(_ text: String) throws(JSONScanError) -> Int64 {
            try withScanner(text) { (s) throws(JSONScanError) in try s.readInt64() }.0
        }
        #expect(try int64("12") == 12)
        #expect(try int64("-3") == -3)
        #expect(try int64("1.0") == 1)
        #expect(try int64("2e3") == 2000)
        #expect(try int64("-9223372036854775808") == .min)
        let fraction = try #require(throws: JSONScanError.self) { try int64("1.5") }
        #expect(fraction == JSONScanError(offset: 3, reason: "1.5 is not a whole number in the 64-bit integer range"))
        let huge = try #require(throws: JSONScanError.self) { try int64("9223372036854775808") }
        #expect(huge.reason == "9.223372036854776e+18 is not a whole number in the 64-bit integer range")
        let notANumber = try #require(throws: JSONScanError.self) { try int64(#""12""#) }
        #expect(notANumber == JSONScanError(offset: 0, reason: "expected a number"))
    }

    @Test("objects hand over every key in order, duplicates included; arrays every element")
    func containers() throws {
        let (pairs, offset) = try withScanner(#"{"b":1,"a":"x","b":[true]}"#) { (s) throws(JSONScanError) in
            var pairs: [String] = []
            try s.readObject { (s, key) throws(JSONScanError) in
                pairs.append(key)
                try s.skipValue()
            }
            return pairs
        }
        #expect(pairs == ["b", "a", "b"])
        #expect(offset == 26)
        let (numbers, _) = try withScanner(" [ 3 , -1 , 4e0 ] ") { (s) throws(JSONScanError) in
            var numbers: [Int64] = []
            try s.readArray { (s) throws(JSONScanError) in numbers.append(try s.readInt64()) }
            return numbers
        }
        #expect(numbers == [3, -1, 4])
        // A member that does not consume its value leaves the object ill-formed.
        let unread = try #require(throws: JSONScanError.self) {
            try withScanner(#"{"a":1}"#) { (s) throws(JSONScanError) in try s.readObject { (_, _) throws(JSONScanError) in } }
        }
        #expect(unread == JSONScanError(offset: 5, reason: "expected ',' or '}' in an object, found '1'"))
    }

    @Test("peek, consume, expect, consumeNull and isAtEnd skip whitespace first")
    func primitives() throws {
        let (result, offset) = try withScanner("  , null nul") { (s) throws(JSONScanError) -> [String] in
            var seen: [String] = []
            seen.append(s.peek().map { String(UnicodeScalar($0)) } ?? "end")
            seen.append("\(s.consume(UInt8(ascii: "]")))")
            try s.expect(UInt8(ascii: ","))
            seen.append("\(s.consumeNull())")
            seen.append("\(s.consumeNull())")
            seen.append("\(s.isAtEnd())")
            return seen
        }
        #expect(result == [",", "false", "true", "false", "false"])
        #expect(offset == 9, "a failed consumeNull leaves the offset at the start of what it looked at")
        let expected = try #require(throws: JSONScanError.self) {
            try withScanner(" x") { (s) throws(JSONScanError) in try s.expect(UInt8(ascii: ":")) }
        }
        #expect(expected == JSONScanError(offset: 1, reason: "expected ':', found 'x'"))
        let (kinds, _) = try withScanner(#"{}[]"x"-1 2 true false null"#) { (s) throws(JSONScanError) -> [JSONScanner.ValueKind] in
            var kinds: [JSONScanner.ValueKind] = []
            while !s.isAtEnd() {
                kinds.append(try s.peekKind())
                try s.skipValue()
            }
            return kinds
        }
        #expect(kinds == [.object, .array, .string, .number, .number, .bool, .bool, .null])
    }

    @Test("the error names the offset and the reason in one sentence")
    func errorDescription() {
        let error = JSONScanError(offset: 17, reason: "unpaired surrogate in a \\u escape")
        #expect(error.description == "JSON input is not valid at byte 17: unpaired surrogate in a \\u escape")
    }
}
