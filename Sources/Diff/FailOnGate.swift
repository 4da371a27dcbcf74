import Foundation

/// One `--fail-on` expression.
///
/// Grammar (whitespace allowed around the operator):
/// ```
/// gate     = metric [ "." selector ] op number [ unit ]
/// selector = "a" | "b" | "delta"          ; omitted means "b"
/// op       = ">" | ">=" | "<" | "<=" | "=="
/// unit     = "%" | byte unit (B kB KiB MB MiB GB GiB TB TiB PB PiB, any case) | time unit (ns us µs ms s m h d w)
///            [ "/s" ]                      ; "/s" only for rate metrics
/// ```
/// `metric` is a dotted name such as `goroutines`, `heap.inuse_space`, `gc.pause_max`. `%` is only allowed
/// with `delta` and means `(b - a) / a * 100`; with `a == 0` any growth is +infinity percent. Byte units are
/// powers of 1024 (`MB` = `MiB`), matching the units `go tool pprof` prints and `--max-total-bytes` and the
/// config read (``ByteSizeParser``, docs/units.md).
/// Examples: `goroutines.delta>100`, `goroutines.b>=5000`, `heap.inuse_space.delta>20%`, `alloc_rate>50MB/s`.
public struct FailOnGate: Sendable, Equatable, CustomStringConvertible {
    /// Which value of the metric the gate compares.
    public enum Selector: String, Sendable, Equatable {
        /// Value in A.
        case a
        /// Value in B.
        case b
        /// `b - a` (or the relative change with `%`).
        case delta
    }

    /// Comparison operator.
    public enum Comparison: String, Sendable, Equatable {
        /// `>`
        case greater = ">"
        /// `>=`
        case greaterOrEqual = ">="
        /// `<`
        case less = "<"
        /// `<=`
        case lessOrEqual = "<="
        /// `==`
        case equal = "=="

        func holds(_ lhs: Double, _ rhs: Double) -> Bool {
            switch self {
            case .greater: return lhs > rhs
            case .greaterOrEqual: return lhs >= rhs
            case .less: return lhs < rhs
            case .lessOrEqual: return lhs <= rhs
            case .equal: return lhs == rhs
            }
        }
    }

    /// Kind of unit written after the threshold.
    public enum ThresholdUnit: Sendable, Equatable {
        /// No unit.
        case none
        /// `%` (relative delta).
        case percent
        /// A byte unit (threshold already multiplied out to bytes).
        case bytes
        /// A time unit (threshold already converted to nanoseconds).
        case time
    }

    /// The expression as written (trimmed).
    public var expression: String
    /// Metric name, e.g. `heap.inuse_space`.
    public var metric: String
    /// Which value is compared.
    public var selector: Selector
    /// The operator.
    public var comparison: Comparison
    /// Threshold in base units (count, bytes, nanoseconds, or percent).
    public var threshold: Double
    /// The unit the threshold was written with.
    public var thresholdUnit: ThresholdUnit
    /// Whether the threshold ended with `/s`.
    public var perSecond: Bool

    /// The expression as written.
    public var description: String { expression }

