/// Per-kind knobs of a capture, from a schedule's `params`, the target defaults or the command line.
public struct CaptureParameters: Sendable, Hashable, Codable {
    /// `seconds=` of `/debug/pprof/profile`.
    public var cpuSeconds: Int
    /// `seconds=` of `/debug/pprof/trace`.
    public var traceSeconds: Int
    /// Ask for `gc=1` on heap captures (a GC first, so the profile does not lag one cycle).
    public var heapGC: Bool
    /// Above this many goroutines a `stacks` (debug=2) dump is not taken as is (it stops the world
    /// for a time that grows with the goroutine count).
    public var stacksGoroutineLimit: Int
    /// What to do with a `stacks` capture above the limit.
    public var stacksOverLimit: StacksOverLimit
    /// Extra endpoints captured when the kind list has `custom`.
    public var customEndpoints: [CustomEndpoint]

    public enum StacksOverLimit: String, Sendable, Hashable, Codable, CaseIterable {
        /// Take a `goroutine-text` (debug=1) dump instead: grouped stacks, much cheaper.
        case downgrade
        /// Take nothing for `stacks`, and record why.
        case skip
    }

    /// One extra endpoint, e.g. fgprof at `/debug/fgprof` with `seconds=10`.
    public struct CustomEndpoint: Sendable, Hashable, Codable {
        /// Artifact name in the archive (a safe file name).
        public var name: String
        /// Path on the target, starting with `/`.
        public var path: String
        /// Query string without the leading `?`.
        public var query: String
        /// Extra time, beyond the target's total timeout, that this endpoint needs (e.g. its seconds).
        public var extraSeconds: Int

        public init(name: String, path: String, query: String = "", extraSeconds: Int = 0) {
            self.name = name
            self.path = path
            self.query = query
            self.extraSeconds = extraSeconds
        }
    }

    public init(
        cpuSeconds: Int = 10,
        traceSeconds: Int = 5,
        heapGC: Bool = true,
        stacksGoroutineLimit: Int = 50_000,
        stacksOverLimit: StacksOverLimit = .downgrade,
        customEndpoints: [CustomEndpoint] = []
    ) {
        self.cpuSeconds = cpuSeconds
        self.traceSeconds = traceSeconds
        self.heapGC = heapGC
        self.stacksGoroutineLimit = stacksGoroutineLimit
        self.stacksOverLimit = stacksOverLimit
        self.customEndpoints = customEndpoints
    }
}
