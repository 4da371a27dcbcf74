import Profiles

/// The merged call tree of two profiles (or two goroutine snapshots), root first: the data behind a differential
/// flame graph. Every node carries its self and total value in A and in B; every frame name also carries the
/// function's flat and cum values over all call paths, which are the numbers `go tool pprof -top` prints.
public struct FlameTree: Sendable {
    /// Interned frame names; index 0 is the root, `all`; index 1 names the "other" nodes of a pruned page.
    public private(set) var names: [String] = ["all", "(other)"]
    /// Per node: its name index, parent (−1 for the root) and values.
    public private(set) var name: [Int32] = [0]
    public private(set) var parent: [Int32] = [-1]
    public private(set) var selfA: [Int64] = [0]
    public private(set) var selfB: [Int64] = [0]
    public private(set) var totalA: [Int64] = [0]
    public private(set) var totalB: [Int64] = [0]
    /// Per name: the function's flat (leaf) and cum (once per stack) values in A and B.
    public private(set) var flatA: [Int64] = [0, 0]
    public private(set) var flatB: [Int64] = [0, 0]
    public private(set) var cumA: [Int64] = [0, 0]
    public private(set) var cumB: [Int64] = [0, 0]

    private var nameIndex: [String: Int32] = [:]
    private var childIndex: [UInt64: Int32] = [:]
    private var seen: [Int] = [0, 0]
    private var serial = 0

    /// An empty tree (only the root).
    public init() {}

    /// The number of nodes, root included.
    public var count: Int { name.count }

    /// Which snapshot a value belongs to.
    public enum Side: Sendable { case a, b }

    /// The index of `frame` in `names`, interning it.
    public mutating func intern(_ frame: String) -> Int32 {
        if let i = nameIndex[frame] { return i }
        let i = Int32(names.count)
        names.append(frame)
        nameIndex[frame] = i
        flatA.append(0); flatB.append(0); cumA.append(0); cumB.append(0)
        seen.append(0)
        return i
    }

    /// Adds `value` for one stack, given as name indices root first.
    public mutating func add<S: Sequence<Int32>>(rootFirst frames: S, value: Int64, side: Side) {
        var node: Int32 = 0
        for frame in frames { node = child(of: node, named: frame) }
        credit(leaf: Int(node), value: value, side: side)
    }

    /// Adds `value` at `leaf` (self), along its parent links to the root (total), to the leaf's name (flat) and
    /// once to every distinct name on the path (cum, so recursion counts once, as pprof does).
    mutating func credit(leaf: Int, value: Int64, side: Side) {
        guard value != 0 else { return }
        serial += 1
        if side == .a { selfA[leaf] &+= value } else { selfB[leaf] &+= value }
        if leaf != 0 {
            let leafName = Int(name[leaf])
            if side == .a { flatA[leafName] &+= value } else { flatB[leafName] &+= value }
        }
        var n = leaf
        while n >= 0 {
            if side == .a { totalA[n] &+= value } else { totalB[n] &+= value }
            if n != 0 {
                let frame = Int(name[n])
                if seen[frame] != serial {
                    seen[frame] = serial
                    if side == .a { cumA[frame] &+= value } else { cumB[frame] &+= value }
                }
            }
            n = Int(parent[n])
        }
    }

    mutating func child(of node: Int32, named frame: Int32) -> Int32 {
        let key = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(UInt32(bitPattern: frame))
        if let c = childIndex[key] { return c }
        let c = Int32(name.count)
        name.append(frame); parent.append(node)
        selfA.append(0); selfB.append(0); totalA.append(0); totalB.append(0)
        childIndex[key] = c
        return c
    }

    /// The tree of two profiles at the sample type `go tool pprof` picks with `sampleIndex`. Frames are function
    /// names as pprof's `-top` prints them (inlined functions are frames of their own), so a frame's flat and cum
    /// values equal the row of the same name in ``ProfileDiff``.
    public static func profiles(base: Profile, current: Profile, sampleIndex: SampleIndexSelector?)
        throws(ProfileDiffError) -> FlameTree
    {
        try CallTree(base: base, current: current).valued(sampleIndex: sampleIndex)
    }

