/// A strict (RFC 8259) pull scanner over UTF-8 JSON bytes, shared by the hand-written readers
/// (the catalog's records, `/debug/vars` documents).
///
/// The scanner holds no tree: callers pull the values they want (`readString`, `readNumber`,
/// `readObject { key in … }`) and skip the rest (`skipValue`). It rejects everything JSON does not
/// allow — control characters and invalid escapes in strings, unpaired `\u` surrogates, invalid
/// UTF-8, numbers such as `01`, `-`, `1.` and `1e`, and containers nested deeper than `maxDepth`
/// (so hostile input cannot exhaust the stack) — and reports the byte offset of each problem.
///
/// Every reading method skips the whitespace before its value. The methods are `@inlinable`
/// because the catalog reads a million records per full listing and calls them across modules.
public struct JSONScanner {
    /// The input.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read; a caller may move it (e.g. past a byte order mark).
    public var offset: Int
    /// How many objects and arrays may be open at once; opening one more throws.
    public let maxDepth: Int
    /// How many objects and arrays are open now.
    @inlinable public var depth: Int { openContainers }
    @usableFromInline var openContainers = 0

    /// The kind of the value that starts at the current offset.
    public enum ValueKind: Sendable, Equatable {
        /// `{`.
        case object
        /// `[`.
        case array
        /// `"`.
        case string
        /// `-` or a digit.
        case number
        /// `true` or `false`.
        case bool
        /// `null`.
        case null
    }

    /// A JSON number.
    public enum Number: Sendable, Equatable, CustomStringConvertible {
        /// A number written without fraction or exponent that fits `Int64`.
        case integer(Int64)
        /// Any other number, as the nearest `Double`.
        case double(Double)

        /// The value as an `Int64` when it is a whole number in `Int64`'s range (`3`, `3.0`, `3e2`), else nil.
        @inlinable
        public var wholeValue: Int64? {
            switch self {
            case .integer(let value): return value
            // 2^63 is exactly representable, so `<` keeps the conversion in range.
            case .double(let value): return value == value.rounded() && abs(value) < 9_223_372_036_854_775_808.0 ? Int64(value) : nil
            }
        }

        /// The value as a `Double`.
        @inlinable
        public var doubleValue: Double {
            switch self {
            case .integer(let value): return Double(value)
            case .double(let value): return value
            }
        }

        /// The number as Swift prints it.
        public var description: String {
            switch self {
            case .integer(let value): return String(value)
            case .double(let value): return String(value)
            }
        }
    }

