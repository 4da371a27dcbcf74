import Profiles

/// Goroutines of one snapshot that share a stack, in a source-independent form: the input of
/// ``GoroutineGrowth/compute(a:b:)``. Builders exist for debug=2 dumps and debug=1 text; a profile.proto
/// builder only has to produce the same fields (normalize names with ``GoroutineSignature/normalize(_:)``).
public struct GoroutineGroupInput: Sendable, Equatable {
    /// Function names leaf first, normalized with ``GoroutineSignature/normalize(_:)``.
    public var signature: [String]
    /// Number of goroutines.
    public var count: Int
    /// Base state / wait reason (`chan receive`, `select`, ...); nil when the source has none (debug=1, proto).
    public var state: String?
    /// Goroutine labels.
    public var labels: [String: String]
    /// Function in the `created by` line; nil when the source has none.
    public var createdBy: String?
    /// Longest wait in minutes among these goroutines; nil when the source has no wait times.
    public var waitMinutes: Int?
    /// Whether any of these goroutines is marked `(leaked)`.
    public var leaked: Bool

    /// Creates an input group.
    public init(
        signature: [String], count: Int, state: String? = nil, labels: [String: String] = [:],
        createdBy: String? = nil, waitMinutes: Int? = nil, leaked: Bool = false
    ) {
        self.signature = signature
        self.count = count
        self.state = state
        self.labels = labels
        self.createdBy = createdBy
        self.waitMinutes = waitMinutes
        self.leaked = leaked
    }

    /// One input per (signature, created-by, labels, state, leaked) of a debug=2 dump; wait times below one
    /// minute count as 0 (the runtime prints whole minutes only).
    public static func groups(from dump: GoroutineDump) -> [GoroutineGroupInput] {
        struct Key: Hashable {
            var signature: [String], createdBy: String?, labels: [String: String], state: String, leaked: Bool
        }
        var index: [Key: Int] = [:]
        var result: [GoroutineGroupInput] = []
        for record in dump.goroutines {
            let key = Key(signature: record.signature, createdBy: record.createdBy?.function, labels: record.labels,
                          state: record.state, leaked: record.leaked)
            let wait = record.waitMinutes ?? 0
            if let at = index[key] {
                result[at].count += 1
                result[at].waitMinutes = max(result[at].waitMinutes ?? 0, wait)
            } else {
                index[key] = result.count
                result.append(GoroutineGroupInput(
                    signature: key.signature, count: 1, state: record.state, labels: record.labels,
                    createdBy: key.createdBy, waitMinutes: wait, leaked: record.leaked))
            }
        }
        return result
    }

    /// The same inputs as ``groups(from:)-(GoroutineDump)`` from groups counted straight off a dump
    /// (``GoroutineDump/groupStacks(buffer:)``), which is how `gbsnap diff` reads large dumps.
    public static func groups(from stacks: [GoroutineStackGroup]) -> [GoroutineGroupInput] {
        stacks.map {
            GoroutineGroupInput(signature: $0.signature, count: $0.count, state: $0.state, labels: $0.labels,
                                createdBy: $0.createdBy, waitMinutes: $0.maxWaitMinutes, leaked: $0.leaked)
        }
    }

    /// One input per block of a debug=1 count profile. That format has no state, creator or wait time; the
    /// state is inferred from the frames where they show it (see ``inferState(rawFunctions:)``), else nil.
    public static func groups(from text: GoroutineProfileText) -> [GoroutineGroupInput] {
        text.groups.map {
            GoroutineGroupInput(signature: $0.signature, count: $0.count,
                                state: inferState(rawFunctions: $0.frames.map(\.function)), labels: $0.labels)
        }
    }

    /// A group from a raw stack as profile.proto carries it: the function name of every `Line` of every `Location`,
    /// leaf first, runtime frames included. The signature is normalized and the state inferred from the runtime
    /// frames, so groups built from the goroutine profile line up with those from dumps and debug=1 text.
    public static func stack(rawFunctions: [String], count: Int, labels: [String: String] = [:]) -> GoroutineGroupInput {
        GoroutineGroupInput(signature: GoroutineSignature.normalize(rawFunctions), count: count,
                            state: inferState(rawFunctions: rawFunctions), labels: labels)
    }

