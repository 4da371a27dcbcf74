/// What one artifact of a snapshot holds, named as in DESIGN.md.
///
/// Each kind maps to one `net/http/pprof` or `expvar` endpoint; `custom` is any other path.
public enum CaptureKind: String, Sendable, Codable, CaseIterable, Hashable, Comparable, CustomStringConvertible {
    case heap
    case allocs
    /// Goroutine profile in profile.proto form.
    case goroutine
    /// Full goroutine dump, `debug=2` text.
    case stacks
    /// Goroutine profile as `debug=1` text (stacks grouped with counts).
    case goroutineText = "goroutine-text"
    case cpu
    case trace
    case block
    case mutex
    case threadcreate
    /// Go 1.26+ leaked-goroutine profile.
    case goroutineleak
    /// `/debug/vars` expvar JSON.
    case vars
    /// Any other endpoint (path + query), e.g. fgprof.
    case custom

    public static func < (lhs: CaptureKind, rhs: CaptureKind) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The name as users and files write it (`goroutine-text`), so messages never show the Swift case name.
    public var description: String { rawValue }

    /// True for kinds whose body is a gzipped profile.proto.
    public var isProfileProto: Bool {
        switch self {
        case .heap, .allocs, .goroutine, .cpu, .block, .mutex, .threadcreate, .goroutineleak: true
        default: false
        }
    }

    /// Kinds Go serves to one client at a time per process (a second request gets 500).
    public var isExclusivePerTarget: Bool { self == .cpu || self == .trace }

    /// The file name an artifact of this kind gets inside the archive and on export.
    public var defaultMemberName: String {
        switch self {
        case .heap, .allocs, .goroutine, .cpu, .block, .mutex, .threadcreate, .goroutineleak:
            "\(rawValue).pb.gz"
        case .stacks: "stacks.debug2.txt"
        case .goroutineText: "goroutine.debug1.txt"
        case .trace: "trace.out"
        case .vars: "vars.json"
        case .custom: "custom.bin"
        }
    }

    /// Parses a kind name as users write it (`goroutine-text`, `goroutine_text` and `goroutinetext` all work).
    public init?(userName: String) {
        let lowered = userName.lowercased().replacingOccurrences(of: "_", with: "-")
        if let kind = CaptureKind(rawValue: lowered) {
            self = kind
        } else if lowered == "goroutinetext" {
            self = .goroutineText
        } else {
            return nil
        }
    }
}
