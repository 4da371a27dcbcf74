import Foundation
import GBSnapCore
import Profiles

/// One HTTP GET the capture will make for one artifact.
struct PlannedFetch: Sendable, Hashable {
    /// Member name in the archive.
    var name: String
    var kind: CaptureKind
    /// Path on the target, base path included (what manifests record as the endpoint).
    var endpoint: String
    /// Query without `?`.
    var query: String
    /// Seconds added to the total timeout (the profile/trace duration).
    var extraSeconds: Int
    /// True when the request may start a CPU profile, a trace or something unknown on the target:
    /// such a request is never retried once it may have reached the target.
    var mayStartProfile: Bool
    /// True when a 404 means "this Go does not have it" rather than a failure.
    var notFoundMeansUnsupported: Bool
    /// The format a 2xx body must start like; nil for custom endpoints (anything goes).
    var expected: GoFormat?

    var pathAndQuery: String { query.isEmpty ? endpoint : "\(endpoint)?\(query)" }
}

/// Maps capture kinds to endpoints and queries. Pure.
enum EndpointPlan {
    /// The fetches for `kinds`, deduplicated in first-seen order; `custom` expands to every custom endpoint.
    static func fetches(kinds: [CaptureKind], parameters: CaptureParameters, basePath: String, pprofPrefix: String, varsPath: String)
        -> [PlannedFetch]
    {
        var seen = Set<CaptureKind>()
        var result: [PlannedFetch] = []
        for kind in kinds where seen.insert(kind).inserted {
            if kind == .custom {
                for endpoint in parameters.customEndpoints {
                    result.append(PlannedFetch(
                        name: endpoint.name, kind: .custom, endpoint: basePath + endpoint.path, query: endpoint.query,
                        extraSeconds: endpoint.extraSeconds, mayStartProfile: true, notFoundMeansUnsupported: false,
                        expected: nil))
                }
            } else {
                result.append(fetch(for: kind, parameters: parameters, basePath: basePath, pprofPrefix: pprofPrefix, varsPath: varsPath))
            }
        }
        return result
    }

    /// The fetch for one built-in kind (not `custom`).
    static func fetch(for kind: CaptureKind, parameters: CaptureParameters, basePath: String, pprofPrefix: String, varsPath: String)
        -> PlannedFetch
    {
        let pprof = basePath + pprofPrefix + "/"
        var endpoint: String
        var query = ""
        var extra = 0
        switch kind {
        case .heap:
            endpoint = pprof + "heap"
            if parameters.heapGC { query = "gc=1" }
        case .allocs: endpoint = pprof + "allocs"
        case .goroutine: endpoint = pprof + "goroutine"
        case .stacks:
            endpoint = pprof + "goroutine"
            query = "debug=2"
        case .goroutineText:
            endpoint = pprof + "goroutine"
            query = "debug=1"
        case .cpu:
            endpoint = pprof + "profile"
            query = "seconds=\(parameters.cpuSeconds)"
            extra = parameters.cpuSeconds
        case .trace:
            endpoint = pprof + "trace"
            query = "seconds=\(parameters.traceSeconds)"
            extra = parameters.traceSeconds
        case .block: endpoint = pprof + "block"
        case .mutex: endpoint = pprof + "mutex"
        case .threadcreate: endpoint = pprof + "threadcreate"
        case .goroutineleak: endpoint = pprof + "goroutineleak"
        case .vars: endpoint = basePath + varsPath
        case .custom: endpoint = basePath + "/"
        }
        return PlannedFetch(
            name: kind.defaultMemberName, kind: kind, endpoint: endpoint, query: query, extraSeconds: extra,
            mayStartProfile: kind == .cpu || kind == .trace || kind == .custom,
            notFoundMeansUnsupported: kind == .goroutineleak, expected: expectedFormat(kind))
    }

    /// What the endpoint of `kind` serves.
    static func expectedFormat(_ kind: CaptureKind) -> GoFormat? {
        switch kind {
        case .heap, .allocs, .goroutine, .cpu, .block, .mutex, .threadcreate, .goroutineleak: .profile
        case .stacks: .goroutineStacks
        case .goroutineText: .goroutineText
        case .trace: .trace
        case .vars: .expvar
        case .custom: nil
        }
    }

    /// Parses the first line of a `goroutine?debug=1` body, `goroutine profile: total N`.
    static func goroutineTotal(firstLine: Substring) -> Int? {
        let prefix = "goroutine profile: total "
        let line = firstLine.trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix(prefix) else { return nil }
        let digits = line.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }
}