    /// Infers the wait state from un-normalized function names leaf first, as profile.proto samples carry them
    /// (`runtime.gopark`, `runtime.chanrecv1`, ...). debug=1 text hides the leading runtime frames, so there only
    /// IO, sleep and sync waits are recognised. Returns nil when no frame tells.
    public static func inferState(rawFunctions: [String]) -> String? {
        for name in rawFunctions.prefix(12) {
            switch name {
            case "runtime.chanrecv", "runtime.chanrecv1", "runtime.chanrecv2": return "chan receive"
            case "runtime.chansend", "runtime.chansend1": return "chan send"
            case "runtime.selectgo": return "select"
            case "runtime.block": return "select (no cases)"
            case "runtime.netpollblock", "internal/poll.runtime_pollWait": return "IO wait"
            case "time.Sleep": return "sleep"
            case "sync.(*WaitGroup).Wait": return "sync.WaitGroup.Wait"
            case "sync.(*Cond).Wait": return "sync.Cond.Wait"
            case "sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).lockSlow": return "sync.Mutex.Lock"
            case "sync.(*RWMutex).Lock": return "sync.RWMutex.Lock"
            case "sync.(*RWMutex).RLock": return "sync.RWMutex.RLock"
            default: continue
            }
        }
        for name in rawFunctions.prefix(12) where name.hasPrefix("sync.runtime_Semacquire") || name == "runtime.semacquire1" {
            return "semacquire"
        }
        return nil
    }
}

/// Goroutine growth between snapshot A and snapshot B, grouped by stack signature.
public struct GoroutineGrowth: Sendable, Equatable, Codable {
    /// Goroutines in A (sum of the input counts).
    public var totalA: Int
    /// Goroutines in B.
    public var totalB: Int
    /// Groups sorted by delta (descending), then count in B (descending), then signature.
    public var groups: [Group]

    /// How a group changed between A and B.
    public enum Status: String, Sendable, Codable {
        /// Only in B.
        case new
        /// Only in A.
        case vanished
        /// In both, with a different count.
        case changed
        /// In both, same count.
        case unchanged
    }

    /// Goroutines with one signature, created-by function and label set.
    public struct Group: Sendable, Equatable, Codable {
        /// Function names leaf first.
        public var signature: [String]
        /// The most common state in B (in A for vanished groups); nil when the sources have no states.
        public var state: String?
        /// Goroutine count per state in B (in A for vanished groups); empty when the sources have no states.
        public var states: [String: Int]
        /// `created by` function; nil when unknown.
        public var createdBy: String?
        /// Goroutine labels.
        public var labels: [String: String]
        /// Count in A.
        public var countA: Int
        /// Count in B.
        public var countB: Int
        /// `countB - countA`.
        public var delta: Int
        /// Longest wait (minutes) among the group's goroutines in B; nil when B has no wait times.
        public var maxWaitMinutesB: Int?
        /// Whether any goroutine of the group is marked `(leaked)` in B (in A for vanished groups).
        public var leaked: Bool
        /// New, vanished, changed or unchanged.
        public var status: Status
        /// Leak suspect: marked `(leaked)`, or grew while blocked (channel, select, lock, WaitGroup, Cond, or an
        /// HTTP client connection loop left by an unclosed response body).
        public var suspect: Bool
        /// One line naming the usual cause, for suspects; nil otherwise.
        public var hint: String?

        enum CodingKeys: String, CodingKey {
            case signature, state, states, labels, delta, leaked, status, suspect, hint
            case createdBy = "created_by", countA = "count_a", countB = "count_b"
            case maxWaitMinutesB = "max_wait_minutes_b"
        }

