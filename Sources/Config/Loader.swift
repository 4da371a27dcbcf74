import Cron
import Foundation
import GBSnapCore
import Retention
import S3
import Scheduling
import Yams

/// Walks the composed YAML tree and builds a `ConfigFile`, reporting every problem it finds.
struct Loader {
    var reader: NodeReader
    /// Credential and CA files the config names, where it names them.
    var files: [ReferencedFile] = []

    static let topKeys = ["store", "s3", "metrics_listen", "shard", "max_concurrent", "defaults", "targets", "schedules", "triggers", "retention"]
    static let targetFieldKeys = ["pprof_prefix", "vars_path", "labels", "headers", "auth", "tls", "connect_timeout",
                                  "timeout", "max_artifact_bytes"]
    static let targetKeys = ["name", "url"] + targetFieldKeys
    static let scheduleDefaultKeys = ["time_zone", "kinds", "stagger", "spread", "catch_up", "params"]
    static let scheduleKeys = ["name", "cron", "time_zone", "targets", "selector", "kinds", "params", "stagger", "spread", "catch_up"]
    static let paramKeys = ["cpu_seconds", "trace_seconds", "heap_gc", "stacks_goroutine_limit", "stacks_over_limit", "custom"]
    static let customKeys = ["name", "path", "query", "extra_seconds"]
    static let retentionKeys = ["time_zone", "schedule", "rules"]
    static let ruleKeys = ["select", "keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly",
                           "keep_within", "max_age", "max_total_bytes", "keep_failed_last", "keep_failed_within"]
    static let selectKeys = ["targets", "kinds", "labels", "schedules"]

    /// Schedule settings that `defaults:` may set.
    struct ScheduleDefaults {
        var timeZone = TimeZone(identifier: "UTC")!
        var kinds: [CaptureKind]? = nil
        var stagger: Duration = .zero
        var spread: StaggerSpread = .hash
        var catchUp: CatchUpPolicy = .skip
        var params = CaptureParameters()
    }

    mutating func load(_ root: Node) -> ConfigFile? {
        guard let top = reader.mapping(root, "the config file", allowed: Self.topKeys) else { return nil }
        let byKey = Dictionary(top.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })

        var store: String? = nil
        if let s = byKey["store"] { store = reader.string(s.value, "store") }
        var s3: S3Configuration.FileSettings? = nil
        if let b = byKey["s3"] { s3 = readS3(b.value) }
        var metricsListen: ListenAddress? = nil
        if let m = byKey["metrics_listen"], let text = reader.string(m.value, "metrics_listen") {
            switch ListenAddress.parse(text) {
            case .success(let address): metricsListen = address
            case .failure(let error): reader.fail(m.value, "metrics_listen \"\(text)\" \(error.reason)")
            }
        }
        var shard: Shard? = nil
        if let s = byKey["shard"], let fields = reader.mapping(s.value, "shard", allowed: ["index", "count"]) {
            let byField = Dictionary(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            if let i = byField["index"], let c = byField["count"],
               let index = reader.int(i, "shard index", min: 0), let count = reader.int(c, "shard count", min: 1, max: 10_000) {
                switch Shard.make(index: index, count: count) {
                case .success(let made): shard = made
                case .failure(let error): reader.fail(i, "shard \(index)/\(count) \(error.reason)")
                }
            } else if byField["index"] == nil || byField["count"] == nil {
                reader.fail(s.value, "shard needs both index and count, e.g. shard: {index: 0, count: 3}")
            }
        }
        var maxConcurrent = ConfigFile.defaultMaxConcurrent
        if let m = byKey["max_concurrent"], let v = reader.int(m.value, "max_concurrent", min: 1, max: 10_000) { maxConcurrent = v }

        var template = TargetSpec(name: "", baseURL: "")
        var scheduleDefaults = ScheduleDefaults()
        if let d = byKey["defaults"] { readDefaults(d.value, template: &template, schedule: &scheduleDefaults) }

        var targets: [TargetSpec] = []
        if let t = byKey["targets"] {
            targets = readTargets(t.value, template: template)
        } else {
            reader.fail(line: 1, column: 1, "the config has no targets: list; define at least one target")
        }

        var schedules: [ConfiguredSchedule] = []
        if let s = byKey["schedules"] { schedules = readSchedules(s.value, targets: targets, defaults: scheduleDefaults) }

        var triggers: [ConfiguredTrigger] = []
        if let t = byKey["triggers"] { triggers = readTriggers(t.value, targets: targets, defaults: scheduleDefaults) }

        var retention: RetentionPolicy? = nil
        if let r = byKey["retention"] { retention = readRetention(r.value) }

        var config = ConfigFile(fileName: reader.file, store: store, maxConcurrent: maxConcurrent, targets: targets,
                                schedules: schedules, retention: retention)
        config.referencedFiles = files
        config.triggers = triggers
        config.metricsListen = metricsListen
        config.shard = shard
        config.s3 = s3
        return config
    }

