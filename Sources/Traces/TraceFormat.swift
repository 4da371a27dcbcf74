// The wire format of Go execution traces from Go 1.22 on (Go's internal/trace/tracev2): a 16-byte
// header, then batches. Each batch: a type byte (EventBatch, or ExperimentalBatch plus an experiment
// byte), uvarints generation, M, base timestamp and size, then `size` bytes. Batches whose first byte
// is Strings, Stacks, CPUSamples or the sync marker hold tables; the rest hold one M's timed events:
// a type byte, the timestamp delta since the previous event of the batch, then the event's arguments.
// Go 1.26 (written by Go 1.26 and 1.27) adds a lone EndOfGeneration byte between generations.

/// The Go execution trace format versions this module reads, by the minor version in the header.
public enum TraceFormat: Int, Sendable, Hashable, Comparable, CaseIterable {
    /// `go 1.22 trace`.
    case go122 = 22
    /// `go 1.23 trace` (written by Go 1.23 and 1.24): coroutine switches, GoCreateBlocked, GoStatusStack.
    case go123 = 23
    /// `go 1.25 trace`: sync batches with clock snapshots.
    case go125 = 25
    /// `go 1.26 trace` (written by Go 1.26 and 1.27): in-band end-of-generation markers.
    case go126 = 26

    public static func < (a: TraceFormat, b: TraceFormat) -> Bool { a.rawValue < b.rawValue }

    /// The header as written at the start of the file, without its NUL padding.
    public var header: String { "go 1.\(rawValue) trace" }

    /// Reads the format from the first 16 bytes of `bytes`.
    public static func detect(_ bytes: [UInt8]) throws(TraceError) -> TraceFormat {
        let prefix: [UInt8] = Array("go 1.".utf8)
        guard bytes.count >= 16, Array(bytes[0..<5]) == prefix else { throw TraceError(.notATrace) }
        var minor = 0
        var index = 5
        while index < 8, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            minor = minor * 10 + Int(bytes[index] - 0x30)
            index += 1
        }
        let rest: [UInt8] = Array(" trace".utf8) + [0, 0, 0]
        guard index > 5, index + rest.count <= bytes.count, Array(bytes[index..<(index + rest.count)]) == rest else {
            throw TraceError(.notATrace)
        }
        // Old-format headers are "go 1.N trace\0\0\0\0" too, padded to 16 bytes.
        if minor <= 21 { throw TraceError(.oldFormat(minor: minor)) }
        guard index + rest.count == 16, let format = TraceFormat(rawValue: minor) else {
            throw TraceError(.unsupportedVersion(minor: minor))
        }
        return format
    }
}

/// Event type bytes (tracev2's EventType numbering, identical in every format version).
enum Ev {
    static let eventBatch: UInt8 = 1
    static let stacks: UInt8 = 2
    static let stack: UInt8 = 3
    static let strings: UInt8 = 4
    static let string: UInt8 = 5
    static let cpuSamples: UInt8 = 6
    static let frequency: UInt8 = 8
    static let procsChange: UInt8 = 9
    static let procStart: UInt8 = 10
    static let procStop: UInt8 = 11
    static let procSteal: UInt8 = 12
    static let procStatus: UInt8 = 13
    static let goCreate: UInt8 = 14
    static let goCreateSyscall: UInt8 = 15
    static let goStart: UInt8 = 16
    static let goDestroy: UInt8 = 17
    static let goDestroySyscall: UInt8 = 18
    static let goStop: UInt8 = 19
    static let goBlock: UInt8 = 20
    static let goUnblock: UInt8 = 21
    static let goSyscallBegin: UInt8 = 22
    static let goSyscallEnd: UInt8 = 23
    static let goSyscallEndBlocked: UInt8 = 24
    static let goStatus: UInt8 = 25
    static let stwBegin: UInt8 = 26
    static let stwEnd: UInt8 = 27
    static let gcActive: UInt8 = 28
    static let gcBegin: UInt8 = 29
    static let gcEnd: UInt8 = 30
    static let heapAlloc: UInt8 = 37
    static let userLog: UInt8 = 44
    static let goSwitch: UInt8 = 45
    static let goSwitchDestroy: UInt8 = 46
    static let goCreateBlocked: UInt8 = 47
    static let goStatusStack: UInt8 = 48
    static let experimentalBatch: UInt8 = 49
    static let sync: UInt8 = 50
    static let clockSnapshot: UInt8 = 51
    static let endOfGeneration: UInt8 = 52

    /// Arguments after the timestamp delta of each timed event (the format's spec table), 0xFF
    /// for bytes that are not a timed event in `format`.
    static func argumentCounts(_ format: TraceFormat) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        // ProcsChange ... UserLog: every version.
        let go122: [UInt8] = [
            2, 2, 0, 3, 2,  // ProcsChange, ProcStart, ProcStop, ProcSteal, ProcStatus
            3, 1, 2, 0, 0,  // GoCreate, GoCreateSyscall, GoStart, GoDestroy, GoDestroySyscall
            2, 2, 3, 2, 0, 0, 3,  // GoStop, GoBlock, GoUnblock, GoSyscallBegin, GoSyscallEnd, GoSyscallEndBlocked, GoStatus
            2, 0,  // STWBegin, STWEnd
            1, 2, 1, 1, 1, 2, 1, 1, 0, 1, 1,  // GCActive ... HeapGoal
            1, 4, 2, 3, 3, 4,  // GoLabel, UserTaskBegin, UserTaskEnd, UserRegionBegin, UserRegionEnd, UserLog
        ]
        for (offset, count) in go122.enumerated() { table[Int(procsChange) + offset] = count }
        if format >= .go123 {
            // GoSwitch, GoSwitchDestroy, GoCreateBlocked, GoStatusStack.
            for (offset, count) in [UInt8(2), 2, 3, 4].enumerated() { table[Int(goSwitch) + offset] = count }
        }
        return table
    }
}

/// Goroutine statuses in GoStatus events.
enum GoStatusCode {
    static let runnable: UInt64 = 1
    static let running: UInt64 = 2
    static let syscall: UInt64 = 3
    static let waiting: UInt64 = 4
}

/// Limits of the format (tracev2): larger values mean a damaged or hostile trace.
enum Limits {
    static let maxBatchSize = 64 << 10
    static let maxFramesPerStack: UInt64 = 128
    static let maxStringSize: UInt64 = 1 << 10
}
