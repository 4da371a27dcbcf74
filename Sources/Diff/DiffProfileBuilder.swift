import Profiles

/// Builds the merged diff profile that `go tool pprof -proto -diff_base=A B` writes: B's samples
/// as they are, A's samples negated and labelled `pprof::base=true`. `go tool pprof` reading it
/// behaves as if given `-diff_base=A B`.
public enum DiffProfileBuilder {
    /// The label key pprof uses to mark base samples.
    public static let baseLabelKey = "pprof::base"

    /// The merged profile, restricted to the sample types both profiles have (in B's order).
    ///
    /// Ids of A's mappings, locations and functions are shifted past B's so both tables coexist;
    /// samples whose values are all zero are dropped, as pprof's merge does. Header fields follow
    /// pprof's merge: earliest time, summed durations, largest period.
    public static func build(base: Profile, current: Profile) throws(ProfileDiffError) -> Profile {
        // Validates compatibility exactly as a diff would (sample index irrelevant here).
        _ = try ProfileDiff.selectSampleType(base: base, current: current, sampleIndex: nil)
        let baseNames = Set(base.sampleTypes.map(\.type))
        let types = current.sampleTypes.filter { baseNames.contains($0.type) }
        let columnsB = types.map { t in current.sampleTypes.firstIndex(of: t) ?? 0 }
        let columnsA = types.map { t in base.sampleTypes.firstIndex(of: t) ?? 0 }

        var merged = Profile()
        merged.sampleTypes = types
        merged.periodType = current.periodType
        merged.period = max(base.period, current.period)
        merged.timeNanos = [base.timeNanos, current.timeNanos].filter { $0 != 0 }.min() ?? 0
        merged.durationNanos = base.durationNanos &+ current.durationNanos
        merged.defaultSampleType = current.defaultSampleType.isEmpty ? base.defaultSampleType : current.defaultSampleType
        merged.docURL = current.docURL.isEmpty ? base.docURL : current.docURL
        merged.dropFrames = current.dropFrames
        merged.keepFrames = current.keepFrames
        for comment in current.comments + base.comments where !merged.comments.contains(comment) {
            merged.comments.append(comment)
        }

        merged.mappings = current.mappings
        merged.locations = current.locations
        merged.functions = current.functions
        let mappingShift = current.mappings.map(\.id).max() ?? 0
        let locationShift = current.locations.map(\.id).max() ?? 0
        let functionShift = current.functions.map(\.id).max() ?? 0
        for var m in base.mappings {
            m.id &+= mappingShift
            merged.mappings.append(m)
        }
        for var f in base.functions {
            f.id &+= functionShift
            merged.functions.append(f)
        }
        for var l in base.locations {
            l.id &+= locationShift
            if l.mappingID != 0 { l.mappingID &+= mappingShift }
            for i in l.lines.indices { l.lines[i].functionID &+= functionShift }
            merged.locations.append(l)
        }

        merged.samples.reserveCapacity(current.samples.count + base.samples.count)
        for sample in current.samples {
            let values = columnsB.map { $0 < sample.values.count ? sample.values[$0] : 0 }
            guard values.contains(where: { $0 != 0 }) else { continue }
            merged.samples.append(Profile.Sample(locationIDs: sample.locationIDs, values: values, labels: sample.labels))
        }
        for sample in base.samples {
            let values = columnsA.map { $0 < sample.values.count ? 0 &- sample.values[$0] : 0 }
            guard values.contains(where: { $0 != 0 }) else { continue }
            merged.samples.append(Profile.Sample(
                locationIDs: sample.locationIDs.map { $0 &+ locationShift },
                values: values,
                labels: [.string(baseLabelKey, "true")] + sample.labels))
        }
        return merged
    }
}