    static let s3Keys = ["endpoint", "region", "access_key_id", "secret_access_key_file", "session_token_file", "addressing", "ca_file"]

    /// `s3:`: the endpoint and credentials of a bucket store. Secrets are only ever file names here.
    mutating func readS3(_ node: Node) -> S3Configuration.FileSettings? {
        guard let pairs = reader.mapping(node, "s3", allowed: Self.s3Keys) else { return nil }
        var settings = S3Configuration.FileSettings()
        for (key, _, value) in pairs {
            switch key {
            case "endpoint":
                if let text = reader.string(value, "s3 endpoint") {
                    do { _ = try S3Endpoint(parsing: text) } catch { reader.fail(value, "s3 \(error.problem)") }
                    settings.endpoint = text
                }
            case "region": settings.region = reader.string(value, "s3 region")
            case "access_key_id": settings.accessKeyID = reader.string(value, "s3 access_key_id")
            case "secret_access_key_file": settings.secretAccessKeyFile = file(value, "s3 secret_access_key_file", consequence: "no bucket request could be signed")
            case "session_token_file": settings.sessionTokenFile = file(value, "s3 session_token_file", consequence: "no bucket request could be signed")
            case "ca_file": settings.caFile = file(value, "s3 ca_file", consequence: "no TLS connection to the endpoint could be checked")
            case "addressing":
                if let text = reader.string(value, "s3 addressing") {
                    if let a = S3Addressing(rawValue: text) { settings.addressing = a } else {
                        reader.fail(value, "s3 addressing \"\(text)\" is not path or virtual")
                    }
                }
            default: break
            }
        }
        if settings.secretAccessKeyFile != nil && settings.accessKeyID == nil {
            reader.fail(node, "s3 secret_access_key_file needs access_key_id, the key id the secret belongs to")
        } else if settings.accessKeyID != nil && settings.secretAccessKeyFile == nil {
            reader.fail(node, "s3 access_key_id needs secret_access_key_file, a file holding its secret (a secret is never written in the config)")
        }
        return settings
    }

    // MARK: defaults and targets

    mutating func readDefaults(_ node: Node, template: inout TargetSpec, schedule: inout ScheduleDefaults) {
        guard let pairs = reader.mapping(node, "defaults", allowed: Self.targetFieldKeys + Self.scheduleDefaultKeys) else { return }
        applyTargetFields(pairs.filter { Self.targetFieldKeys.contains($0.key) }, to: &template, context: "defaults")
        for (key, _, value) in pairs {
            switch key {
            case "time_zone": if let z = reader.timeZone(value, "defaults: time_zone") { schedule.timeZone = z }
            case "kinds": schedule.kinds = readKinds(value, context: "defaults")
            case "stagger": if let d = reader.duration(value, "defaults: stagger") { schedule.stagger = d }
            case "spread": if let s = readSpread(value, context: "defaults") { schedule.spread = s }
            case "catch_up": if let c = readCatchUp(value, context: "defaults") { schedule.catchUp = c }
            case "params": readParams(value, into: &schedule.params, context: "defaults")
            default: break
            }
        }
    }

