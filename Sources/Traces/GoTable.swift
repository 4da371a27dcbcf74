// Goroutine state by goroutine ID: open addressing with a multiplicative hash (Swift's Dictionary
// hashes with SipHash, most of the replay's time on goroutine-heavy traces). Entries are never
// removed (an ended goroutine keeps a blank state), so memory is linear in the goroutines the trace names.
// Keys and states live in buffers the table owns, so updating a state in place costs no copy-on-write
// check or bounds check: the replay updates a state several times per event.

struct GoTable {
    private final class Storage {
        /// `capacity` slots (a power of two); `states` has one more, a scratch slot for goroutine 0.
        var keys: UnsafeMutablePointer<UInt64>
        var states: UnsafeMutablePointer<GoState>
        var capacity: Int
        var used = 0

        init(capacity: Int) {
            self.capacity = capacity
            (keys, states) = Storage.allocate(capacity)
        }

        static func allocate(_ capacity: Int) -> (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<GoState>) {
            let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
            keys.initialize(repeating: 0, count: capacity)
            let states = UnsafeMutablePointer<GoState>.allocate(capacity: capacity + 1)
            states.initialize(repeating: GoState(), count: capacity + 1)
            return (keys, states)
        }

        static func free(_ keys: UnsafeMutablePointer<UInt64>, _ states: UnsafeMutablePointer<GoState>, _ capacity: Int) {
            keys.deinitialize(count: capacity)
            keys.deallocate()
            states.deinitialize(count: capacity + 1)
            states.deallocate()
        }

        deinit { Storage.free(keys, states, capacity) }
    }

    private let storage = Storage(capacity: 1024)

    @inline(__always)
    private func home(_ g: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (g &* 0x9E37_79B9_7F4A_7C15) >> 29) & mask
    }

    /// The state of goroutine `g` (blank for goroutines never seen; goroutine 0 is never stored).
    subscript(g: UInt64) -> GoState {
        @inline(__always) get {
            guard g != 0 else { return GoState() }
            let storage = storage, mask = storage.capacity - 1
            var i = home(g, mask: mask)
            while true {
                let key = storage.keys[i]
                if key == g { return storage.states[i] }
                if key == 0 { return GoState() }
                i = (i + 1) & mask
            }
        }
        @inline(__always) set {
            guard g != 0 else { return }
            let i = slot(of: g)
            self[slot: i] = newValue
        }
    }

    /// The state in slot `i` (from ``slot(of:)``), read and updated in place.
    subscript(slot i: Int) -> GoState {
        @inline(__always) unsafeAddress {
            assert(i >= 0 && i <= storage.capacity, "goroutine table slot out of range")
            return UnsafePointer(storage.states + i)
        }
        @inline(__always) nonmutating unsafeMutableAddress {
            assert(i >= 0 && i <= storage.capacity, "goroutine table slot out of range")
            return storage.states + i
        }
    }

    /// The slot of goroutine `g`, inserting a blank state if it is new; valid until the next insertion.
    /// Goroutine 0 (never a real goroutine) shares a scratch slot that is never found by lookups.
    @inline(__always)
    mutating func slot(of g: UInt64) -> Int {
        let storage = storage
        guard g != 0 else {
            storage.states[storage.capacity] = GoState()
            return storage.capacity
        }
        let mask = storage.capacity - 1
        var i = home(g, mask: mask)
        while true {
            let key = storage.keys[i]
            if key == g { return i }
            if key == 0 {
                if (storage.used + 1) * 2 > storage.capacity - 1 {
                    grow()
                    return slot(of: g)
                }
                storage.keys[i] = g
                storage.states[i] = GoState()
                storage.used += 1
                return i
            }
            i = (i + 1) & mask
        }
    }

    private func grow() {
        let (oldKeys, oldStates, oldCapacity) = (storage.keys, storage.states, storage.capacity)
        storage.capacity = oldCapacity * 2
        (storage.keys, storage.states) = Storage.allocate(storage.capacity)
        let mask = storage.capacity - 1
        for index in 0..<oldCapacity where oldKeys[index] != 0 {
            var i = home(oldKeys[index], mask: mask)
            while storage.keys[i] != 0 { i = (i + 1) & mask }
            storage.keys[i] = oldKeys[index]
            storage.states[i] = oldStates[index]
        }
        Storage.free(oldKeys, oldStates, oldCapacity)
    }

    /// Calls `body` with every stored state.
    func forEach(_ body: (GoState) -> Void) {
        for index in 0..<storage.capacity where storage.keys[index] != 0 { body(storage.states[index]) }
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