    /// The shape of two profiles' merged call tree, shared by all their sample types: the stacks are walked (and
    /// their frames looked up) once, then ``valued(sampleIndex:)`` only adds numbers along parent links.
    public struct CallTree: Sendable {
        let base: Profile
        let current: Profile
        var shape = FlameTree()
        /// Per sample of each profile, its leaf node (0, the root, for a sample without a stack).
        var leavesA: [Int32] = []
        var leavesB: [Int32] = []

        /// Walks every stack of both profiles.
        public init(base: Profile, current: Profile) throws(ProfileDiffError) {
            self.base = base
            self.current = current
            var nodes = NodeTable(granularity: .functions)
            let mapA = try nodes.mapLocations(of: base, name: "base")
            let mapB = try nodes.mapLocations(of: current, name: "current")
            var shape = FlameTree()
            let nameOf = nodes.printableNames.map { shape.intern($0) }
            func leaves(_ profile: Profile, _ map: LocationMap, _ label: String) throws(ProfileDiffError) -> [Int32] {
                var out = [Int32](repeating: 0, count: profile.samples.count)
                for (i, sample) in profile.samples.enumerated() {
                    var node: Int32 = 0
                    for id in sample.locationIDs.reversed() {
                        guard let li = map.lookup[id: id] else {
                            throw .danglingReference(profile: label, what: "location", id: id)
                        }
                        var k = Int(map.starts[li + 1]) - 1
                        while k >= Int(map.starts[li]) {
                            node = shape.child(of: node, named: nameOf[Int(map.nodes[k])])
                            k -= 1
                        }
                    }
                    out[i] = node
                }
                return out
            }
            leavesA = try leaves(base, mapA, "base")
            leavesB = try leaves(current, mapB, "current")
            self.shape = shape
        }

        /// The tree with the values of the sample type pprof picks with `sampleIndex`.
        public func valued(sampleIndex: SampleIndexSelector?) throws(ProfileDiffError) -> FlameTree {
            let selection = try ProfileDiff.selectSampleType(base: base, current: current, sampleIndex: sampleIndex)
            var tree = shape
            tree.addValues(base, leaves: leavesA, column: selection.columnA, side: .a)
            tree.addValues(current, leaves: leavesB, column: selection.columnB, side: .b)
            return tree
        }
    }

    /// Credits each sample's value at its precomputed leaf.
    mutating func addValues(_ profile: Profile, leaves: [Int32], column: Int, side: Side) {
        for (i, sample) in profile.samples.enumerated() where column < sample.values.count {
            credit(leaf: Int(leaves[i]), value: sample.values[column], side: side)
        }
    }

    /// The tree of goroutine growth: each group's stack (root first) weighted by its goroutine count.
    public static func goroutines(_ growth: GoroutineGrowth) -> FlameTree {
        var tree = FlameTree()
        for group in growth.groups {
            let frames = group.signature.reversed().map { tree.intern($0) }
            tree.add(rootFirst: frames, value: Int64(group.countA), side: .a)
            tree.add(rootFirst: frames, value: Int64(group.countB), side: .b)
        }
        return tree
    }