    mutating func readTargets(_ node: Node, template: TargetSpec) -> [TargetSpec] {
        guard case .sequence(let seq) = node else {
            reader.fail(node, "targets must be a list of targets, found \(NodeReader.describe(node))")
            return []
        }
        if seq.isEmpty { reader.fail(node, "targets is empty; define at least one target") }
        var out: [TargetSpec] = []
        var firstLine: [String: Int] = [:]
        for (index, item) in seq.enumerated() {
            guard let pairs = reader.mapping(item, Self.label(item, "target", index), allowed: Self.targetKeys) else { continue }
            let nameNode = pairs.first { $0.key == "name" }?.value
            guard let nameNode, let name = reader.string(nameNode, "target #\(index + 1) name") else {
                if nameNode == nil { reader.fail(item, "target #\(index + 1) has no name") }
                continue
            }
            let context = "target \"\(name)\""
            // The store's own rule: a name it would refuse fails here, at its position, not at the first capture.
            if !TargetSpec.isValidName(name) {
                reader.fail(nameNode, "\(context): a target name \(TargetSpec.nameRule)")
            }
            if let line = firstLine[name] {
                reader.fail(nameNode, "duplicate target name \"\(name)\" (first defined on line \(line))")
                continue
            }
            firstLine[name] = nameNode.mark?.line ?? 0
            var spec = template
            spec.name = name
            spec.labels = template.labels
            if let urlNode = pairs.first(where: { $0.key == "url" })?.value {
                if let url = reader.string(urlNode, "\(context) url") {
                    if Self.isHTTPURL(url) {
                        spec.baseURL = url
                    } else {
                        reader.fail(urlNode, "\(context): url \"\(URLRedaction.redact(url))\" is not an http:// or https:// URL with a host")
                    }
                }
            } else {
                reader.fail(item, "\(context) has no url")
            }
            applyTargetFields(pairs.filter { Self.targetFieldKeys.contains($0.key) }, to: &spec, context: context)
            out.append(spec)
        }
        return out
    }

    /// `target "name"` when the item has a string name, else `target #n`.
    static func label(_ item: Node, _ noun: String, _ index: Int) -> String {
        if case .mapping(let m) = item, let name = m["name"]?.string, !name.isEmpty { return "\(noun) \"\(name)\"" }
        return "\(noun) #\(index + 1)"
    }

