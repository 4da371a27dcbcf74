import Foundation
import Testing
@testable import Cron
import GBSnapTestSupport

/// Compares next() with croniter (PyPI), an independent implementation, on random expressions in
/// UTC. croniter runs with `implement_cron_bug=True`, which is the Vixie day-of-month/day-of-week
/// rule gbsnap follows. Requires `python3` with croniter: `pip install croniter`.
@Suite("croniter oracle")
struct CroniterOracleTests {
    static let script = """
    import sys, json
    try:
        from croniter import croniter
    except ImportError:
        print("NO_CRONITER"); sys.exit(0)
    from datetime import datetime, timezone
    out = []
    for line in sys.stdin:
        expr, start, count = json.loads(line)
        six = len(expr.split()) == 6
        try:
            it = croniter(expr, datetime.fromtimestamp(start, timezone.utc), implement_cron_bug=True, second_at_beginning=six)
            out.append([int(it.get_next(datetime).timestamp()) for _ in range(count)])
        except Exception as e:
            out.append(type(e).__name__ + ": " + str(e))
    print(json.dumps(out))
    """

    /// Random expressions including names, `L`, `#`, reversed ranges and a seconds field.
    static func randomExpression(_ rng: inout SeededGenerator) -> String {
        var text = NaiveCron.random(&rng)
        var fields = text.split(separator: " ").map(String.init)
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: fields[2] = "L"
        case 1: fields[4] = ["MON-FRI", "sat,sun", "FRI-MON"][Int.random(in: 0..<3, using: &rng)]
        case 5:
            // croniter cannot combine `#`/`L` in day-of-week with a restricted day-of-month (it fails
            // to find a date instead of applying OR), so those are compared with `*` day-of-month only.
            fields[2] = "*"
            fields[4] = ["5#2", "1#1", "L5", "sun#5"][Int.random(in: 0..<4, using: &rng)]
        case 2: fields[3] = ["JAN-MAR", "nov-feb", "*/3", "JUL"][Int.random(in: 0..<4, using: &rng)]
        case 3: fields[1] = "22-3"
        case 4: fields.insert(["*/20", "5,35", "0"][Int.random(in: 0..<3, using: &rng)], at: 0)
        default: break
        }
        text = fields.joined(separator: " ")
        return text
    }

    @Test("next() agrees with croniter on 300 random expressions, 25 fire times each")
    func agreesWithCroniter() async throws {
        var rng = SeededGenerator(state: 2026)
        var cases: [(String, Int, Int)] = []
        while cases.count < 300 {
            let text = Self.randomExpression(&rng)
            guard (try? CronExpression(text)) != nil else { continue }  // never-firing ones are rejected by design
            cases.append((text, Int.random(in: 1_500_000_000...2_100_000_000, using: &rng), 25))
        }
        let input = cases.map { "[\"\($0.0)\", \($0.1), \($0.2)]" }.joined(separator: "\n") + "\n"

        let script = Self.script
        let (status, data) = try await offCooperativePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script]
            let stdin = Pipe(), stdout = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            try process.run()
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
            let data = stdout.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, data)
        }
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.hasPrefix("NO_CRONITER"), "croniter is not importable by python3: run `pip install croniter`")
        guard !text.hasPrefix("NO_CRONITER") else { return }
        #expect(status == 0, "python3 with croniter failed")
        let answers = try #require(try JSONSerialization.jsonObject(with: data) as? [Any])
        try #require(answers.count == cases.count)
        var compared = 0
        for (c, answer) in zip(cases, answers) {
            guard let want = answer as? [Int] else {
                print("croniter refused \"\(c.0)\": \(answer)")
                continue
            }
            compared += 1
            let cron = try CronExpression(c.0)
            let got = cron.nextFireTimes(after: Date(timeIntervalSince1970: TimeInterval(c.1)), count: c.2, in: utc)
                .map { Int($0.timeIntervalSince1970) }
            #expect(got == want, "\(c.0) after \(c.1)")
        }
        #expect(compared >= 280, "croniter answered only \(compared) of \(cases.count) cases")
    }
}