        /// Encodes every key, with `null` for absent optional values, so the JSON schema is stable.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(signature, forKey: .signature)
            try c.encode(state, forKey: .state)
            try c.encode(states, forKey: .states)
            try c.encode(createdBy, forKey: .createdBy)
            try c.encode(labels, forKey: .labels)
            try c.encode(countA, forKey: .countA)
            try c.encode(countB, forKey: .countB)
            try c.encode(delta, forKey: .delta)
            try c.encode(maxWaitMinutesB, forKey: .maxWaitMinutesB)
            try c.encode(leaked, forKey: .leaked)
            try c.encode(status, forKey: .status)
            try c.encode(suspect, forKey: .suspect)
            try c.encode(hint, forKey: .hint)
        }
    }

    enum CodingKeys: String, CodingKey {
        case groups
        case totalA = "total_a", totalB = "total_b"
    }

    /// Creates a value.
    public init(totalA: Int, totalB: Int, groups: [Group]) {
        self.totalA = totalA
        self.totalB = totalB
        self.groups = groups
    }

    /// Leak suspects, in table order.
    public var suspects: [Group] { groups.filter(\.suspect) }

    /// Compares two snapshots' groups. Inputs with the same (signature, created-by, labels) are merged, so
    /// several states of one stack form one group whose `state` is the most common one.
    public static func compute(a: [GoroutineGroupInput], b: [GoroutineGroupInput]) -> GoroutineGrowth {
        struct Key: Hashable { var signature: [String], createdBy: String?, labels: [String: String] }
        struct Side {
            var count = 0
            var states: [String: Int] = [:]
            var wait: Int?
            var leaked = false
        }
        var order: [Key] = []
        var sides: [Key: (a: Side, b: Side)] = [:]
        func add(_ input: GoroutineGroupInput, toB: Bool) {
            let key = Key(signature: input.signature, createdBy: input.createdBy, labels: input.labels)
            var entry = sides[key] ?? {
                order.append(key)
                return (Side(), Side())
            }()
            func update(_ side: inout Side) {
                side.count += input.count
                if let state = input.state { side.states[state, default: 0] += input.count }
                if let wait = input.waitMinutes { side.wait = max(side.wait ?? wait, wait) }
                side.leaked = side.leaked || input.leaked
            }
            if toB { update(&entry.b) } else { update(&entry.a) }
            sides[key] = entry
        }
        var totalA = 0
        var totalB = 0
        for input in a {
            totalA += input.count
            add(input, toB: false)
        }
        for input in b {
            totalB += input.count
            add(input, toB: true)
        }
        var groups: [Group] = []
        groups.reserveCapacity(order.count)
        for key in order {
            guard let (sa, sb) = sides[key] else { continue }
            let status: Status = sa.count == 0 && sb.count > 0 ? .new
                : sb.count == 0 && sa.count > 0 ? .vanished
                : sa.count == sb.count ? .unchanged : .changed
            let reference = status == .vanished ? sa : sb
            let state = reference.states.max { l, r in l.value != r.value ? l.value < r.value : l.key > r.key }?.key
            var group = Group(
                signature: key.signature, state: state, states: reference.states, createdBy: key.createdBy,
                labels: key.labels, countA: sa.count, countB: sb.count, delta: sb.count - sa.count,
                maxWaitMinutesB: sb.count > 0 ? sb.wait : nil, leaked: reference.leaked, status: status,
                suspect: false, hint: nil)
            group.hint = LeakHeuristics.hint(for: group)
            group.suspect = group.hint != nil
            groups.append(group)
        }
        groups.sort { l, r in
            if l.delta != r.delta { return l.delta > r.delta }
            if l.countB != r.countB { return l.countB > r.countB }
            return l.signature.lexicographicallyPrecedes(r.signature)
        }
        return GoroutineGrowth(totalA: totalA, totalB: totalB, groups: groups)
    }

    /// Growth between two debug=2 dumps.
    public static func compute(a: GoroutineDump, b: GoroutineDump) -> GoroutineGrowth {
        compute(a: GoroutineGroupInput.groups(from: a), b: GoroutineGroupInput.groups(from: b))
    }

    /// Growth between two debug=1 count profiles. Totals are the `total N` headers when they disagree with the
    /// sum of the blocks (never observed, but the header is what the runtime counted).
    public static func compute(a: GoroutineProfileText, b: GoroutineProfileText) -> GoroutineGrowth {
        var growth = compute(a: GoroutineGroupInput.groups(from: a), b: GoroutineGroupInput.groups(from: b))
        growth.totalA = a.total
        growth.totalB = b.total
        return growth
    }

    /// Values for `--fail-on` gates: `goroutines` (totals) and `goroutines.suspects` (goroutines in suspect
    /// groups in A and in B).
    public var gateMetrics: [String: GateMetricValue] {
        let suspects = self.suspects
        return [
            "goroutines": GateMetricValue(a: Double(totalA), b: Double(totalB), unit: .count),
            "goroutines.suspects": GateMetricValue(
                a: Double(suspects.reduce(0) { $0 + $1.countA }), b: Double(suspects.reduce(0) { $0 + $1.countB }),
                unit: .count),
        ]
    }

    /// Groups in reading order: growing groups (largest growth first), then shrinking ones (largest drop
    /// first), then unchanged ones.
    public var changedFirst: [Group] {
        groups.filter { $0.delta > 0 } + groups.filter { $0.delta < 0 }.sorted { $0.delta < $1.delta }
            + groups.filter { $0.delta == 0 }
    }

    /// A readable table like `go tool pprof -top` (changed groups first; unchanged ones only with
    /// `bounds.all`), then the leak suspects with a hint each. `bounds.limit` caps both lists.
    public func renderText(bounds: TableBounds = .unbounded, style: TextStyle = .plain) -> String {
        var out = "goroutines: \(totalA) -> \(totalB) (\(Self.signed(totalB - totalA)))\n"
        out += "   count_a    count_b      delta   wait  state                     stack (leaf first)\n"
        let (rows, cut, hidden) = bounds.apply(changedFirst) { $0.delta == 0 }
        for g in rows {
            let wait = g.maxWaitMinutesB.map { "\($0)m" } ?? "-"
            var state = g.state ?? "-"
            if g.leaked { state += " (leaked)" }
            let prefix = Self.pad(String(g.countA), 10) + " " + Self.pad(String(g.countB), 10) + " "
            let line = Self.pad(Self.signed(g.delta), 10) + " " + Self.pad(wait, 6) + "  " + Self.padRight(state, 24) + "  "
            let stack = style.fit(Self.describe(g) + (g.suspect ? "  [suspect]" : ""), after: 70)
            out += prefix + style.signed(line, Int64(g.delta)) + (g.suspect ? style.suspect(stack) : stack) + "\n"
        }
        if let note = TableBounds.note(cut: cut, hidden: hidden, noun: "group") { out += note + "\n" }
        let suspects = self.suspects
        out += "\nleak suspects: \(suspects.isEmpty ? "none" : String(suspects.count))\n"
        let (shown, suspectsCut, _) = TableBounds(limit: bounds.limit, all: true).apply(suspects) { _ in false }
        for g in shown {
            var line = "  \(Self.signed(g.delta)) (\(g.countA) -> \(g.countB)) \(Self.describe(g))"
            if let state = g.state { line += " [\(state)\(g.leaked ? ", leaked" : "")]" }
            if !g.labels.isEmpty {
                line += " {" + g.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                    + "}"
            }
            out += style.suspect(line) + "\n    \(g.hint ?? "")\n"
        }
        if let note = TableBounds.note(cut: suspectsCut, hidden: 0, noun: "suspect") { out += "  " + note + "\n" }
        return out
    }

    static func describe(_ g: Group) -> String { describe(signature: g.signature, createdBy: g.createdBy) }

    /// A group's name as every table prints it: the first three frames leaf first, and the creator.
    public static func describe(signature: [String], createdBy: String?) -> String {
        var text = signature.isEmpty ? "<no stack>" : signature.prefix(3).joined(separator: " <- ")
        if signature.count > 3 { text += " <- ... (\(signature.count) frames)" }
        if let creator = createdBy { text += " | created by \(creator)" }
        return text
    }

    static func signed(_ n: Int) -> String { n > 0 ? "+\(n)" : String(n) }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    private static func padRight(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}