    static func isSafeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != ".", first != "-" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = c.host, !host.isEmpty else { return false }
        return c.query == nil && c.fragment == nil
    }

    mutating func applyTargetFields(_ pairs: [(key: String, keyNode: Node, value: Node)], to spec: inout TargetSpec, context: String) {
        for (key, _, value) in pairs {
            let what = "\(context): \(key)"
            switch key {
            case "pprof_prefix", "vars_path":
                guard let p = reader.string(value, what) else { continue }
                guard p.hasPrefix("/") else {
                    reader.fail(value, "\(what) \"\(p)\" must start with /")
                    continue
                }
                if key == "pprof_prefix" { spec.pprofPrefix = p } else { spec.varsPath = p }
            case "labels":
                if let m = reader.stringMap(value, "\(context): labels") { spec.labels.merge(m) { _, new in new } }
            case "headers":
                if let m = reader.stringMap(value, "\(context): headers") { spec.headers.merge(m) { _, new in new } }
            case "auth": readAuth(value, into: &spec, context: context)
            case "tls": readTLS(value, into: &spec, context: context)
            case "connect_timeout", "timeout":
                guard let d = reader.duration(value, what) else { continue }
                guard d > .zero else {
                    reader.fail(value, "\(what) must be longer than zero (timeouts are always set)")
                    continue
                }
                if key == "timeout" { spec.timeouts.total = d } else { spec.timeouts.connect = d }
            case "max_artifact_bytes":
                guard let v = reader.size(value, what) else { continue }
                guard v > 0 else {
                    reader.fail(value, "\(what) must be larger than zero")
                    continue
                }
                spec.maxArtifactBytes = v
            default: break
            }
        }
    }

    mutating func readAuth(_ node: Node, into spec: inout TargetSpec, context: String) {
        guard let pairs = reader.mapping(node, "\(context) auth", allowed: ["bearer_token_file", "basic"]) else { return }
        var auth = spec.auth ?? TargetSpec.Auth()
        for (key, _, value) in pairs {
            if key == "bearer_token_file" {
                auth.bearerTokenFile = file(value, "\(context): auth bearer_token_file")
                auth.basicUsername = nil
                auth.basicPasswordFile = nil
            } else if let basic = reader.mapping(value, "\(context) auth basic", allowed: ["username", "password_file"]) {
                let user = basic.first { $0.key == "username" }
                let file = basic.first { $0.key == "password_file" }
                if user == nil || file == nil {
                    reader.fail(value, "\(context): auth basic needs both username and password_file")
                }
                if let user { auth.basicUsername = reader.string(user.value, "\(context): auth basic username") }
                if let password = file { auth.basicPasswordFile = self.file(password.value, "\(context): auth basic password_file") }
                auth.bearerTokenFile = nil
            }
        }
        if pairs.contains(where: { $0.key == "bearer_token_file" }) && pairs.contains(where: { $0.key == "basic" }) {
            reader.fail(node, "\(context): auth takes either bearer_token_file or basic, not both")
        }
        spec.auth = auth
    }

    /// A file path value, remembered with its position for ``ConfigFile/fileProblems(_:)``.
    mutating func file(_ node: Node, _ what: String, consequence: String = ReferencedFile.captureConsequence) -> String? {
        guard let path = reader.string(node, what) else { return nil }
        files.append(ReferencedFile(path: path, what: what, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, consequence: consequence))
        return path
    }

    mutating func readTLS(_ node: Node, into spec: inout TargetSpec, context: String) {
        guard let pairs = reader.mapping(node, "\(context) tls", allowed: ["ca_file", "cert_file", "key_file", "insecure_skip_verify"]) else { return }
        var tls = spec.tls ?? TargetSpec.TLS()
        for (key, _, value) in pairs {
            switch key {
            case "ca_file": tls.caFile = file(value, "\(context): tls ca_file")
            case "cert_file": tls.certFile = file(value, "\(context): tls cert_file")
            case "key_file": tls.keyFile = file(value, "\(context): tls key_file")
            default: if let b = reader.bool(value, "\(context): tls insecure_skip_verify") { tls.insecureSkipVerify = b }
            }
        }
        if (tls.certFile == nil) != (tls.keyFile == nil) {
            reader.fail(node, "\(context): tls needs cert_file and key_file together (a client certificate and its key)")
        }
        spec.tls = tls
    }

    // MARK: schedules

    mutating func readKinds(_ node: Node, context: String) -> [CaptureKind]? {
        guard let list = reader.stringList(node, "\(context): kinds") else { return nil }
        var kinds: [CaptureKind] = []
        for (name, itemNode) in list {
            guard let kind = CaptureKind(userName: name) else {
                let known = CaptureKind.allCases.map(\.rawValue).joined(separator: ", ")
                reader.fail(itemNode, "\(context): unknown capture kind \"\(name)\" (known kinds: \(known))")
                continue
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        if list.isEmpty { reader.fail(node, "\(context): kinds is empty; list at least one capture kind") }
        return kinds
    }

    mutating func readSpread(_ node: Node, context: String) -> StaggerSpread? {
        guard let s = reader.string(node, "\(context): spread") else { return nil }
        guard let v = StaggerSpread(rawValue: s) else {
            reader.fail(node, "\(context): spread must be hash or even, found \"\(s)\"")
            return nil
        }
        return v
    }

    mutating func readCatchUp(_ node: Node, context: String) -> CatchUpPolicy? {
        guard let s = reader.string(node, "\(context): catch_up") else { return nil }
        guard let v = CatchUpPolicy(rawValue: s) else {
            reader.fail(node, "\(context): catch_up must be skip or once, found \"\(s)\"")
            return nil
        }
        return v
    }

    mutating func readParams(_ node: Node, into params: inout CaptureParameters, context: String) {
        guard let pairs = reader.mapping(node, "\(context) params", allowed: Self.paramKeys) else { return }
        for (key, _, value) in pairs {
            let what = "\(context): params \(key)"
            switch key {
            case "cpu_seconds": if let v = reader.int(value, what, min: 1, max: 3600) { params.cpuSeconds = v }
            case "trace_seconds": if let v = reader.int(value, what, min: 1, max: 3600) { params.traceSeconds = v }
            case "heap_gc": if let v = reader.bool(value, what) { params.heapGC = v }
            case "stacks_goroutine_limit": if let v = reader.int(value, what, min: 0) { params.stacksGoroutineLimit = v }
            case "stacks_over_limit":
                guard let s = reader.string(value, what) else { continue }
                if let v = CaptureParameters.StacksOverLimit(rawValue: s) {
                    params.stacksOverLimit = v
                } else {
                    reader.fail(value, "\(what) must be downgrade or skip, found \"\(s)\"")
                }
            case "custom":
                guard case .sequence(let seq) = value else {
                    reader.fail(value, "\(what) must be a list of endpoints, found \(NodeReader.describe(value))")
                    continue
                }
                var endpoints: [CaptureParameters.CustomEndpoint] = []
                for (i, item) in seq.enumerated() {
                    if let e = readCustomEndpoint(item, context: "\(context): params custom #\(i + 1)") {
                        if endpoints.contains(where: { $0.name == e.name }) {
                            reader.fail(item, "\(context): params custom has two endpoints named \"\(e.name)\"")
                        }
                        endpoints.append(e)
                    }
                }
                params.customEndpoints = endpoints
            default: break
            }
        }
    }

    mutating func readCustomEndpoint(_ node: Node, context: String) -> CaptureParameters.CustomEndpoint? {
        guard let pairs = reader.mapping(node, context, allowed: Self.customKeys) else { return nil }
        let get = { (k: String) in pairs.first { $0.key == k }?.value }
        guard let nameNode = get("name"), let pathNode = get("path") else {
            reader.fail(node, "\(context) needs a name and a path")
            return nil
        }
        guard let name = reader.string(nameNode, "\(context) name"), let path = reader.string(pathNode, "\(context) path") else { return nil }
        var ok = true
        if !Self.isSafeName(name) {
            reader.fail(nameNode, "\(context): name \"\(name)\" must be a safe file name (letters, digits, '.', '_', '-')")
            ok = false
        }
        if !path.hasPrefix("/") {
            reader.fail(pathNode, "\(context): path \"\(path)\" must start with /")
            ok = false
        }
        var endpoint = CaptureParameters.CustomEndpoint(name: name, path: path)
        if let q = get("query"), let query = reader.string(q, "\(context) query", allowEmpty: true) {
            endpoint.query = query.hasPrefix("?") ? String(query.dropFirst()) : query
        }
        if let e = get("extra_seconds") {
            if let v = reader.int(e, "\(context) extra_seconds", min: 0, max: 3600) { endpoint.extraSeconds = v } else { ok = false }
        }
        return ok ? endpoint : nil
    }

    mutating func readSchedules(_ node: Node, targets: [TargetSpec], defaults: ScheduleDefaults) -> [ConfiguredSchedule] {
        guard case .sequence(let seq) = node else {
            reader.fail(node, "schedules must be a list of schedules, found \(NodeReader.describe(node))")
            return []
        }
        var out: [ConfiguredSchedule] = []
        var firstLine: [String: Int] = [:]
        for (index, item) in seq.enumerated() {
            guard let pairs = reader.mapping(item, Self.label(item, "schedule", index), allowed: Self.scheduleKeys) else { continue }
            let get = { (k: String) in pairs.first { $0.key == k }?.value }
            guard let nameNode = get("name"), let name = reader.string(nameNode, "schedule #\(index + 1) name") else {
                if get("name") == nil { reader.fail(item, "schedule #\(index + 1) has no name") }
                continue
            }
            let context = "schedule \"\(name)\""
            if let line = firstLine[name] {
                reader.fail(nameNode, "duplicate schedule name \"\(name)\" (first defined on line \(line))")
                continue
            }
            firstLine[name] = nameNode.mark?.line ?? 0
            if ["manual", "import"].contains(name) {
                reader.fail(nameNode, "\(context): the names manual and import are reserved for snapshots taken outside schedules")
            }

            var cron: CronExpression? = nil
            if let cronNode = get("cron") {
                cron = readCron(cronNode, hashKey: name, context: context)
            } else {
                reader.fail(item, "\(context) has no cron expression")
            }
            var zone = defaults.timeZone
            if let z = get("time_zone"), let tz = reader.timeZone(z, "\(context): time_zone") { zone = tz }
            var kinds = defaults.kinds
            if let k = get("kinds") { kinds = readKinds(k, context: context) }
            if kinds == nil { reader.fail(item, "\(context) has no kinds (and defaults: sets none)") }
            var params = defaults.params
            if let p = get("params") { readParams(p, into: &params, context: context) }
            if let kinds, kinds.contains(.custom), params.customEndpoints.isEmpty {
                reader.fail(get("kinds") ?? item, "\(context): kind custom needs params custom endpoints")
            }
            var stagger = defaults.stagger
            if let s = get("stagger"), let d = reader.duration(s, "\(context): stagger") { stagger = d }
            var spread = defaults.spread
            if let s = get("spread"), let v = readSpread(s, context: context) { spread = v }
            var catchUp = defaults.catchUp
            if let c = get("catch_up"), let v = readCatchUp(c, context: context) { catchUp = v }

            let selected = resolveTargets(targetsNode: get("targets"), selectorNode: get("selector"), item: item,
                                          targets: targets, context: context)
            if let cron, let kinds, let selected {
                out.append(ConfiguredSchedule(name: name, cron: cron, timeZone: zone, targets: selected, kinds: kinds,
                                              parameters: params, stagger: stagger, spread: spread, catchUp: catchUp))
            }
        }
        return out
    }

    /// Parses a cron expression; an error points at the offending character inside the YAML scalar.
    mutating func readCron(_ node: Node, hashKey: String, context: String) -> CronExpression? {
        guard let text = reader.string(node, "\(context): cron") else { return nil }
        do {
            return try CronExpression(text, hashKey: hashKey)
        } catch {
            if case .scalar(let s) = node, let mark = s.mark, let position = error.position, !text.contains("\n") {
                let quote = (s.style == .singleQuoted || s.style == .doubleQuoted) ? 1 : 0
                reader.fail(line: mark.line, column: mark.column + quote + position - 1, "\(context): \(error.description)")
            } else {
                reader.fail(node, "\(context): \(error.description)")
            }
            return nil
        }
    }

    mutating func resolveTargets(targetsNode: Node?, selectorNode: Node?, item: Node, targets: [TargetSpec], context: String) -> [String]? {
        guard targetsNode != nil || selectorNode != nil else {
            reader.fail(item, "\(context) selects no targets; give targets: (names) or selector: (labels)")
            return nil
        }
        var chosen = Set<String>()
        var ok = true
        let names = targets.map(\.name)
        if let targetsNode, let list = reader.stringList(targetsNode, "\(context): targets") {
            if list.isEmpty && selectorNode == nil {
                reader.fail(targetsNode, "\(context): targets is empty, so the schedule never captures anything; list target names or use a selector")
                ok = false
            }
            for (name, itemNode) in list {
                if names.contains(name) {
                    chosen.insert(name)
                } else {
                    let hint = NodeReader.closest(name, in: names).map { "; did you mean \"\($0)\"?" } ?? ""
                    reader.fail(itemNode, "\(context): unknown target \"\(name)\"\(hint)")
                    ok = false
                }
            }
        }
        if let selectorNode, let pairs = reader.mapping(selectorNode, "\(context) selector", allowed: ["labels"]) {
            if let labelsNode = pairs.first?.value, let labels = reader.stringMap(labelsNode, "\(context): selector labels") {
                let matched = targets.filter { t in labels.allSatisfy { t.labels[$0.key] == $0.value } }
                if matched.isEmpty {
                    // Also next to explicit targets: a selector that matches nothing is a typo, not a choice.
                    let text = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                    let known = Set(targets.flatMap { $0.labels.map { "\($0.key)=\($0.value)" } }).sorted()
                    let close = labels.count == 1 ? NameSuggestion.closest(text, in: known).map { "; did you mean \($0)?" } ?? "" : ""
                    reader.fail(selectorNode, "\(context): selector labels {\(text)} match no target\(close)")
                    ok = false
                }
                chosen.formUnion(matched.map(\.name))
            } else if pairs.isEmpty {
                reader.fail(selectorNode, "\(context): selector needs labels")
                ok = false
            }
        }
        guard ok else { return nil }
        return names.filter { chosen.contains($0) }
    }

    // MARK: retention

    mutating func readRetention(_ node: Node) -> RetentionPolicy? {
        guard let pairs = reader.mapping(node, "retention", allowed: Self.retentionKeys) else { return nil }
        var policy = RetentionPolicy(rules: [])
        var ok = true
        for (key, _, value) in pairs {
            switch key {
            case "time_zone":
                if let z = reader.timeZone(value, "retention: time_zone") { policy.timeZone = z } else { ok = false }
            case "schedule":
                if let text = reader.string(value, "retention: schedule") {
                    if readCron(value, hashKey: "retention", context: "retention schedule") != nil { policy.schedule = text } else { ok = false }
                }
            default:
                guard case .sequence(let seq) = value else {
                    reader.fail(value, "retention: rules must be a list of rules, found \(NodeReader.describe(value))")
                    ok = false
                    continue
                }
                for (i, item) in seq.enumerated() {
                    if let rule = readRule(item, context: "retention rule #\(i + 1)") { policy.rules.append(rule) } else { ok = false }
                }
            }
        }
        return ok ? policy : nil
    }

    mutating func readCount(_ node: Node, _ what: String) -> Int? {
        if case .scalar(let s) = node, s.string.lowercased() == "unlimited" { return -1 }
        guard case .scalar(let s) = node, let v = Int(s.string) else {
            reader.fail(node, "\(what) must be a whole number (-1 or unlimited for no limit), found \(NodeReader.describe(node))")
            return nil
        }
        guard v >= -1 else {
            reader.fail(node, "\(what) must be -1 (unlimited), 0 (not used) or a positive count, found \(v)")
            return nil
        }
        return v
    }

    mutating func readRule(_ node: Node, context: String) -> RetentionRule? {
        guard let pairs = reader.mapping(node, context, allowed: Self.ruleKeys) else { return nil }
        var rule = RetentionRule()
        let before = reader.errors.count
        for (key, _, value) in pairs {
            let what = "\(context): \(key)"
            switch key {
            case "select":
                guard let sel = reader.mapping(value, "\(context) select", allowed: Self.selectKeys) else { continue }
                for (sk, _, sv) in sel {
                    switch sk {
                    case "targets": rule.selector.targets = reader.stringList(sv, "\(context): select targets")?.map(\.0) ?? []
                    case "kinds": rule.selector.kinds = reader.stringList(sv, "\(context): select kinds")?.map(\.0) ?? []
                    case "labels": rule.selector.labels = reader.stringMap(sv, "\(context): select labels") ?? [:]
                    default: rule.selector.schedules = reader.stringList(sv, "\(context): select schedules")?.map(\.0) ?? []
                    }
                }
            case "keep_last": rule.keepLast = readCount(value, what)
            case "keep_hourly": rule.keepHourly = readCount(value, what)
            case "keep_daily": rule.keepDaily = readCount(value, what)
            case "keep_weekly": rule.keepWeekly = readCount(value, what)
            case "keep_monthly": rule.keepMonthly = readCount(value, what)
            case "keep_yearly": rule.keepYearly = readCount(value, what)
            case "keep_within": rule.keepWithin = reader.duration(value, what)
            case "keep_failed_last": rule.keepFailedLast = readCount(value, what)
            case "keep_failed_within": rule.keepFailedWithin = reader.duration(value, what)
            case "max_age":
                if let d = reader.duration(value, what) {
                    if d > .zero { rule.maxAge = d } else { reader.fail(value, "\(what) must be longer than zero") }
                }
            default: rule.maxTotalBytes = reader.size(value, what)
            }
        }
        return reader.errors.count == before ? rule : nil
    }
}
