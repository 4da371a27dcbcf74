// Goroutine state by goroutine ID: open addressing with a multiplicative hash (Swift's Dictionary
// hashes with SipHash, most of the replay's time on goroutine-heavy traces). Entries are never
// removed (an ended goroutine keeps a blank state), so memory is linear in the goroutines the trace names.

struct GoTable {
    private var keys: [UInt64]
    private var values: [GoState]
    private var used = 0
    private var mask: Int

    init() {
        keys = [UInt64](repeating: 0, count: 1024)
        values = [GoState](repeating: GoState(), count: 1024)
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
                    keys[i] = g
                    values[i] = newValue
                    used += 1
                    if used * 2 > keys.count { grow() }
                    return
                }
                i = (i + 1) & mask
            }
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [GoState](repeating: GoState(), count: oldKeys.count * 2)
        mask = keys.count - 1
        used = 0
        for (index, key) in oldKeys.enumerated() where key != 0 { self[key] = oldValues[index] }
    }

    /// Calls `body` with every stored state.
    func forEach(_ body: (GoState) -> Void) {
        for index in keys.indices where keys[index] != 0 { body(values[index]) }
    }
}

/// Sorts in place, in linear time (LSD radix by bytes, only as many bytes as the largest value needs).
func radixSort(_ values: inout [UInt64]) {
    guard values.count > 1, let largest = values.max() else { return }
    var scratch = [UInt64](repeating: 0, count: values.count)
    var shift: UInt64 = 0
    while shift < 64 && (largest >> shift) != 0 {
        var counts = [Int](repeating: 0, count: 257)
        for value in values { counts[Int((value >> shift) & 0xFF) + 1] += 1 }
        for i in 1..<257 { counts[i] += counts[i - 1] }
        for value in values {
            let bucket = Int((value >> shift) & 0xFF)
            scratch[counts[bucket]] = value
            counts[bucket] += 1
        }
        swap(&values, &scratch)
        shift += 8
    }
}