/// Rules that decide whether a group is a leak suspect and what usually causes it.
public enum LeakHeuristics {
    /// Stack frames of HTTP client connections that pile up when response bodies are not closed.
    public static let unclosedBodyFrames: Set<String> = [
        "net/http.(*persistConn).readLoop", "net/http.(*persistConn).writeLoop",
    ]

    /// The hint for a suspect group, or nil when the group is not a suspect.
    public static func hint(for group: GoroutineGrowth.Group) -> String? {
        hint(signature: group.signature, state: group.state, leaked: group.leaked, grew: group.delta > 0)
    }

    /// The hint for goroutines with this stack and state that grew (`grew`), or nil when they are not suspects.
    public static func hint(signature: [String], state: String?, leaked: Bool, grew: Bool) -> String? {
        if leaked {
            return "marked (leaked): the runtime proved it blocks on a channel or lock nothing reachable can signal;"
                + " the other side was dropped without close() or cancellation"
        }
        guard grew else { return nil }
        if signature.contains(where: unclosedBodyFrames.contains) {
            return "HTTP client connections accumulate: a response body is not closed (defer resp.Body.Close()),"
                + " or a new http.Client/Transport is created per request"
        }
        guard let state else { return nil }
        return blockedHint(state: state)
    }

    /// The usual cause for a goroutine blocked in `state`, or nil when the state is not a blocking one.
    public static func blockedHint(state: String) -> String? {
        let base = state.hasSuffix(" (durable)") ? String(state.dropLast(10)) : state
        switch base {
        case "chan receive (nil chan)", "chan send (nil chan)":
            return "blocked forever on a nil channel: the channel was never initialised"
        case "chan receive":
            return "blocked receiving from a channel nobody sends to or closes: a producer exited or forgot close();"
                + " select on ctx.Done() too"
        case "chan send":
            return "blocked sending on a channel nobody reads: the receiver returned early (timeout, error);"
                + " buffer the channel or select on ctx.Done()"
        case "select":
            return "blocked in select with no ready case: add a ctx.Done() or timeout case, or close the channels"
        case "select (no cases)":
            return "`select {}` blocks forever by design: goroutines started to park forever are growing"
        case "semacquire", "sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock":
            return "waiting for a lock: a holder is stuck or an Unlock is missing on some path (lock-order deadlock?)"
        case "sync.WaitGroup.Wait":
            return "WaitGroup.Wait never returns: Add and Done calls do not match, or a worker is stuck"
        case "sync.Cond.Wait":
            return "Cond.Wait without a matching Signal/Broadcast"
        default:
            return nil
        }
    }
}
