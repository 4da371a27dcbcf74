import ArchiveIO

/// Encodes a `Profile` as profile.proto, gzipped by default (as pprof and the Go runtime write it).
public enum ProfileEncoder {
    /// The serialized profile, gzip-compressed unless `compressed` is false.
    ///
    /// Strings are interned into a fresh string table (`""` first). Zero scalars are omitted;
    /// repeated scalars with more than two elements are packed.
    public static func encode(_ profile: Profile, compressed: Bool = true) throws(CompressionError) -> [UInt8] {
        let message = encodeMessage(profile)
        return compressed ? try Gzip.deflate(message, level: 1) : message
    }

    /// The uncompressed serialized `Profile` message.
    public static func encodeMessage(_ profile: Profile) -> [UInt8] {
        var table = StringTable()
        var w = ProtobufWriter()
        var s1 = ProtobufWriter()
        var s2 = ProtobufWriter()
        w.bytes.reserveCapacity(profile.samples.count * 24 + profile.locations.count * 16 + 4096)

        for type in profile.sampleTypes {
            w.message(1, scratch: &s1) { $0.valueType(type, &table) }
        }
        for sample in profile.samples {
            w.message(2, scratch: &s1) { m in
                m.repeatedVarint(1, sample.locationIDs)
                m.repeatedVarint(2, sample.values.lazy.map { UInt64(bitPattern: $0) })
                for label in sample.labels {
                    m.message(3, scratch: &s2) { l in
                        l.uint64(1, table.index(label.key))
                        switch label.value {
                        case .string(let s):
                            l.uint64(2, table.index(s))
                        case .number(let n, let unit):
                            l.int64(3, n)
                            l.uint64(4, table.index(unit))
                        }
                    }
                }
            }
        }
        for m in profile.mappings {
            w.message(3, scratch: &s1) { b in
                b.uint64(1, m.id)
                b.uint64(2, m.memoryStart)
                b.uint64(3, m.memoryLimit)
                b.uint64(4, m.fileOffset)
                b.uint64(5, table.index(m.filename))
                b.uint64(6, table.index(m.buildID))
                b.bool(7, m.hasFunctions)
                b.bool(8, m.hasFilenames)
                b.bool(9, m.hasLineNumbers)
                b.bool(10, m.hasInlineFrames)
            }
        }
        for location in profile.locations {
            w.message(4, scratch: &s1) { b in
                b.uint64(1, location.id)
                b.uint64(2, location.mappingID)
                b.uint64(3, location.address)
                for line in location.lines {
                    b.message(4, scratch: &s2) { l in
                        l.uint64(1, line.functionID)
                        l.int64(2, line.line)
                        l.int64(3, line.column)
                    }
                }
                b.bool(5, location.isFolded)
            }
        }
        for f in profile.functions {
            w.message(5, scratch: &s1) { b in
                b.uint64(1, f.id)
                b.uint64(2, table.index(f.name))
                b.uint64(3, table.index(f.systemName))
                b.uint64(4, table.index(f.filename))
                b.int64(5, f.startLine)
            }
        }
        // Scalars referring to strings are interned before the table is written.
        let dropFrames = table.index(profile.dropFrames)
        let keepFrames = table.index(profile.keepFrames)
        let comments = profile.comments.map { table.index($0) }
        let defaultSampleType = table.index(profile.defaultSampleType)
        let docURL = table.index(profile.docURL)
        if let periodType = profile.periodType {
            w.message(11, scratch: &s1) { $0.valueType(periodType, &table) }
        }
        for string in table.strings {
            w.bytesField(6, string.utf8)
        }
        w.uint64(7, dropFrames)
        w.uint64(8, keepFrames)
        w.int64(9, profile.timeNanos)
        w.int64(10, profile.durationNanos)
        w.int64(12, profile.period)
        w.repeatedVarint(13, comments)
        w.uint64(14, defaultSampleType)
        w.uint64(15, docURL)
        return w.bytes
    }
}

/// Interns strings in first-use order; index 0 is the empty string.
struct StringTable {
    private(set) var strings: [String] = [""]
    private var indices: [String: UInt64] = ["": 0]

    mutating func index(_ s: String) -> UInt64 {
        if let i = indices[s] { return i }
        let i = UInt64(strings.count)
        strings.append(s)
        indices[s] = i
        return i
    }
}

extension ProtobufWriter {
    fileprivate mutating func valueType(_ type: Profile.ValueType, _ table: inout StringTable) {
        uint64(1, table.index(type.type))
        uint64(2, table.index(type.unit))
    }
}