    /// Creates a scanner at the start of `bytes` that allows `maxDepth` nested objects and arrays.
    @inlinable
    public init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 64) {
        self.bytes = bytes
        self.offset = 0
        self.maxDepth = maxDepth
    }

    // MARK: Errors and position

    /// An error about the byte at the current offset.
    @inlinable
    public func error(_ reason: String) -> JSONScanError {
        JSONScanError(offset: offset, reason: reason)
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    @inlinable
    public mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    /// Whether only whitespace is left (the whitespace is skipped).
    @inlinable
    public mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return offset == bytes.count
    }

    /// Throws unless only whitespace is left after the value just read.
    @inlinable
    public mutating func expectEnd() throws(JSONScanError) {
        guard isAtEnd() else { throw error("trailing bytes after the top-level value") }
    }

    /// The next byte after whitespace, without consuming it; nil at the end of the input.
    @inlinable
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    /// Consumes `byte` if it comes next (after whitespace) and tells whether it did.
    @inlinable
    public mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        offset += 1
        return true
    }

    /// Consumes `byte`, which must come next (after whitespace).
    @inlinable
    public mutating func expect(_ byte: UInt8) throws(JSONScanError) {
        guard let next = peek() else { throw error("unexpected end of input, expected \(Self.describe(byte))") }
        guard next == byte else { throw error("expected \(Self.describe(byte)), found \(Self.describe(next))") }
        offset += 1
    }

    /// `'x'` for printable ASCII, `byte 0xNN` for anything else, for error messages.
    @usableFromInline
    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }

    /// The kind of the next value (after whitespace), without consuming it.
    @inlinable
    public mutating func peekKind() throws(JSONScanError) -> ValueKind {
        guard let next = peek() else { throw error("unexpected end of input, expected a value") }
        switch next {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw error("unexpected \(Self.describe(next)) where a value was expected")
        }
    }

    // MARK: Literals

    /// Reads `true` or `false`.
    @inlinable
    public mutating func readBool() throws(JSONScanError) -> Bool {
        if peek() == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    /// Reads `null`.
    @inlinable
    public mutating func readNull() throws(JSONScanError) {
        skipWhitespace()
        try literal("null")
    }

    /// Consumes a `null` literal if it comes next (after whitespace) and tells whether it did.
    @inlinable
    public mutating func consumeNull() -> Bool {
        skipWhitespace()
        guard bytes.count - offset >= 4, bytes[offset] == UInt8(ascii: "n"), bytes[offset + 1] == UInt8(ascii: "u"),
              bytes[offset + 2] == UInt8(ascii: "l"), bytes[offset + 3] == UInt8(ascii: "l") else { return false }
        offset += 4
        return true
    }

    @inlinable
    mutating func literal(_ word: StaticString) throws(JSONScanError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count else { throw error("expected the literal \(word)") }
        for k in 0..<count where bytes[offset + k] != word.utf8Start[k] { throw error("expected the literal \(word)") }
        offset += count
    }

    // MARK: Containers

    /// Reads `{ "key": value, ... }`, handing each key to `member`, which must read or skip its value.
    /// Duplicate keys are handed over as they come.
    @inlinable
    public mutating func readObject(_ member: (inout JSONScanner, String) throws(JSONScanError) -> Void) throws(JSONScanError) {
        try expect(UInt8(ascii: "{"))
        try open()
        if consume(UInt8(ascii: "}")) {
            openContainers -= 1
            return
        }
        repeat {
            guard let next = peek() else { throw error("unterminated object: expected '\"' to start a key") }
            guard next == UInt8(ascii: "\"") else { throw error("expected '\"' to start an object key, found \(Self.describe(next))") }
            offset += 1
            let key = try readStringContents()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
        } while consume(UInt8(ascii: ","))
        try close(UInt8(ascii: "}"), "object")
    }

    /// Reads `[ value, ... ]`, calling `element` at each element, which must read or skip it.
    @inlinable
    public mutating func readArray(_ element: (inout JSONScanner) throws(JSONScanError) -> Void) throws(JSONScanError) {
        try expect(UInt8(ascii: "["))
        try open()
        if consume(UInt8(ascii: "]")) {
            openContainers -= 1
            return
        }
        repeat { try element(&self) } while consume(UInt8(ascii: ","))
        try close(UInt8(ascii: "]"), "array")
    }

    /// Counts the container whose opening byte was just consumed.
    @inlinable
    mutating func open() throws(JSONScanError) {
        guard openContainers < maxDepth else {
            throw JSONScanError(offset: offset - 1, reason: "values nested too deeply (more than \(maxDepth) levels)")
        }
        openContainers += 1
    }

    @inlinable
    mutating func close(_ byte: UInt8, _ container: StaticString) throws(JSONScanError) {
        guard let next = peek() else { throw error("unterminated \(container): expected \(Self.describe(byte))") }
        guard next == byte else { throw error("expected ',' or \(Self.describe(byte)) in an \(container), found \(Self.describe(next))") }
        offset += 1
        openContainers -= 1
    }

    /// Skips one value of any kind, checking it as strictly as reading it would.
    @inlinable
    public mutating func skipValue() throws(JSONScanError) {
        switch try peekKind() {
        case .object: try readObject { (scanner, _) throws(JSONScanError) in try scanner.skipValue() }
        case .array: try readArray { (scanner) throws(JSONScanError) in try scanner.skipValue() }
        case .string: _ = try readString()
        case .number: _ = try scanNumber()
        case .bool: _ = try readBool()
        case .null: try readNull()
        }
    }

    // MARK: Strings

    /// Reads a string. ASCII without escapes is returned without an intermediate copy; anything
    /// else is validated as UTF-8 after the escapes are decoded, and invalid UTF-8 is reported at
    /// the offset where the string's contents start.
    @inlinable
    public mutating func readString() throws(JSONScanError) -> String {
        try expect(UInt8(ascii: "\""))
        return try readStringContents()
    }

    /// Reads a string whose opening quote was just consumed.
    @inlinable
    mutating func readStringContents() throws(JSONScanError) -> String {
        let start = offset
        var ascii = true
        while offset < bytes.count {
            let c = bytes[offset]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<offset])
                if ascii {
                    offset += 1
                    return String(decoding: slice, as: UTF8.self)
                }
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw JSONScanError(offset: start, reason: "invalid UTF-8 in a string")
                }
                offset += 1
                return text
            }
            if c == UInt8(ascii: "\\") { break }
            guard c >= 0x20 else { throw error("control character \(Self.describe(c)) in a string") }
            ascii = ascii && c < 0x80
            offset += 1
        }
        return try readEscapedString(start: start)
    }

    /// The rest of a string from its first backslash; `start` is the offset after the opening quote.
    @inlinable
    mutating func readEscapedString(start: Int) throws(JSONScanError) -> String {
        var utf8 = Array(bytes[start..<offset])
        while offset < bytes.count {
            let c = bytes[offset]
            switch c {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw JSONScanError(offset: start, reason: "invalid UTF-8 in a string")
                }
                offset += 1
                return text
            case UInt8(ascii: "\\"):
                try readEscape(into: &utf8)
            default:
                guard c >= 0x20 else { throw error("control character \(Self.describe(c)) in a string") }
                utf8.append(c)
                offset += 1
            }
        }
        throw error("unterminated string")
    }

    /// Decodes the escape at the current offset (a backslash) and appends its UTF-8.
    @inlinable
    mutating func readEscape(into utf8: inout [UInt8]) throws(JSONScanError) {
        let escapeStart = offset
        offset += 1
        guard offset < bytes.count else { throw error("unterminated string") }
        let e = bytes[offset]
        offset += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw JSONScanError(offset: escapeStart, reason: "unpaired surrogate in a \\u escape")
                }
                offset += 2
                let low = try readHex4()
                guard (0xDC00..<0xE000).contains(low) else {
                    throw JSONScanError(offset: escapeStart, reason: "unpaired surrogate in a \\u escape")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw JSONScanError(offset: escapeStart, reason: "unpaired surrogate in a \\u escape")
            }
            // Surrogates are handled above, so every remaining value is a scalar.
            guard let unicode = Unicode.Scalar(scalar) else {
                throw JSONScanError(offset: escapeStart, reason: "invalid \\u escape")
            }
            UTF8.encode(unicode) { utf8.append($0) }
        default:
            throw JSONScanError(offset: escapeStart, reason: "invalid escape character \(Self.describe(e)) after '\\' in a string")
        }
    }

    @inlinable
    mutating func readHex4() throws(JSONScanError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw error("short \\u escape (fewer than 4 hex digits)") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw error("bad hex digit \(Self.describe(c)) in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    // MARK: Numbers

    /// Reads a number: `.integer` when written without fraction or exponent and in `Int64`'s
    /// range, else `.double`.
    @inlinable
    public mutating func readNumber() throws(JSONScanError) -> Number {
        let (start, integral) = try scanNumber()
        if integral {
            let negative = bytes[start] == UInt8(ascii: "-")
            let digitsStart = negative ? start + 1 : start
            // 18 digits cannot overflow; longer ones go through the checked conversion.
            if offset - digitsStart <= 18 {
                var value: Int64 = 0
                for k in digitsStart..<offset { value = value &* 10 &+ Int64(bytes[k] &- UInt8(ascii: "0")) }
                return .integer(negative ? -value : value)
            }
            if let value = Int64(text(from: start)) { return .integer(value) }
        }
        // The grammar was checked, so Double's parser accepts the text (huge values become ±infinity).
        return .double(Double(text(from: start)) ?? .nan)
    }

    /// Reads a number whose value is whole and in `Int64`'s range (`12`, `-3`, `1.0`, `2e3`).
    @inlinable
    public mutating func readInt64() throws(JSONScanError) -> Int64 {
        let number = try readNumber()
        guard let value = number.wholeValue else { throw error("\(number) is not a whole number in the 64-bit integer range") }
        return value
    }

    /// Reads any number as the nearest `Double`.
    @inlinable
    public mutating func readDouble() throws(JSONScanError) -> Double {
        try readNumber().doubleValue
    }

    /// Reads a number and returns its text exactly as written.
    @inlinable
    public mutating func readNumberText() throws(JSONScanError) -> String {
        let (start, _) = try scanNumber()
        return text(from: start)
    }

    /// The input from `start` to the current offset, as a string.
    @inlinable
    func text(from start: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
    }

    /// Moves past a number (RFC 8259 grammar) and returns where it started and whether it has
    /// neither fraction nor exponent.
    @inlinable
    mutating func scanNumber() throws(JSONScanError) -> (start: Int, integral: Bool) {
        skipWhitespace()
        let start = offset
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let intStart = offset
        skipDigits()
        guard offset > intStart else {
            offset = start
            throw error(intStart > start ? "expected a digit after '-'" : "expected a number")
        }
        guard offset - intStart == 1 || bytes[intStart] != UInt8(ascii: "0") else {
            throw JSONScanError(offset: intStart, reason: "number with a leading zero")
        }
        var integral = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            integral = false
            offset += 1
            let fractionStart = offset
            skipDigits()
            guard offset > fractionStart else { throw error("expected digits after '.' in a number") }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            integral = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            let exponentStart = offset
            skipDigits()
            guard offset > exponentStart else { throw error("expected digits in a number's exponent") }
        }
        return (start, integral)
    }

    @inlinable
    mutating func skipDigits() {
        while offset < bytes.count, bytes[offset] &- UInt8(ascii: "0") < 10 { offset += 1 }
    }
}

/// Why JSON input was rejected: the byte offset of the problem and what is wrong there.
public struct JSONScanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The byte offset in the input where the problem was found.
    public let offset: Int
    /// What is wrong, e.g. `unpaired surrogate in a \u escape`.
    public let reason: String

    /// Creates an error.
    @inlinable
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// One sentence naming the offset and the problem.
    public var description: String { "JSON input is not valid at byte \(offset): \(reason)" }
}
