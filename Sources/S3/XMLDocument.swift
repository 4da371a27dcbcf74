/// A minimal XML element tree for S3's answers: names without namespace prefixes, text, children; attributes,
/// comments, processing instructions and the doctype are skipped. Pure; no libxml2.
struct XMLElement: Sendable, Equatable {
    var name: String
    var text: String = ""
    var children: [XMLElement] = []

    /// The first child named `name`.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// Every child named `name`.
    func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child named `name`.
    func value(_ name: String) -> String? { child(name)?.text }

    /// Parses `bytes` into the root element, or nil when they are not well-formed XML.
    static func parse(_ bytes: [UInt8]) -> XMLElement? {
        var parser = XMLScanner(bytes: bytes)
        return parser.document()
    }
}

/// The scanner behind `XMLElement.parse`.
private struct XMLScanner {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() -> XMLElement? {
        var stack: [XMLElement] = []
        var root: XMLElement?
        var text: [UInt8] = []
        while i < bytes.count {
            if bytes[i] != UInt8(ascii: "<") {
                text.append(bytes[i])
                i += 1
                continue
            }
            if starts("<![CDATA[") {
                guard let end = find("]]>", from: i + 9) else { return nil }
                text += bytes[(i + 9)..<end]
                i = end + 3
                continue
            }
            if starts("<!--") { guard let end = find("-->", from: i + 4) else { return nil }; i = end + 3; continue }
            if starts("<?") { guard let end = find("?>", from: i + 2) else { return nil }; i = end + 2; continue }
            if starts("<!") { guard let end = find(">", from: i + 2) else { return nil }; i = end + 1; continue }
            guard let end = find(">", from: i + 1) else { return nil }
            var tag = Array(bytes[(i + 1)..<end])
            i = end + 1
            if tag.first == UInt8(ascii: "/") {
                guard var element = stack.popLast(), localName(Array(tag.dropFirst())) == element.name,
                      let decoded = decode(text) else { return nil }
                element.text += decoded
                text = []
                if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
                continue
            }
            // Text between a parent's start and a child is whitespace in S3's documents; keep only leaf text.
            if !stack.isEmpty {
                guard let decoded = decode(text) else { return nil }
                stack[stack.count - 1].text += decoded
            }
            text = []
            let selfClosing = tag.last == UInt8(ascii: "/")
            if selfClosing { tag.removeLast() }
            let element = XMLElement(name: localName(tag))
            if selfClosing {
                if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
            } else {
                stack.append(element)
            }
        }
        guard stack.isEmpty, let root else { return nil }
        return clean(root)
    }

    /// Drops the whitespace text of elements that have children.
    private func clean(_ e: XMLElement) -> XMLElement {
        var e = e
        if !e.children.isEmpty {
            e.text = ""
            e.children = e.children.map(clean)
        }
        return e
    }

    private func starts(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return i + u.count <= bytes.count && Array(bytes[i..<(i + u.count)]) == u
    }

    private func find(_ s: String, from: Int) -> Int? {
        let u = Array(s.utf8)
        var j = from
        while j + u.count <= bytes.count {
            if bytes[j] == u[0], Array(bytes[j..<(j + u.count)]) == u { return j }
            j += 1
        }
        return nil
    }

    /// The tag's name without attributes or a namespace prefix.
    private func localName(_ tag: [UInt8]) -> String {
        let name = tag.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        let local = name.split(separator: UInt8(ascii: ":")).last ?? name[...]
        return String(decoding: local, as: UTF8.self)
    }

    /// Text with the five named entities and numeric character references resolved; nil on a bad reference.
    private func decode(_ raw: [UInt8]) -> String? {
        let s = String(decoding: raw, as: UTF8.self)
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { return nil }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number: UInt32? = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                guard let number, let scalar = Unicode.Scalar(number) else { return nil }
                out.unicodeScalars.append(scalar)
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}
