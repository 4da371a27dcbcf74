// Replays a trace into a TraceSummary. Events that carry no goroutine id (GoBlock, GoStop,
// GoDestroy, syscalls, STW) apply to the goroutine the M is running, so each M's events are replayed
// against that M's state. Cross-M measures (scheduler latency: an unblock on one M, the start on
// another; goroutines alive at once) need one order: the Ms' event streams are merged by timestamp,
// and an event that depends on another M's (a GoStart whose goroutine is not yet runnable, by the
// goroutine's sequence number) waits while other Ms advance, as Go's own parser orders them.

/// Summarises Go execution traces (format go 1.22 to go 1.26).
public enum TraceSummarizer {
    /// Summarises the trace in `bytes` (the body of /debug/pprof/trace).
    ///
    /// Throws `TraceError` with reason `.oldFormat` for Go 1.21-and-older traces, and for bytes that
    /// are not a trace or are truncated or damaged. Work and memory are linear in the input.
    public static func summarize(_ bytes: [UInt8]) throws(TraceError) -> TraceSummary {
        let format = try TraceFormat.detect(bytes)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(TraceError) -> TraceSummary in
            guard let base = buffer.baseAddress else { throw TraceError(.notATrace) }
            var replay = Replay(reader: ByteReader(base: base, count: buffer.count), format: format)
            return try replay.run()
        }
    }
}

/// What the replay knows about a goroutine.
struct GoState {
    var status: UInt64 = 0  // GoStatusCode, 0 for unknown
    var seqGen: UInt64 = 0
    var seq: UInt64 = 0
    var runnableSince: UInt64 = 0  // 0: not runnable, or runnable since before the trace
    var blockedSince: UInt64 = 0
    var blockSite: Int = -1  // index into Replay.sites while blocked
}

/// One M's event stream in a generation, decoded one event ahead.
struct Cursor {
    init(slot: Int, m: UInt64, batches: [EventBatch], nsPerTick: Double) {
        self.slot = slot
        self.m = m
        self.batches = batches
        self.nsPerTick = nsPerTick
        wholeNsPerTick = nsPerTick >= 1 && nsPerTick < 1e6 && nsPerTick == nsPerTick.rounded() ? UInt64(nsPerTick) : 0
    }

    var slot: Int  // index of the M in Replay.mCurrent
    var m: UInt64
    var batches: [EventBatch]
    var batchIndex = -1
    var pos = 0
    var end = 0
    var lastTs: UInt64 = 0  // nanoseconds, accumulated as Go's parser does (each delta truncated)
    var ts: UInt64 = 0
    var type: UInt8 = 0
    let nsPerTick: Double
    /// `nsPerTick` when it is a whole number (64 on Linux/amd64), for exact integer conversion; else 0.
    let wholeNsPerTick: UInt64
    var a0: UInt64 = 0, a1: UInt64 = 0, a2: UInt64 = 0, a3: UInt64 = 0

    /// Decodes the next event; false when the stream is exhausted.
    @inline(__always)
    mutating func advance(_ reader: ByteReader, _ argumentCounts: UnsafePointer<UInt8>) throws(TraceError) -> Bool {
        while pos >= end {
            batchIndex += 1
            guard batchIndex < batches.count else { return false }
            pos = batches[batchIndex].start
            end = batches[batchIndex].end
            lastTs = nanoseconds(batches[batchIndex].time)
        }
        let at = pos
        let type = reader.base[pos]
        pos += 1
        let count = argumentCounts[Int(type)]
        guard count != 0xFF else {
            throw TraceError(.malformed(offset: at, what: "event type \(type) is not a timed event of this format"))
        }
        let dt = try next(reader)
        lastTs &+= nanoseconds(dt)
        ts = lastTs
        self.type = type
        if count > 0 { a0 = try next(reader) }
        if count > 1 { a1 = try next(reader) }
        if count > 2 { a2 = try next(reader) }
        if count > 3 { a3 = try next(reader) }
        return true
    }

