/// libFuzzer entry point: summarising any input must return a `TraceSummary` or throw a
/// `TraceError` — never trap, overflow, read out of bounds (ASan checks that) or hang (libFuzzer's
/// -timeout), and memory stays within -rss_limit_mb.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTraceReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let summary = try TraceSummarizer.summarize(bytes)
        // A summary never claims more events than the input has bytes.
        precondition(summary.goroutines.created <= size && summary.schedLatencySeconds.count <= size)
        precondition(summary.durationSeconds >= 0 && summary.schedLatencySeconds.p50 <= summary.schedLatencySeconds.max)
    } catch {
        precondition(!error.description.isEmpty)
    }
    return 0
}
