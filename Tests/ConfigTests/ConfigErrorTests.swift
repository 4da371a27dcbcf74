import Foundation
import GBSnapCore
import Testing
@testable import Config

/// Parses `yaml` and returns every error line, or [] when it loads.
func errors(_ yaml: String, file: String = "gbsnap.yaml") -> [String] {
    do {
        _ = try ConfigFile.parse(yaml: yaml, fileName: file)
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

let minimalTarget = """
targets:
  - name: order-api
    url: http://127.0.0.1:6060

"""

@Suite("Config errors")
struct ConfigErrorTests {
    @Test("a target name the store accepts loads: 100 bytes of the allowed characters")
    func longestTargetNameLoads() {
        let name = String(repeating: "a", count: 98) + "._"
        #expect(errors("targets:\n  - name: \(name)\n    url: http://a:1\n") == [])
        #expect(TargetSpec.isValidName(name))
        #expect(!TargetSpec.isValidName(name + "x"))
    }

    @Test("All errors of a file are reported at once, in file order, each with file:line:column")
    func collectsEverything() {
        let yaml = """
        max_concurent: 4
        defaults:
          timeout: 30
          max_artifact_bytes: 12XB
        targets:
          - name: order-api
            url: ftp://10.0.0.1
          - name: order-api
            url: http://10.0.0.2:6060
          - name: inventory
            url: http://10.0.0.3:6060
            labels: [a, b]
        schedules:
          - name: nightly
            cron: "0 0 30 2 *"
            targets: [order-ap, inventory]
            kinds: [heap, heapz]
            stagger: soon
          - name: fast
            cron: "*/5 * * * 8"
            targets: [inventory]
            kinds: heap
            spread: random
            catch_up: always
        """
        #expect(errors(yaml) == [
            "gbsnap.yaml:1:1: unknown key \"max_concurent\" in the config file (allowed: store, s3, metrics_listen, shard, max_concurrent, defaults, targets, schedules, triggers, retention); did you mean \"max_concurrent\"?",
            "gbsnap.yaml:3:12: defaults: timeout must be a duration such as 90s, 5m, 1h30m, 2d or 1w, found \"30\"",
            "gbsnap.yaml:4:23: defaults: max_artifact_bytes must be a size such as 1024, 512MiB or 10GB, found \"12XB\"",
            "gbsnap.yaml:7:10: target \"order-api\": url \"ftp://10.0.0.1\" is not an http:// or https:// URL with a host",
            "gbsnap.yaml:8:11: duplicate target name \"order-api\" (first defined on line 6)",
            "gbsnap.yaml:12:13: target \"inventory\": labels must be a mapping of names to strings, found a list",
            "gbsnap.yaml:15:11: schedule \"nightly\": cron expression \"0 0 30 2 *\": it can never fire (February has no day 30)",
            "gbsnap.yaml:16:15: schedule \"nightly\": unknown target \"order-ap\"; did you mean \"order-api\"?",
            "gbsnap.yaml:17:19: schedule \"nightly\": unknown capture kind \"heapz\" (known kinds: heap, allocs, goroutine, stacks, goroutine-text, cpu, trace, block, mutex, threadcreate, goroutineleak, vars, custom)",
            "gbsnap.yaml:18:14: schedule \"nightly\": stagger must be a duration such as 90s, 5m, 1h30m, 2d or 1w, found \"soon\"",
            "gbsnap.yaml:20:22: schedule \"fast\": cron expression \"*/5 * * * 8\": day-of-week field at character 11: expected a day of week 0-7 or SUN-SAT, found \"8\"",
            "gbsnap.yaml:23:13: schedule \"fast\": spread must be hash or even, found \"random\"",
            "gbsnap.yaml:24:15: schedule \"fast\": catch_up must be skip or once, found \"always\"",
        ])
    }
}