    /// A uvarint, with the one-byte case inline.
    @inline(__always)
    mutating func next(_ reader: ByteReader) throws(TraceError) -> UInt64 {
        if pos < end {
            let byte = reader.base[pos]
            if byte < 0x80 {
                pos += 1
                return UInt64(byte)
            }
        }
        return try reader.uvarint(&pos, end)
    }

    /// `ticks` in nanoseconds, truncated (Go's `Time(float64(t) * float64(freq))`); saturates on hostile values.
    /// With a whole `nsPerTick` and a product below 2^53 the float product is exact, so integers give the same.
    @inline(__always)
    func nanoseconds(_ ticks: UInt64) -> UInt64 {
        if wholeNsPerTick != 0 && ticks < (1 << 53) / wholeNsPerTick { return ticks &* wholeNsPerTick }
        let ns = Double(ticks) * nsPerTick
        return ns < 1.8e19 ? UInt64(ns) : UInt64.max / 2
    }
}

struct Replay {
    let reader: ByteReader
    let format: TraceFormat
    let argumentCounts: [UInt8]

    // Per generation.
    var generation = Generation(number: 0)
    var generationIndex = 0
    var reasonByString: [UInt64: Int] = [:]
    var siteByStack: [UInt64: Int] = [:]  // (stack ID) → index into stacks
    var stwKindByString: [UInt64: Int] = [:]

    // Across generations.
    var mSlots: [UInt64: Int] = [:]
    var mCurrent: [UInt64] = []  // goroutine each M runs, 0 for none
    var goroutines = GoTable()
    var minTs = UInt64.max
    var maxTs: UInt64 = 0
    var lastEmitted: UInt64 = 0

    var gcCount = 0
    var gcOpen: UInt64?
    var gcOpenFromStart = false
    var gcTicks: UInt64 = 0

    var stwKinds: [String] = []
    var stwKindIndex: [String: Int] = [:]
    var stwCount: [Int] = []
    var stwTicks: [UInt64] = []
    var stwMax: [UInt64] = []
    var stwOpen: [UInt64: (since: UInt64, kind: Int)] = [:]

    var created = 0, ended = 0, atStart = 0, alive = 0, maxAlive = 0
    var syscalls = 0
    var latencies: [UInt64] = []
    var heapMin = UInt64.max, heapMax: UInt64 = 0
    var gomaxprocs: UInt64?

    var reasons: [String] = []
    var reasonIndex: [String: Int] = [:]
    var reasonCount: [Int] = []
    var reasonTicks: [UInt64] = []
    var stacks: [[TraceFrame]] = [[]]  // 0: no stack
    var stackIndex: [[TraceFrame]: Int] = [[]: 0]
    var sites: [(reason: Int, stack: Int, count: Int, ticks: UInt64)] = []
    var siteIndex: [Int: Int] = [:]  // reason << 32 | stack → index into sites

    init(reader: ByteReader, format: TraceFormat) {
        self.reader = reader
        self.format = format
        self.argumentCounts = Ev.argumentCounts(format)
        // About one scheduling per 10 bytes of trace in goroutine-heavy traces: growing the array by doubling
        // would copy it several times.
        latencies.reserveCapacity(min(reader.count / 10, 1 << 24))
    }

    mutating func run() throws(TraceError) -> TraceSummary {
        var generations = GenerationReader(reader, format: format)
        while let next = try generations.next() {
            generation = next
            reasonByString.removeAll(keepingCapacity: true)
            siteByStack.removeAll(keepingCapacity: true)
            stwKindByString.removeAll(keepingCapacity: true)
            try replayGeneration(generations)
            generationIndex += 1
        }
        guard generationIndex > 0 else { throw TraceError(.truncated(offset: reader.count)) }
        return finish()
    }

    mutating func slot(of m: UInt64) -> Int {
        if let slot = mSlots[m] { return slot }
        mSlots[m] = mCurrent.count
        mCurrent.append(0)
        return mCurrent.count - 1
    }

