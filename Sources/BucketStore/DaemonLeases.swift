import Foundation
import S3

extension BucketStore {
    /// The daemon leases of the store that have not expired by the server's clock (`leases/daemon*.json`), name order:
    /// who serves the bucket, for `gbsnap status`.
    public func daemonLeases() async throws -> [(name: String, record: LeaseRecord)] {
        let prefix = key("leases/")
        var found: [(name: String, record: LeaseRecord)] = []
        for object in try await client.listAllObjects(bucket: bucket, prefix: prefix) {
            let file = object.key.dropFirst(prefix.count)
            guard file.hasPrefix("daemon"), file.hasSuffix(".json") else { continue }
            guard let data = try await getIfPresent(object.key), let record = LeaseRecord(json: data.bytes) else { continue }  // released meanwhile
            if let now = data.serverDate, record.expiresAt <= now { continue }
            found.append((String(file.dropLast(".json".count)), record))
        }
        return found.sorted { $0.name < $1.name }
    }
}