    /// Which nodes go into a page: all of them when they fit in `maxNodes`; else the largest (by the larger of
    /// their A and B totals) that fit, plus those whose change is at least `deltaShare` of the total change, as
    /// long as their parent is kept. Pruned children of a kept node fold into one "other" node in the output, so
    /// no value is lost and a frame too narrow to see costs nothing.
    public func keptNodes(maxNodes: Int = 40_000, deltaShare: Double = 0.005) -> [Bool] {
        guard count > maxNodes else { return [Bool](repeating: true, count: count) }
        var sizes = (0..<count).map { max(totalA[$0], totalB[$0]) }
        sizes.sort(by: >)
        // The smallest size that still fits; ties at the boundary are dropped rather than overflow the budget.
        var floor = sizes[max(0, maxNodes - 1)]
        if floor < sizes[0], sizes.count > maxNodes, sizes[maxNodes] == floor { floor += 1 }
        let rootDelta = Double((totalB[0] &- totalA[0]).magnitude)
        let deltaFloor = rootDelta > 0 ? deltaShare * rootDelta : .infinity
        var keep = [Bool](repeating: false, count: count)
        keep[0] = true
        var kept = 1
        // Nodes are created after their parents, so one forward pass sees every parent first.
        for n in 1..<count where keep[Int(parent[n])] {
            let big = max(totalA[n], totalB[n]) >= floor
            let changed = Double((totalB[n] &- totalA[n]).magnitude) >= deltaFloor
            if big || (changed && kept < maxNodes * 2) {
                keep[n] = true
                kept += 1
            }
        }
        return keep
    }

    /// The graph as the report's JSON (see `ReportAssets`): `{"title","unit","totalA","totalB","names","funcs",
    /// "root"}`, where a node is `[name, selfA, selfB, totalA, totalB, [children…], folded]` and `folded` counts
    /// the pruned subtrees an "other" node stands for.
    func json(title: String, unit: String, keep: [Bool]) -> String {
        var children = [[Int32]](repeating: [], count: count)
        for n in 1..<max(count, 1) where keep[n] { children[Int(parent[n])].append(Int32(n)) }
        // Only names of kept nodes go into the page.
        var remap = [Int32](repeating: -1, count: names.count)
        var usedNames: [Int32] = []
        func nameID(_ n: Int32) -> Int32 {
            if remap[Int(n)] < 0 {
                remap[Int(n)] = Int32(usedNames.count)
                usedNames.append(n)
            }
            return remap[Int(n)]
        }
        var pruned = [Int](repeating: 0, count: count)
        for c in 1..<max(count, 1) where !keep[c] && keep[Int(parent[c])] { pruned[Int(parent[c])] += 1 }
        var out = ""
        out.reserveCapacity(48 * count)
        func node(_ n: Int) {
            out += "[\(nameID(name[n])),\(selfA[n]),\(selfB[n]),\(totalA[n]),\(totalB[n])"
            // The pruned children's values, folded into one "other" node.
            var restA = totalA[n] &- selfA[n], restB = totalB[n] &- selfB[n]
            for c in children[n] {
                restA &-= totalA[Int(c)]
                restB &-= totalB[Int(c)]
            }
            let folded = pruned[n] > 0 && (restA != 0 || restB != 0)
            if !children[n].isEmpty || folded {
                out += ",["
                var first = true
                let byWidth = children[n].sorted { max(totalA[Int($0)], totalB[Int($0)]) > max(totalA[Int($1)], totalB[Int($1)]) }
                for c in byWidth {
                    if !first { out += "," }
                    first = false
                    node(Int(c))
                }
                if folded {
                    if !first { out += "," }
                    out += "[\(nameID(1)),\(restA),\(restB),\(restA),\(restB),[],\(pruned[n])]"
                }
                out += "]"
            }
            out += "]"
        }
        node(0)
        var names = "["
        var funcs = "["
        for (i, n) in usedNames.enumerated() {
            if i > 0 { names += ","; funcs += "," }
            names += JSONText.string(self.names[Int(n)])
            funcs += n <= 1 ? "null" : "[\(flatA[Int(n)]),\(flatB[Int(n)]),\(cumA[Int(n)]),\(cumB[Int(n)])]"
        }
        return "{\"title\":\(JSONText.string(title)),\"unit\":\(JSONText.string(unit)),\"totalA\":\(totalA[0]),"
            + "\"totalB\":\(totalB[0]),\"names\":\(names)],\"funcs\":\(funcs)],\"root\":\(out)}"
    }
}

/// JSON text for strings embedded in an HTML page: `<` is escaped too, so no `</script>` can end the data.
enum JSONText {
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
