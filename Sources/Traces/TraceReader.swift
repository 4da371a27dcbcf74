// Splits a trace into generations of batches and reads each generation's string and stack tables.
// Everything is positions into the caller's byte buffer: nothing is copied but table strings.

/// One batch of timed events of one M: its base timestamp and the byte range of its events.
struct EventBatch {
    var m: UInt64
    var time: UInt64
    var start: Int
    var end: Int
}

/// A function, file and line of a stack frame.
public struct TraceFrame: Sendable, Hashable, Codable {
    /// Fully qualified function name, e.g. `main.traceChanWaiter`.
    public var function: String
    /// Source file path.
    public var file: String
    /// Line number.
    public var line: Int

    /// Creates a frame.
    public init(function: String, file: String, line: Int) {
        self.function = function
        self.file = file
        self.line = line
    }
}

/// One generation: its event batches grouped by M (in order of first appearance) and its tables.
struct Generation {
    var number: UInt64
    var ms: [UInt64] = []
    var batchesByM: [UInt64: [EventBatch]] = [:]
    var strings: [UInt64: String] = [:]
    /// Stack ID → byte range of its frames (4 uvarints each), decoded only when a stack is shown.
    var stacks: [UInt64: (start: Int, frames: Int)] = [:]
    /// Timestamp ticks per second.
    var ticksPerSecond: UInt64 = 0
}

/// Uvarint reading over the trace bytes with bounds and overflow checks.
struct ByteReader {
    let base: UnsafePointer<UInt8>
    let count: Int

    @inline(__always)
    func uvarint(_ pos: inout Int, _ end: Int) throws(TraceError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < end else { throw TraceError(.truncated(offset: pos)) }
            let byte = base[pos]
            pos += 1
            if shift == 63 && byte > 1 { throw TraceError(.malformed(offset: pos - 1, what: "a varint overflows 64 bits")) }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
            if shift > 63 { throw TraceError(.malformed(offset: pos - 1, what: "a varint is longer than 10 bytes")) }
        }
    }

    @inline(__always)
    func byte(_ pos: inout Int, _ end: Int) throws(TraceError) -> UInt8 {
        guard pos < end else { throw TraceError(.truncated(offset: pos)) }
        defer { pos += 1 }
        return base[pos]
    }

    func string(_ start: Int, _ length: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base + start, count: length), as: UTF8.self)
    }
}

/// Reads generations one after another from the bytes after the header.
struct GenerationReader {
    let reader: ByteReader
    let format: TraceFormat
    var pos = 16

    init(_ reader: ByteReader, format: TraceFormat) {
        self.reader = reader
        self.format = format
    }

    /// The next complete generation, or nil at the end of the trace.
    mutating func next() throws(TraceError) -> Generation? {
        var generation: Generation?
        let end = reader.count
        while pos < end {
            let batchStart = pos
            var p = pos
            let type = try reader.byte(&p, end)
            if type == Ev.endOfGeneration && format >= .go126 {
                pos = p
                if generation != nil { break }
                continue
            }
            var experiment: UInt8 = 0
            if type == Ev.experimentalBatch && format >= .go123 {
                experiment = try reader.byte(&p, end)
            } else if type != Ev.eventBatch {
                throw TraceError(.malformed(offset: batchStart, what: "expected a batch, found event type \(type)"))
            }
            let gen = try reader.uvarint(&p, end)
            let m = try reader.uvarint(&p, end)
            let time = try reader.uvarint(&p, end)
            let size = try reader.uvarint(&p, end)
            guard size <= UInt64(Limits.maxBatchSize) else {
                throw TraceError(.malformed(offset: batchStart, what: "batch size \(size) exceeds the format's 64 KiB"))
            }
            guard gen != 0 else { throw TraceError(.malformed(offset: batchStart, what: "generation number 0")) }
            let dataStart = p
            let dataEnd = p + Int(size)
            guard dataEnd <= end else { throw TraceError(.truncated(offset: end)) }
            if let current = generation, current.number != gen {
                // Before Go 1.26 a generation ends where the next one's first batch starts.
                break
            }
            pos = dataEnd
            if generation == nil { generation = Generation(number: gen) }
            guard experiment == 0, size > 0 else { continue }
            let first = reader.base[dataStart]
            if first == Ev.strings {
                try readStrings(into: &generation!, dataStart + 1, dataEnd)
            } else if first == Ev.stacks {
                try readStacks(into: &generation!, dataStart + 1, dataEnd)
            } else if first == Ev.cpuSamples {
                continue
            } else if format < .go125 && first == Ev.frequency {
                try readSync(into: &generation!, dataStart, dataEnd, time: time)
            } else if format >= .go125 && first == Ev.sync {
                try readSync(into: &generation!, dataStart + 1, dataEnd, time: time)
            } else {
                if generation!.batchesByM[m] == nil { generation!.ms.append(m) }
                generation!.batchesByM[m, default: []].append(EventBatch(m: m, time: time, start: dataStart, end: dataEnd))
            }
        }
        if let generation, generation.ticksPerSecond == 0 {
            throw TraceError(.malformed(offset: pos, what: "generation \(generation.number) has no frequency event"))
        }
        return generation
    }