    mutating func replayGeneration(_ generations: GenerationReader) throws(TraceError) {
        var cursors: [Cursor] = []
        for m in generation.ms {
            cursors.append(Cursor(
                slot: slot(of: m), m: m, batches: generation.batchesByM[m] ?? [],
                nsPerTick: 1.0 / (Double(generation.ticksPerSecond) / 1e9)))
        }
        try argumentCounts.withUnsafeBufferPointer { (counts) throws(TraceError) in
          try cursors.withUnsafeMutableBufferPointer { (cursors) throws(TraceError) in
            let counts = counts.baseAddress!
            var heap = CursorHeap()
            for index in cursors.indices where try cursors[index].advance(reader, counts) {
                heap.push(index, cursors)
            }
            var tried: [Int] = []
            while let first = heap.pop(cursors) {
                var chosen = -1
                if apply(&cursors[first], force: false) {
                    chosen = first
                } else {
                    // Let other Ms advance first (the event waits for one of theirs); bounded, then forced.
                    tried.append(first)
                    while tried.count < 64, let other = heap.pop(cursors) {
                        if apply(&cursors[other], force: false) { chosen = other; break }
                        tried.append(other)
                    }
                    if chosen < 0 {
                        chosen = first
                        _ = apply(&cursors[first], force: true)
                    }
                    for index in tried where index != chosen { heap.push(index, cursors) }
                    tried.removeAll(keepingCapacity: true)
                }
                // Stay on this M while its next event is still the earliest (no heap traffic).
                while try cursors[chosen].advance(reader, counts) {
                    if let top = heap.top, !CursorHeap.less(chosen, top, cursors) {
                        heap.push(chosen, cursors)
                        break
                    }
                    guard apply(&cursors[chosen], force: false) else {
                        heap.push(chosen, cursors)
                        break
                    }
                }
            }
          }
        }
    }

    // MARK: - Events

