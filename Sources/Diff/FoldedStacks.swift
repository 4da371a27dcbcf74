import Profiles

/// Folded stacks (`frame;frame;frame value`, root first), the input format of Brendan Gregg's
/// flamegraph.pl and most flame graph tools.
public enum FoldedStacks {
    /// Which values the lines carry.
    public enum Values: String, Sendable, Hashable, CaseIterable {
        /// `current - base` per stack (lines with a zero delta are omitted).
        case delta
        /// The base profile's values.
        case base
        /// The current profile's values.
        case current
        /// Both, as `stack base current` (difffolded.pl's output, for differential flame graphs).
        case pair
    }

    /// Folded lines, sorted by stack, for the sample type pprof would pick with `sampleIndex`.
    ///
    /// Frames are function names (inlined functions are frames of their own); samples without
    /// a stack fold into the frame `<no stack>`. Semicolons inside names become `:`.
    public static func render(
        base: Profile, current: Profile, sampleIndex: SampleIndexSelector? = nil, values: Values = .delta
    ) throws(ProfileDiffError) -> String {
        let selection = try ProfileDiff.selectSampleType(base: base, current: current, sampleIndex: sampleIndex)
        var sums: [String: (a: Int64, b: Int64)] = [:]
        if values != .current {
            try fold(base, column: selection.columnA, name: "base") { sums[$0, default: (0, 0)].a &+= $1 }
        }
        if values != .base {
            try fold(current, column: selection.columnB, name: "current") { sums[$0, default: (0, 0)].b &+= $1 }
        }
        var out = ""
        for stack in sums.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let (a, b) = sums[stack] else { continue }
            switch values {
            case .delta:
                let d = b &- a
                if d != 0 { out += "\(stack) \(d)\n" }
            case .base:
                if a != 0 { out += "\(stack) \(a)\n" }
            case .current:
                if b != 0 { out += "\(stack) \(b)\n" }
            case .pair:
                if a != 0 || b != 0 { out += "\(stack) \(a) \(b)\n" }
            }
        }
        return out
    }

    static func fold(
        _ profile: Profile, column: Int, name: String, _ add: (String, Int64) -> Void
    ) throws(ProfileDiffError) {
        let functions = ProfileIDLookup(ids: profile.functions.map(\.id))
        let locations = ProfileIDLookup(ids: profile.locations.map(\.id))
        // Frames of each location, outermost first, precomputed once.
        var frames: [[String]] = []
        frames.reserveCapacity(profile.locations.count)
        for location in profile.locations {
            if location.lines.isEmpty {
                frames.append([String(hexAddress: location.address)])
                continue
            }
            var names: [String] = []
            for line in location.lines.reversed() {
                guard let fi = functions[id: line.functionID] else {
                    throw .danglingReference(profile: name, what: "function", id: line.functionID)
                }
                let n = profile.functions[fi].name
                names.append(n.isEmpty ? "<unknown>" : n.replacing(";", with: ":"))
            }
            frames.append(names)
        }
        for sample in profile.samples {
            guard column < sample.values.count else { continue }
            let v = sample.values[column]
            guard v != 0 else { continue }
            var parts: [String] = []
            for id in sample.locationIDs.reversed() {
                guard let li = locations[id: id] else {
                    throw .danglingReference(profile: name, what: "location", id: id)
                }
                parts.append(contentsOf: frames[li])
            }
            add(parts.isEmpty ? "<no stack>" : parts.joined(separator: ";"), v)
        }
    }
}

extension String {
    /// `0x` and the lowercase hex address, for unsymbolized frames.
    fileprivate init(hexAddress address: UInt64) {
        self = "0x" + String(address, radix: 16)
    }
}