    private func readStrings(into generation: inout Generation, _ start: Int, _ end: Int) throws(TraceError) {
        var p = start
        while p < end {
            let at = p
            guard try reader.byte(&p, end) == Ev.string else {
                throw TraceError(.malformed(offset: at, what: "a string table holds a non-string event"))
            }
            let id = try reader.uvarint(&p, end)
            let length = try reader.uvarint(&p, end)
            guard length <= Limits.maxStringSize else {
                throw TraceError(.malformed(offset: at, what: "string of \(length) bytes exceeds the format's 1 KiB"))
            }
            guard p + Int(length) <= end else { throw TraceError(.truncated(offset: end)) }
            if generation.strings[id] == nil { generation.strings[id] = reader.string(p, Int(length)) }
            p += Int(length)
        }
    }

    private func readStacks(into generation: inout Generation, _ start: Int, _ end: Int) throws(TraceError) {
        var p = start
        while p < end {
            let at = p
            guard try reader.byte(&p, end) == Ev.stack else {
                throw TraceError(.malformed(offset: at, what: "a stack table holds a non-stack event"))
            }
            let id = try reader.uvarint(&p, end)
            let frames = try reader.uvarint(&p, end)
            guard frames <= Limits.maxFramesPerStack else {
                throw TraceError(.malformed(offset: at, what: "stack of \(frames) frames exceeds the format's 128"))
            }
            let framesStart = p
            for _ in 0..<(frames * 4) { _ = try reader.uvarint(&p, end) }
            if generation.stacks[id] == nil { generation.stacks[id] = (framesStart, Int(frames)) }
        }
    }

    private func readSync(into generation: inout Generation, _ start: Int, _ end: Int, time: UInt64) throws(TraceError) {
        var p = start
        while p < end {
            let at = p
            let type = try reader.byte(&p, end)
            if type == Ev.frequency {
                let frequency = try reader.uvarint(&p, end)
                guard frequency > 0 else { throw TraceError(.malformed(offset: at, what: "timestamp frequency 0")) }
                generation.ticksPerSecond = frequency
            } else if type == Ev.clockSnapshot && format >= .go125 {
                for _ in 0..<4 { _ = try reader.uvarint(&p, end) }
            } else {
                throw TraceError(.malformed(offset: at, what: "a sync batch holds event type \(type)"))
            }
        }
    }

    /// The frames of stack `id` in `generation` (empty when the stack is unknown or 0).
    func frames(of id: UInt64, in generation: Generation) -> [TraceFrame] {
        guard id != 0, let stack = generation.stacks[id] else { return [] }
        var p = stack.start
        var frames: [TraceFrame] = []
        frames.reserveCapacity(stack.frames)
        for _ in 0..<stack.frames {
            // Already validated when the table was read.
            guard (try? reader.uvarint(&p, reader.count)) != nil,
                  let function = try? reader.uvarint(&p, reader.count),
                  let file = try? reader.uvarint(&p, reader.count),
                  let line = try? reader.uvarint(&p, reader.count)
            else { break }
            frames.append(TraceFrame(
                function: generation.strings[function] ?? "?", file: generation.strings[file] ?? "?",
                line: Int(truncatingIfNeeded: min(line, UInt64(Int32.max)))))
        }
        return frames
    }
}