    /// Applies the cursor's current event; false if it must wait for another M (never when `force`).
    @inline(__always)
    mutating func apply(_ c: inout Cursor, force: Bool) -> Bool {
        // Go's reader makes event times strictly increasing (a later event at or before the last gets last + 1 ns).
        let ts = c.ts > lastEmitted ? c.ts : lastEmitted &+ 1
        switch c.type {
        case Ev.goStart:
            let g = c.a0
            let i = goroutines.slot(of: g)
            let state = goroutines[slot: i]
            if !force && !(state.status == GoStatusCode.runnable && succeeds(c.a1, state)) { return false }
            if state.runnableSince != 0 && ts >= state.runnableSince { latencies.append(ts - state.runnableSince) }
            goroutines[slot: i].status = GoStatusCode.running
            goroutines[slot: i].runnableSince = 0
            goroutines[slot: i].seqGen = generation.number
            goroutines[slot: i].seq = c.a1
            mCurrent[c.slot] = g
        case Ev.goUnblock:
            let g = c.a0
            let i = goroutines.slot(of: g)
            if !force && !(goroutines[slot: i].status == GoStatusCode.waiting && succeeds(c.a1, goroutines[slot: i])) {
                return false
            }
            endBlock(slot: i, ts)
            goroutines[slot: i].status = GoStatusCode.runnable
            goroutines[slot: i].runnableSince = ts
            setSeq(&goroutines[slot: i], c.a1)
        case Ev.goSwitch, Ev.goSwitchDestroy:
            let next = c.a0
            var state = goroutines[next]
            if !force && !(state.status == GoStatusCode.waiting && succeeds(c.a1, state)) { return false }
            let current = mCurrent[c.slot]
            if current != 0 {
                if c.type == Ev.goSwitch {
                    // Go's parser records a coroutine switch as a block with no reason and no stack.
                    block(current, reasonIndex: reason(named: "coroutine switch"), stack: 0, at: ts)
                } else {
                    destroy(current, at: ts)
                }
            }
            endBlock(&state, ts)
            state.status = GoStatusCode.running
            setSeq(&state, c.a1)
            goroutines[next] = state
            mCurrent[c.slot] = next
        case Ev.goCreate, Ev.goCreateBlocked:
            created += 1
            alive += 1
            if alive > maxAlive { maxAlive = alive }
            let runnable = c.type == Ev.goCreate
            let i = goroutines.slot(of: c.a0)
            goroutines[slot: i] = GoState(
                status: runnable ? GoStatusCode.runnable : GoStatusCode.waiting, seqGen: generation.number, seq: 0,
                runnableSince: runnable ? ts : 0)
        case Ev.goCreateSyscall:
            created += 1
            alive += 1
            if alive > maxAlive { maxAlive = alive }
            goroutines[c.a0] = GoState(status: GoStatusCode.syscall, seqGen: generation.number, seq: 0)
            mCurrent[c.slot] = c.a0
        case Ev.goDestroy, Ev.goDestroySyscall:
            let current = mCurrent[c.slot]
            if current != 0 { destroy(current, at: ts) }
            mCurrent[c.slot] = 0
        case Ev.goStop:
            stopRunning(onSlot: c.slot, at: ts)
        case Ev.goBlock:
            let current = mCurrent[c.slot]
            if current != 0 {
                block(current, reasonIndex: reason(forString: c.a0), stack: stack(forID: c.a1), at: ts)
            }
            mCurrent[c.slot] = 0
        case Ev.goSyscallBegin:
            syscalls += 1
            let current = mCurrent[c.slot]
            if current != 0 { goroutines[slot: goroutines.slot(of: current)].status = GoStatusCode.syscall }
        case Ev.goSyscallEnd:
            let current = mCurrent[c.slot]
            if current != 0 { goroutines[slot: goroutines.slot(of: current)].status = GoStatusCode.running }
        case Ev.goSyscallEndBlocked:
            stopRunning(onSlot: c.slot, at: ts)
        case Ev.goStatus, Ev.goStatusStack:
            let g = c.a0, mid = c.a1, status = c.a2
            var state = goroutines[g]
            if state.status == 0 {
                if generationIndex == 0 {
                    atStart += 1
                    alive += 1
                    if alive > maxAlive { maxAlive = alive }
                }
            }
            if state.status != status {
                state.status = status
                state.runnableSince = 0
            }
            state.seqGen = generation.number
            state.seq = 0
            goroutines[g] = state
            if status == GoStatusCode.running {
                mCurrent[c.slot] = g
            } else if status == GoStatusCode.syscall {
                if mid == c.m {
                    mCurrent[c.slot] = g
                } else {
                    let other = slot(of: mid)
                    if mCurrent[other] == 0 { mCurrent[other] = g }
                }
            }
        case Ev.stwBegin:
            let kind = stwKind(forString: c.a0)
            stwCount[kind] += 1
            stwOpen[stwKey(c)] = (ts, kind)
        case Ev.stwEnd:
            let key = stwKey(c)
            if let open = stwOpen.removeValue(forKey: key), ts >= open.since {
                let ticks = ts - open.since
                stwTicks[open.kind] &+= ticks
                if ticks > stwMax[open.kind] { stwMax[open.kind] = ticks }
            }
        case Ev.gcBegin:
            gcCount += 1
            gcOpen = ts
            gcOpenFromStart = false
        case Ev.gcActive:
            if gcOpen == nil {
                gcOpen = ts
                gcOpenFromStart = generationIndex == 0
            }
        case Ev.gcEnd:
            if let open = gcOpen {
                let since = gcOpenFromStart ? Swift.min(minTs, open) : open
                if ts >= since { gcTicks &+= ts - since }
            }
            gcOpen = nil
        case Ev.heapAlloc:
            if c.a0 < heapMin { heapMin = c.a0 }
            if c.a0 > heapMax { heapMax = c.a0 }
        case Ev.procsChange:
            gomaxprocs = c.a0
        default:
            break
        }
        lastEmitted = ts
        if ts < minTs { minTs = ts }
        if ts > maxTs { maxTs = ts }
        return true
    }

    @inline(__always)
    func succeeds(_ seq: UInt64, _ state: GoState) -> Bool {
        state.seqGen == generation.number && seq == state.seq &+ 1
    }

    @inline(__always)
    func setSeq(_ state: inout GoState, _ seq: UInt64) {
        state.seqGen = generation.number
        state.seq = seq
    }

