// libFuzzer entry point for the goroutine dump (debug=2), count profile text (debug=1) and expvar parsers.
// The first input byte selects the parser so one corpus exercises all three; the rest is the document.
// Parsers must never crash: they return a value or throw their typed error.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGoroutineParsers(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let selector = data[0] % 3
    let body = UnsafeBufferPointer(start: data + 1, count: size - 1)
    switch selector {
    case 0:
        if let dump = try? GoroutineDump.parse(buffer: body) {
            for record in dump.goroutines { _ = record.signature }
        }
    case 1:
        if let text = try? GoroutineProfileText.parse(buffer: body) {
            for group in text.groups { _ = group.signature }
        }
        _ = GoroutineProfileText.readTotal(fromPrefix: Array(body))
    default:
        _ = try? ExpVars.parse(buffer: body)
    }
    return 0
}
