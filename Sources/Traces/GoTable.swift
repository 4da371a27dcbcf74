// Goroutine state by goroutine ID: open addressing with a multiplicative hash (Swift's Dictionary
// hashes with SipHash, most of the replay's time on goroutine-heavy traces). Entries are never
// removed (an ended goroutine keeps a blank state), so memory is linear in the goroutines the trace names.

struct GoTable {
    private var keys: [UInt64]
    /// States by slot (see `slot(of:)`).
    var values: [GoState]
    private var used = 0
    private var mask: Int

    init() {
        keys = [UInt64](repeating: 0, count: 1024)
        values = [GoState](repeating: GoState(), count: 1025)
        mask = 1023
    }

    @inline(__always)
    private func home(_ g: UInt64) -> Int {
        Int(truncatingIfNeeded: (g &* 0x9E37_79B9_7F4A_7C15) >> 29) & mask
    }

    /// The state of goroutine `g` (blank for goroutines never seen; goroutine 0 is never stored).
    subscript(g: UInt64) -> GoState {
        @inline(__always) get {
            var i = home(g)
            while true {
                let key = keys[i]
                if key == g && g != 0 { return values[i] }
                if key == 0 { return GoState() }
                i = (i + 1) & mask
            }
        }
        @inline(__always) set {
            guard g != 0 else { return }
            var i = home(g)
            while true {
                let key = keys[i]
                if key == g {
                    values[i] = newValue
                    return
                }
                if key == 0 {
                    if (used + 1) * 2 > keys.count - 1 {
                        grow()
                        self[g] = newValue
                        return
                    }
                    keys[i] = g
                    values[i] = newValue
                    used += 1
                    return
                }
                i = (i + 1) & mask
            }
        }
    }

    /// The slot of goroutine `g`, inserting a blank state if it is new; valid until the next insertion.
    /// Goroutine 0 (never a real goroutine) shares a scratch slot that is never found by lookups.
    @inline(__always)
    mutating func slot(of g: UInt64) -> Int {
        guard g != 0 else {
            values[scratch] = GoState()
            return scratch
        }
        var i = home(g)
        while true {
            let key = keys[i]
            if key == g { return i }
            if key == 0 {
                if (used + 1) * 2 > keys.count - 1 {
                    grow()
                    return slot(of: g)
                }
                keys[i] = g
                values[i] = GoState()
                used += 1
                return i
            }
            i = (i + 1) & mask
        }
    }

    /// One extra slot past the table for goroutine 0.
    private var scratch: Int { keys.count }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [GoState](repeating: GoState(), count: oldKeys.count * 2 + 1)
        mask = keys.count - 1
        used = 0
        for (index, key) in oldKeys.enumerated() where key != 0 { self[key] = oldValues[index] }
    }

    /// Calls `body` with every stored state.
    func forEach(_ body: (GoState) -> Void) {
        for index in keys.indices where keys[index] != 0 { body(values[index]) }
    }
}

/// Sorts in place, in linear time (LSD radix by bytes, only as many bytes as the largest value needs;
/// a byte every value shares is skipped).
func radixSort(_ values: inout [UInt64]) {
    let n = values.count
    guard n > 1, let largest = values.max() else { return }
    var scratch = [UInt64](repeating: 0, count: n)
    var counts = [Int](repeating: 0, count: 256)
    var shift: UInt64 = 0
    while shift < 64 && (largest >> shift) != 0 {
        let moved = values.withUnsafeMutableBufferPointer { source in
            scratch.withUnsafeMutableBufferPointer { target in
                counts.withUnsafeMutableBufferPointer { counts in
                    for i in 0..<256 { counts[i] = 0 }
                    for value in source { counts[Int(truncatingIfNeeded: (value >> shift) & 0xFF)] += 1 }
                    if counts.contains(n) { return false }
                    var sum = 0
                    for i in 0..<256 {
                        let c = counts[i]
                        counts[i] = sum
                        sum += c
                    }
                    for value in source {
                        let bucket = Int(truncatingIfNeeded: (value >> shift) & 0xFF)
                        target[counts[bucket]] = value
                        counts[bucket] += 1
                    }
                    return true
                }
            }
        }
        if moved { swap(&values, &scratch) }
        shift += 8
    }
}

/// The values at sorted positions `ranks` (ascending, each in `0..<values.count`), reordering
/// `values`: quickselect for each rank in turn on what is right of the previous one, falling back
/// to a radix sort of the part left when partitioning goes badly (linear time either way).
func select(ranks: [Int], in values: inout [UInt64]) -> [UInt64] {
    var results: [UInt64] = []
    var low = 0
    values.withUnsafeMutableBufferPointer { v in
        for rank in ranks {
            var lo = low, hi = v.count - 1
            var budget = 2 * (64 - v.count.leadingZeroBitCount) + 8
            while lo < hi {
                budget -= 1
                if budget < 0 {
                    var part = Array(v[lo...hi])
                    radixSort(&part)
                    for (offset, value) in part.enumerated() { v[lo + offset] = value }
                    break
                }
                // Median of three as the pivot, then Hoare partition.
                let mid = lo + (hi - lo) / 2
                let pivot = max(min(v[lo], v[mid]), min(max(v[lo], v[mid]), v[hi]))
                var i = lo, j = hi
                while i <= j {
                    while v[i] < pivot { i += 1 }
                    while v[j] > pivot { j -= 1 }
                    if i <= j {
                        v.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if rank <= j { hi = j } else if rank >= i { lo = i } else { break }
            }
            results.append(v[rank])
            low = rank
        }
    }
    return results
}