    /// Parses one `--fail-on` expression.
    public init(parsing text: String) throws {
        let expression = text.trimmingCharacters(in: .whitespaces)
        self.expression = expression
        let chars = Array(expression)
        guard let opIndex = chars.firstIndex(where: { $0 == ">" || $0 == "<" || $0 == "=" }) else {
            throw GateError.syntax(expression: expression, reason: "no comparison operator (> >= < <= ==)")
        }
        var opEnd = opIndex + 1
        if opEnd < chars.count && chars[opEnd] == "=" { opEnd += 1 }
        guard let comparison = Comparison(rawValue: String(chars[opIndex..<opEnd])) else {
            throw GateError.syntax(expression: expression,
                                   reason: "\"\(String(chars[opIndex..<opEnd]))\" is not one of > >= < <= ==")
        }
        self.comparison = comparison
        let lhs = String(chars[..<opIndex]).trimmingCharacters(in: .whitespaces)
        var rhs = String(chars[opEnd...]).trimmingCharacters(in: .whitespaces)
        guard !lhs.isEmpty else { throw GateError.syntax(expression: expression, reason: "no metric before the operator") }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-:"))
        guard lhs.unicodeScalars.allSatisfy(allowed.contains), !lhs.hasPrefix("."), !lhs.hasSuffix("."),
              !lhs.contains("..")
        else {
            throw GateError.syntax(expression: expression, reason: "metric \"\(lhs)\" is not a dotted name")
        }
        var parts = lhs.split(separator: ".").map(String.init)
        if parts.count > 1, let last = parts.last, let selector = Selector(rawValue: last) {
            self.selector = selector
            parts.removeLast()
        } else {
            self.selector = .b
        }
        self.metric = parts.joined(separator: ".")

        perSecond = rhs.hasSuffix("/s")
        if perSecond { rhs.removeLast(2) }
        let numberEnd = rhs.firstIndex { !($0.isNumber || $0 == "." || $0 == "-" || $0 == "+") } ?? rhs.endIndex
        let numberText = String(rhs[..<numberEnd])
        let unitText = rhs[numberEnd...].trimmingCharacters(in: .whitespaces)
        guard let number = Double(numberText), number.isFinite else {
            throw GateError.syntax(expression: expression, reason: "threshold \"\(rhs)\" does not start with a number")
        }
        // Units come from the one vocabulary (docs/units.md): byte units are powers of 1024 here as in the
        // config and every flag; time units are the duration units.
        let scale: Double
        if unitText.isEmpty {
            scale = 1; thresholdUnit = .none
        } else if unitText == "%" {
            scale = 1; thresholdUnit = .percent
        } else if let bytes = ByteSizeParser.bytes(inUnit: unitText) {
            scale = Double(bytes); thresholdUnit = .bytes
        } else if let nanos = DurationParser.nanoseconds(inUnit: unitText) {
            scale = Double(nanos); thresholdUnit = .time
        } else {
            throw GateError.syntax(expression: expression, reason: "unknown unit \"\(unitText)\" "
                + "(use %, a byte unit such as B, kB, KiB, MB, MiB, GB, GiB, or a time unit ns, us, ms, s, m, h, "
                + "optionally followed by /s)")
        }
        if thresholdUnit == .percent && selector != .delta {
            throw GateError.syntax(expression: expression, reason: "% needs the delta selector, e.g. \(metric).delta>20%")
        }
        if perSecond && (thresholdUnit == .percent || thresholdUnit == .time) {
            throw GateError.syntax(expression: expression, reason: "/s only follows a byte unit or a plain number")
        }
        threshold = number * scale
    }

    /// Evaluates the gate. `lookup` returns a metric's values or nil when it is unknown; `knownMetrics`
    /// lists the names it knows, for the error message.
    public func evaluate(
        knownMetrics: [String], sides: (a: String, b: String) = ("in A", "in B"), lookup: (String) -> GateMetricValue?
    ) throws -> GateOutcome {
        guard let value = lookup(metric) else {
            throw GateError.unknownMetric(expression: expression, metric: metric, known: knownMetrics.sorted())
        }
        try checkUnit(value.unit)
        let observed: Double
        switch selector {
        case .a: observed = value.a
        case .b: observed = value.b
        case .delta:
            if thresholdUnit == .percent {
                if value.a == 0 {
                    observed = value.b == 0 ? 0 : (value.b > 0 ? .infinity : -.infinity)
                } else {
                    observed = (value.b - value.a) / abs(value.a) * 100
                }
            } else {
                observed = value.b - value.a
            }
        }
        // A duration threshold is in nanoseconds; a metric in seconds compares against it in seconds.
        let limit = thresholdUnit == .time && value.unit == .seconds ? threshold / 1e9 : threshold
        let tripped = comparison.holds(observed, limit)
        return GateOutcome(gate: self, value: value, observed: observed, tripped: tripped,
                           message: message(value: value, observed: observed, tripped: tripped, sides: sides))
    }