    /// STW begin and end pair up on the goroutine that stopped the world (or its M when it had none).
    @inline(__always)
    func stwKey(_ c: Cursor) -> UInt64 {
        let current = mCurrent[c.slot]
        return current != 0 ? current : (c.m | (1 << 63))
    }

    /// The goroutine the M of `slot` runs goes back to runnable (preempted, or out of a blocking syscall); the M runs none.
    mutating func stopRunning(onSlot slot: Int, at ts: UInt64) {
        let current = mCurrent[slot]
        if current != 0 {
            let i = goroutines.slot(of: current)
            goroutines[slot: i].status = GoStatusCode.runnable
            goroutines[slot: i].runnableSince = ts
        }
        mCurrent[slot] = 0
    }

    mutating func destroy(_ g: UInt64, at ts: UInt64) {
        ended += 1
        alive -= 1
        let i = goroutines.slot(of: g)
        endBlock(slot: i, ts)
        goroutines[slot: i] = GoState()
    }

    mutating func block(_ g: UInt64, reasonIndex: Int, stack: Int, at ts: UInt64) {
        reasonCount[reasonIndex] += 1
        let key = reasonIndex << 32 | stack
        let site: Int
        if let known = siteIndex[key] {
            site = known
        } else {
            site = sites.count
            siteIndex[key] = site
            sites.append((reasonIndex, stack, 0, 0))
        }
        sites[site].count += 1
        let i = goroutines.slot(of: g)
        goroutines[slot: i].status = GoStatusCode.waiting
        goroutines[slot: i].runnableSince = 0
        goroutines[slot: i].blockedSince = ts
        goroutines[slot: i].blockSite = site
    }

    /// Adds the time `state` was blocked (if it was) up to `ts` to its reason and site.
    mutating func endBlock(slot i: Int, _ ts: UInt64) {
        var state = goroutines[slot: i]
        guard state.blockSite >= 0 else { return }
        endBlock(&state, ts)
        goroutines[slot: i] = state
    }

    mutating func endBlock(_ state: inout GoState, _ ts: UInt64) {
        guard state.blockSite >= 0 else { return }
        let ticks = ts >= state.blockedSince ? ts - state.blockedSince : 0
        sites[state.blockSite].ticks &+= ticks
        reasonTicks[sites[state.blockSite].reason] &+= ticks
        state.blockSite = -1
    }

    mutating func reason(named name: String) -> Int {
        if let index = reasonIndex[name] { return index }
        reasonIndex[name] = reasons.count
        reasons.append(name)
        reasonCount.append(0)
        reasonTicks.append(0)
        return reasons.count - 1
    }

    mutating func reason(forString id: UInt64) -> Int {
        if let index = reasonByString[id] { return index }
        let index = reason(named: generation.strings[id] ?? "unknown reason \(id)")
        reasonByString[id] = index
        return index
    }

    mutating func stack(forID id: UInt64) -> Int {
        if let index = siteByStack[id] { return index }
        let frames = GenerationReader(reader, format: format).frames(of: id, in: generation)
        let index: Int
        if let known = stackIndex[frames] {
            index = known
        } else {
            index = stacks.count
            stacks.append(frames)
            stackIndex[frames] = index
        }
        siteByStack[id] = index
        return index
    }

    mutating func stwKind(forString id: UInt64) -> Int {
        if let index = stwKindByString[id] { return index }
        let name = generation.strings[id] ?? "unknown kind \(id)"
        let index: Int
        if let known = stwKindIndex[name] {
            index = known
        } else {
            index = stwKinds.count
            stwKinds.append(name)
            stwKindIndex[name] = index
            stwCount.append(0)
            stwTicks.append(0)
            stwMax.append(0)
        }
        stwKindByString[id] = index
        return index
    }

    // MARK: - Summary

    /// Pauses the tracer itself causes: StartTrace and StopTrace stop the world.
    static let traceCausedKinds: Set<String> = ["start trace", "stop trace"]