@Suite("Config error paths")
struct ConfigErrorPathTests {
    @Test("Each problem gets one clear sentence at its position", arguments: [
        // File-level problems.
        ("", "gbsnap.yaml: the config file is empty; expected a mapping with at least a targets: list"),
        ("- a\n- b\n", "gbsnap.yaml:1:1: the config file must be a mapping, found a list"),
        ("targets: [\n", "gbsnap.yaml:2:1: invalid YAML: did not find expected node content while parsing a flow node"),
        ("store: a\nstore: b\n" + minimalTarget, "gbsnap.yaml:1:1: duplicate key \"store\" in a mapping"),
        ("store: /x\n", "gbsnap.yaml:1:1: the config has no targets: list; define at least one target"),
        ("targets: []\n", "gbsnap.yaml:1:10: targets is empty; define at least one target"),
        ("targets: x\n", "gbsnap.yaml:1:10: targets must be a list of targets, found \"x\""),
        ("max_concurrent: 0\n" + minimalTarget, "gbsnap.yaml:1:17: max_concurrent must be at least 1, found 0"),
        ("max_concurrent: lots\n" + minimalTarget, "gbsnap.yaml:1:17: max_concurrent must be a whole number, found \"lots\""),
        ("store: [a]\n" + minimalTarget, "gbsnap.yaml:1:8: store must be a string, found a list"),
        // Targets.
        ("targets:\n  - url: http://a:1\n", "gbsnap.yaml:2:5: target #1 has no name"),
        ("targets:\n  - name: a\n", "gbsnap.yaml:2:5: target \"a\" has no url"),
        ("targets:\n  - name: ../etc\n    url: http://a:1\n",
         "gbsnap.yaml:2:11: target \"../etc\": a target name may only hold letters, digits, '.', '_' and '-', must not start with '.' or '-', and must be at most 100 bytes long"),
        // The store's limit on names (it refuses to write a longer one), checked where the name is written.
        ("targets:\n  - name: \(String(repeating: "a", count: 101))\n    url: http://a:1\n",
         "gbsnap.yaml:2:11: target \"\(String(repeating: "a", count: 101))\": a target name may only hold letters, digits, '.', '_' and '-', must not start with '.' or '-', and must be at most 100 bytes long"),
        ("targets:\n  - name: a\n    url: http://u:secret@:1\n", "gbsnap.yaml:3:10: target \"a\": url \"http://:1\" is not an http:// or https:// URL with a host"),
        ("targets:\n  - name: a\n    url: http://a:1\n    pprof_prefix: debug/pprof\n", "gbsnap.yaml:4:19: target \"a\": pprof_prefix \"debug/pprof\" must start with /"),
        ("targets:\n  - name: a\n    url: http://a:1\n    timeout: 0s\n", "gbsnap.yaml:4:14: target \"a\": timeout must be longer than zero (timeouts are always set)"),
        ("targets:\n  - name: a\n    url: http://a:1\n    max_artifact_bytes: 0\n", "gbsnap.yaml:4:25: target \"a\": max_artifact_bytes must be larger than zero"),
        ("targets:\n  - name: a\n    url: http://a:1\n    auth: {bearer_token_file: /t, basic: {username: u, password_file: /p}}\n",
         "gbsnap.yaml:4:11: target \"a\": auth takes either bearer_token_file or basic, not both"),
        ("targets:\n  - name: a\n    url: http://a:1\n    auth: {basic: {username: u}}\n", "gbsnap.yaml:4:19: target \"a\": auth basic needs both username and password_file"),
        ("targets:\n  - name: a\n    url: http://a:1\n    auth: {token: x}\n",
         "gbsnap.yaml:4:12: unknown key \"token\" in target \"a\" auth (allowed: bearer_token_file, basic)"),
        ("targets:\n  - name: a\n    url: http://a:1\n    tls: {cert_file: /c}\n",
         "gbsnap.yaml:4:10: target \"a\": tls needs cert_file and key_file together (a client certificate and its key)"),
        ("targets:\n  - name: a\n    url: http://a:1\n    tls: {insecure_skip_verify: maybe}\n",
         "gbsnap.yaml:4:33: target \"a\": tls insecure_skip_verify must be true or false, found \"maybe\""),
        ("targets:\n  - name: a\n    url: http://a:1\n    headers: {X-A: [1]}\n", "gbsnap.yaml:4:20: target \"a\": headers \"X-A\" must be a string, found a list"),
        ("targets:\n  - name: a\n    url: http://a:1\n    labls: {a: b}\n",
         "gbsnap.yaml:4:5: unknown key \"labls\" in target \"a\" (allowed: name, url, pprof_prefix, vars_path, labels, headers, auth, tls, connect_timeout, timeout, max_artifact_bytes); did you mean \"labels\"?"),
        // Schedules.
        (minimalTarget + "schedules:\n  - cron: '@daily'\n", "gbsnap.yaml:5:5: schedule #1 has no name"),
        (minimalTarget + "schedules:\n  - name: s\n    targets: [order-api]\n    kinds: [heap]\n", "gbsnap.yaml:5:5: schedule \"s\" has no cron expression"),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '@daily'\n    targets: [order-api]\n", "gbsnap.yaml:5:5: schedule \"s\" has no kinds (and defaults: sets none)"),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '@daily'\n    kinds: [heap]\n",
         "gbsnap.yaml:5:5: schedule \"s\" selects no targets; give targets: (names) or selector: (labels)"),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '@daily'\n    kinds: []\n    targets: order-api\n",
         "gbsnap.yaml:7:12: schedule \"s\": kinds is empty; list at least one capture kind"),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '0 0 32 * *'\n    kinds: heap\n    targets: order-api\n",
         "gbsnap.yaml:6:16: schedule \"s\": cron expression \"0 0 32 * *\": day-of-month field at character 5: expected a day of month 1-31, found \"32\""),
        (minimalTarget + "schedules:\n  - name: s\n    cron: 0 0 32 * *\n    kinds: heap\n    targets: order-api\n",
         "gbsnap.yaml:6:15: schedule \"s\": cron expression \"0 0 32 * *\": day-of-month field at character 5: expected a day of month 1-31, found \"32\""),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '@daily'\n    time_zone: Mars/Olympus\n    kinds: heap\n    targets: order-api\n",
         "gbsnap.yaml:7:16: schedule \"s\": time_zone \"Mars/Olympus\" is not an IANA time zone name such as UTC or Asia/Shanghai"),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '@daily'\n    kinds: heap\n    selector: {labels: {env: prod}}\n",
         "gbsnap.yaml:8:15: schedule \"s\": selector labels {env=prod} match no target"),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '@daily'\n    kinds: heap\n    targets: []\n",
         "gbsnap.yaml:8:14: schedule \"s\": targets is empty, so the schedule never captures anything; list target names or use a selector"),
        (minimalTarget.replacingOccurrences(of: "6060\n", with: "6060\n    labels: {env: prod}\n") + "schedules:\n  - name: s\n    cron: '@daily'\n    kinds: heap\n    targets: [order-api]\n    selector: {labels: {env: prd}}\n",
         "gbsnap.yaml:10:15: schedule \"s\": selector labels {env=prd} match no target; did you mean env=prod?"),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '@daily'\n    kinds: heap\n    selector: {}\n", "gbsnap.yaml:8:15: schedule \"s\": selector needs labels"),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '@daily'\n    kinds: [custom]\n    targets: order-api\n",
         "gbsnap.yaml:7:12: schedule \"s\": kind custom needs params custom endpoints"),
        (minimalTarget + "schedules:\n  - name: manual\n    cron: '@daily'\n    kinds: heap\n    targets: order-api\n",
         "gbsnap.yaml:5:11: schedule \"manual\": the names manual and import are reserved for snapshots taken outside schedules"),
        (minimalTarget + "schedules:\n  - name: s\n    cron: '@daily'\n    kinds: heap\n    targets: order-api\n  - name: s\n    cron: '@daily'\n    kinds: heap\n    targets: order-api\n",
         "gbsnap.yaml:9:11: duplicate schedule name \"s\" (first defined on line 5)"),
        (minimalTarget + "schedules: {}\n", "gbsnap.yaml:4:12: schedules must be a list of schedules, found a mapping"),
        // Parameters.
        (minimalTarget + "defaults:\n  params: {cpu_seconds: 0}\n", "gbsnap.yaml:5:25: defaults: params cpu_seconds must be at least 1, found 0"),
        (minimalTarget + "defaults:\n  params: {trace_seconds: 7200}\n", "gbsnap.yaml:5:27: defaults: params trace_seconds must be at most 3600, found 7200"),
        (minimalTarget + "defaults:\n  params: {heap_gc: yes}\n", "gbsnap.yaml:5:21: defaults: params heap_gc must be true or false, found \"yes\""),
        (minimalTarget + "defaults:\n  params: {stacks_over_limit: crash}\n",
         "gbsnap.yaml:5:31: defaults: params stacks_over_limit must be downgrade or skip, found \"crash\""),
        (minimalTarget + "defaults:\n  params: {custom: [{name: x}]}\n", "gbsnap.yaml:5:21: defaults: params custom #1 needs a name and a path"),
        (minimalTarget + "defaults:\n  params: {custom: [{name: x, path: debug}]}\n", "gbsnap.yaml:5:37: defaults: params custom #1: path \"debug\" must start with /"),
        (minimalTarget + "defaults:\n  params: {custom: [{name: a/b, path: /x}]}\n",
         "gbsnap.yaml:5:28: defaults: params custom #1: name \"a/b\" must be a safe file name (letters, digits, '.', '_', '-')"),
        (minimalTarget + "defaults:\n  params: {custom: [{name: a, path: /x}, {name: a, path: /y}]}\n", "gbsnap.yaml:5:42: defaults: params custom has two endpoints named \"a\""),
        (minimalTarget + "defaults:\n  params: {custom: x}\n", "gbsnap.yaml:5:20: defaults: params custom must be a list of endpoints, found \"x\""),
        (minimalTarget + "defaults:\n  kinds: [heap, bogus]\n", "gbsnap.yaml:5:17: defaults: unknown capture kind \"bogus\" (known kinds: heap, allocs, goroutine, stacks, goroutine-text, cpu, trace, block, mutex, threadcreate, goroutineleak, vars, custom)"),
        // Retention.
        (minimalTarget + "retention:\n  rules: x\n", "gbsnap.yaml:5:10: retention: rules must be a list of rules, found \"x\""),
        (minimalTarget + "retention:\n  rules:\n    - keep_daily: -2\n", "gbsnap.yaml:6:19: retention rule #1: keep_daily must be -1 (unlimited), 0 (not used) or a positive count, found -2"),
        (minimalTarget + "retention:\n  rules:\n    - keep_last: many\n", "gbsnap.yaml:6:18: retention rule #1: keep_last must be a whole number (-1 or unlimited for no limit), found \"many\""),
        (minimalTarget + "retention:\n  rules:\n    - max_age: 0s\n", "gbsnap.yaml:6:16: retention rule #1: max_age must be longer than zero"),
        (minimalTarget + "retention:\n  rules:\n    - max_total_bytes: lots\n", "gbsnap.yaml:6:24: retention rule #1: max_total_bytes must be a size such as 1024, 512MiB or 10GB, found \"lots\""),
        (minimalTarget + "retention:\n  rules:\n    - select: {target: [a]}\n", "gbsnap.yaml:6:16: unknown key \"target\" in retention rule #1 select (allowed: targets, kinds, labels, schedules); did you mean \"targets\"?"),
        (minimalTarget + "retention:\n  schedule: '0 0 * *'\n",
         "gbsnap.yaml:5:13: retention schedule: cron expression \"0 0 * *\": expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, found 4"),
        (minimalTarget + "retention:\n  time_zone: Nowhere\n", "gbsnap.yaml:5:14: retention: time_zone \"Nowhere\" is not an IANA time zone name such as UTC or Asia/Shanghai"),
    ])
    func errorPath(yaml: String, message: String) {
        #expect(errors(yaml) == [message])
    }

    @Test("A file that cannot be read is one error naming the file")
    func unreadable() {
        do {
            _ = try ConfigFile.load(path: "/nonexistent/gbsnap.yaml")
            Issue.record("loading a missing file succeeded")
        } catch {
            #expect(error.errors.count == 1)
            #expect(error.description.hasPrefix("/nonexistent/gbsnap.yaml: cannot read the config file: "))
            // The file system's error is kept as data, not only quoted.
            #expect(error.errors.first?.underlying is CocoaError, "\(String(describing: error.errors.first?.underlying))")
        }
    }

    @Test("A YAML syntax error keeps the parser's error; equality ignores it")
    func yamlErrorKeepsTheParsersError() {
        do {
            _ = try ConfigFile.parse(yaml: "targets: [\n", fileName: "gbsnap.yaml")
            Issue.record("parsing broken YAML succeeded")
        } catch {
            let first = error.errors.first
            #expect(first?.underlying != nil)
            #expect(first.map { ConfigError(file: $0.file, line: $0.line, column: $0.column, message: $0.message) } == first)
        }
    }
}