    /// Evaluates the gate against a table of metrics; `sides` name where A and B values come from in messages.
    public func evaluate(metrics: [String: GateMetricValue], sides: (a: String, b: String) = ("in A", "in B")) throws -> GateOutcome {
        try evaluate(knownMetrics: Array(metrics.keys), sides: sides) { metrics[$0] }
    }

    /// Evaluates the gate with a lookup giving `(a, b)` pairs of plain counts.
    public func evaluate(
        knownMetrics: [String], lookup: (String) -> (a: Double, b: Double)?
    ) throws -> GateOutcome {
        try evaluate(knownMetrics: knownMetrics) { (name: String) -> GateMetricValue? in
            lookup(name).map { GateMetricValue(a: $0.a, b: $0.b, unit: .count) }
        }
    }

    private func checkUnit(_ unit: GateMetricUnit) throws {
        let ok: Bool
        switch thresholdUnit {
        case .none, .percent: ok = !perSecond || unit == .bytesPerSecond || unit == .perSecond
        case .bytes: ok = unit == .bytes || unit == .bytesPerSecond
        case .time: ok = unit == .nanoseconds || unit == .seconds
        }
        if !ok || (perSecond && unit != .bytesPerSecond && unit != .perSecond) {
            throw GateError.unitMismatch(expression: expression, metric: metric, metricUnit: unit)
        }
    }

    private func message(value: GateMetricValue, observed: Double, tripped: Bool, sides: (a: String, b: String)) -> String {
        let verdict = "gate \"\(expression)\" \(tripped ? "tripped" : "passed"): "
        let fa = GateFormat.value(value.a, unit: value.unit)
        let fb = GateFormat.value(value.b, unit: value.unit)
        switch selector {
        case .a:
            return verdict + "\(metric) was \(fa) \(sides.a)"
        case .b:
            return verdict + "\(metric) is \(fb) \(sides.b)"
        case .delta:
            let change: String
            if thresholdUnit == .percent {
                let pct = observed.isInfinite ? "from zero" : "by " + String(format: "%.1f%%", abs(observed))
                change = observed > 0 ? "grew \(pct)" : observed < 0 ? "shrank \(pct)" : "did not change"
            } else {
                let amount = GateFormat.value(abs(observed), unit: value.unit)
                change = observed > 0 ? "grew by \(amount)" : observed < 0 ? "shrank by \(amount)" : "did not change"
            }
            return verdict + "\(metric) \(change) (\(fa) -> \(fb))"
        }
    }
}

/// The result of evaluating one gate.
public struct GateOutcome: Sendable, Equatable {
    /// The gate.
    public var gate: FailOnGate
    /// The metric's values.
    public var value: GateMetricValue
    /// The compared quantity (A, B, delta, or delta percent).
    public var observed: Double
    /// Whether the condition holds (the gate fails the run).
    public var tripped: Bool
    /// One line, e.g. `gate "goroutines.delta>100" tripped: goroutines grew by 132 (7 -> 139)`.
    public var message: String
}

/// Why a gate could not be parsed or evaluated.
public enum GateError: Error, Equatable, CustomStringConvertible {
    /// The expression does not follow the grammar.
    case syntax(expression: String, reason: String)
    /// No metric of that name exists in this diff.
    case unknownMetric(expression: String, metric: String, known: [String])
    /// The threshold's unit does not fit the metric.
    case unitMismatch(expression: String, metric: String, metricUnit: GateMetricUnit)

    /// One sentence naming the gate and the problem.
    public var description: String {
        switch self {
        case let .syntax(expression, reason):
            return "--fail-on \"\(expression)\": \(reason); expected <metric>[.a|.b|.delta] <op> <number>[unit]"
        case let .unknownMetric(expression, metric, known):
            let list = known.isEmpty ? "none" : known.joined(separator: ", ")
            return "--fail-on \"\(expression)\": unknown metric \"\(metric)\" (known metrics: \(list))"
        case let .unitMismatch(expression, metric, unit):
            return "--fail-on \"\(expression)\": the threshold's unit does not fit \(metric), "
                + "which is measured in \(unit.rawValue)"
        }
    }
}