    mutating func finish() -> TraceSummary {
        if minTs > maxTs { minTs = maxTs }
        func seconds(_ ns: UInt64) -> Double { Double(ns) / 1e9 }

        if let open = gcOpen {
            let since = gcOpenFromStart ? Swift.min(minTs, open) : open
            if maxTs >= since { gcTicks &+= maxTs - since }
        }
        var open: [GoState] = []
        goroutines.forEach { if $0.blockSite >= 0 { open.append($0) } }
        for var state in open { endBlock(&state, maxTs) }

        var byKind: [String: TraceSummary.Pause] = [:]
        var stwTotal: UInt64 = 0, stwLongest: UInt64 = 0
        for (index, name) in stwKinds.enumerated() {
            let caused = Self.traceCausedKinds.contains(name)
            byKind[name] = TraceSummary.Pause(
                count: stwCount[index], totalSeconds: seconds(stwTicks[index]), maxSeconds: seconds(stwMax[index]),
                causedByTrace: caused)
            if !caused {
                stwTotal &+= stwTicks[index]
                stwLongest = Swift.max(stwLongest, stwMax[index])
            }
        }

        // Nearest rank: the ceil(p * n)-th smallest.
        func rank(_ p: Double) -> Int {
            Swift.min(latencies.count - 1, Swift.max(0, Int((p * Double(latencies.count)).rounded(.up)) - 1))
        }
        let percentiles = latencies.isEmpty
            ? [0, 0, 0, 0]
            : select(ranks: [rank(0.5), rank(0.9), rank(0.99), latencies.count - 1], in: &latencies).map(seconds)

        var byReason: [String: TraceSummary.Blocked] = [:]
        for (index, name) in reasons.enumerated() where reasonCount[index] > 0 {
            byReason[name] = TraceSummary.Blocked(count: reasonCount[index], seconds: seconds(reasonTicks[index]))
        }
        let top = sites.sorted { a, b in
            if a.ticks != b.ticks { return a.ticks > b.ticks }
            if a.count != b.count { return a.count > b.count }
            return (a.reason, a.stack) < (b.reason, b.stack)
        }.prefix(20)

        return TraceSummary(
            format: format.header,
            generations: generationIndex,
            durationSeconds: seconds(maxTs - minTs),
            gomaxprocs: gomaxprocs.map { Int(truncatingIfNeeded: Swift.min($0, UInt64(Int32.max))) },
            gc: TraceSummary.GC(count: gcCount, seconds: seconds(gcTicks)),
            stw: TraceSummary.StopTheWorld(byKind: byKind, totalSeconds: seconds(stwTotal), maxSeconds: seconds(stwLongest)),
            goroutines: TraceSummary.Goroutines(created: created, ended: ended, atStart: atStart, maxAlive: maxAlive),
            schedLatencySeconds: TraceSummary.Latency(
                count: latencies.count, p50: percentiles[0], p90: percentiles[1], p99: percentiles[2],
                max: percentiles[3]),
            block: TraceSummary.Blocking(
                byReason: byReason,
                topStacks: top.map {
                    TraceSummary.BlockingStack(
                        reason: reasons[$0.reason], frames: stacks[$0.stack], count: $0.count, seconds: seconds($0.ticks))
                }),
            syscalls: syscalls,
            heapLiveBytes: heapMin <= heapMax ? TraceSummary.Range(min: heapMin, max: heapMax) : nil)
    }
}

/// A binary min-heap of cursor indices by (next event time, index).
struct CursorHeap {
    var items: [Int] = []

    @inline(__always)
    static func less(_ a: Int, _ b: Int, _ cursors: UnsafeMutableBufferPointer<Cursor>) -> Bool {
        let ta = cursors[a].ts, tb = cursors[b].ts
        return ta != tb ? ta < tb : a < b
    }

    mutating func push(_ index: Int, _ cursors: UnsafeMutableBufferPointer<Cursor>) {
        items.append(index)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.less(items[i], items[parent], cursors) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    var top: Int? { items.first }

    mutating func pop(_ cursors: UnsafeMutableBufferPointer<Cursor>) -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && Self.less(items[l], items[m], cursors) { m = l }
                if r < items.count && Self.less(items[r], items[m], cursors) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
