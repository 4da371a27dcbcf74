import Foundation
import Testing
@testable import Cron

@Suite("Parsing")
struct ParseTests {
    @Test("Five fields fire at second 0; six fields take a leading seconds field")
    func fieldCounts() throws {
        #expect(try fires("*/20 * * * *", after: "2026-01-01T00:00:00Z", count: 3)
            == ["2026-01-01T00:20:00+00:00", "2026-01-01T00:40:00+00:00", "2026-01-01T01:00:00+00:00"])
        #expect(try fires("*/15 0 0 * * *", after: "2026-01-01T00:00:00Z", count: 3)
            == ["2026-01-01T00:00:15+00:00", "2026-01-01T00:00:30+00:00", "2026-01-01T00:00:45+00:00"])
    }

    @Test("Lists, ranges, steps and n/step")
    func listsRangesSteps() throws {
        #expect(try fires("5/15 3 * * *", after: "2026-01-01T00:00:00Z", count: 5)
            == ["2026-01-01T03:05:00+00:00", "2026-01-01T03:20:00+00:00", "2026-01-01T03:35:00+00:00",
                "2026-01-01T03:50:00+00:00", "2026-01-02T03:05:00+00:00"])
        #expect(try fires("0 1,2-3,10-20/5 * * *", after: "2026-01-01T00:00:00Z", count: 6).map { String($0.dropFirst(11).prefix(5)) }
            == ["01:00", "02:00", "03:00", "10:00", "15:00", "20:00"])
        // A step never carries into the next hour.
        #expect(try fires("*/35 * * * *", after: "2026-01-01T00:00:00Z", count: 3)
            == ["2026-01-01T00:35:00+00:00", "2026-01-01T01:00:00+00:00", "2026-01-01T01:35:00+00:00"])
    }

    @Test("Names in any case, ranges of names, 0 and 7 are Sunday")
    func names() throws {
        // 2026-01-04 is a Sunday.
        let sunday = ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]
        #expect(try fires("0 0 * * 0", after: "2026-01-01T00:00:00Z", count: 2) == sunday)
        #expect(try fires("0 0 * * 7", after: "2026-01-01T00:00:00Z", count: 2) == sunday)
        #expect(try fires("0 0 * * sUn", after: "2026-01-01T00:00:00Z", count: 2) == sunday)
        #expect(try fires("0 0 1 feb-Mar,DEC *", after: "2026-01-01T00:00:00Z", count: 3)
            == ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00"])
        #expect(try CronExpression("0 0 * * 5-7").rule == CronExpression("0 0 * * FRI-SUN").rule)
        #expect(try CronExpression("0 0 * * 5-0").matches(at("2026-01-04T00:00:00Z"), in: utc))  // cronie: N-0 is N-7
    }

    @Test("Reversed ranges wrap around the field")
    func wrapping() throws {
        #expect(try fires("0 22-2 * * *", after: "2026-01-01T12:00:00Z", count: 5).map { String($0.dropFirst(11).prefix(5)) }
            == ["22:00", "23:00", "00:00", "01:00", "02:00"])
        // 2026-01-02 is a Friday: FRI-MON gives Fri, Sat, Sun, Mon.
        #expect(try fires("0 0 * * FRI-MON", after: "2026-01-01T12:00:00Z", count: 5).map { String($0.prefix(10)) }
            == ["2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05", "2026-01-09"])
    }

    @Test("Macros expand to their classic meaning")
    func macros() throws {
        #expect(try CronExpression("@yearly").next(after: at("2026-05-05T00:00:00Z"), in: utc) == at("2027-01-01T00:00:00Z"))
        #expect(try CronExpression("@annually") == CronExpression("@annually"))
        #expect(try CronExpression("@monthly").next(after: at("2026-05-05T00:00:00Z"), in: utc) == at("2026-06-01T00:00:00Z"))
        #expect(try CronExpression("@weekly").next(after: at("2026-01-01T00:00:00Z"), in: utc) == at("2026-01-04T00:00:00Z"))
        #expect(try CronExpression("@daily").next(after: at("2026-05-05T10:00:00Z"), in: utc) == at("2026-05-06T00:00:00Z"))
        #expect(try CronExpression("@MIDNIGHT").next(after: at("2026-05-05T10:00:00Z"), in: utc) == at("2026-05-06T00:00:00Z"))
        #expect(try CronExpression("@hourly").next(after: at("2026-05-05T10:00:00Z"), in: utc) == at("2026-05-05T11:00:00Z"))
        #expect(try CronExpression("@hourly").followsElapsedTime)
        #expect(try !CronExpression("@daily").followsElapsedTime)
    }

    @Test("@every fires at multiples of its duration since the Unix epoch, whatever the zone")
    func every() throws {
        let cron = try CronExpression("@every 1h30m")
        #expect(cron.nextFireTimes(after: at("2026-01-01T00:00:00Z"), count: 3, in: newYork)
            == [at("2026-01-01T01:30:00Z"), at("2026-01-01T03:00:00Z"), at("2026-01-01T04:30:00Z")])
        #expect(try CronExpression("@every 90s").next(after: at("1970-01-01T00:01:30Z"), in: utc) == at("1970-01-01T00:03:00Z"))
        #expect(try CronExpression("@every 1d").next(after: at("2026-01-01T05:00:00Z"), in: utc) == at("2026-01-02T00:00:00Z"))
        #expect(try CronExpression("@every 1w2d3h4m5s").next(after: at("1970-01-01T00:00:00Z"), in: utc)
            == Date(timeIntervalSince1970: 604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5))
    }

    @Test("`?` is `*` in the day fields")
    func questionMark() throws {
        #expect(try CronExpression("0 0 ? * MON").rule == CronExpression("0 0 * * MON").rule)
        #expect(try CronExpression("0 0 1 * ?").rule == CronExpression("0 0 1 * *").rule)
    }

    @Test("Errors name the field, the 1-based character position, what was expected and what was found",
          arguments: [
            ("0 0 32 * *", "cron expression \"0 0 32 * *\": day-of-month field at character 5: expected a day of month 1-31, found \"32\""),
            ("60 * * * *", "cron expression \"60 * * * *\": minute field at character 1: expected a minute 0-59, found \"60\""),
            ("0 24 * * *", "cron expression \"0 24 * * *\": hour field at character 3: expected an hour 0-23, found \"24\""),
            ("0 0 * 13 *", "cron expression \"0 0 * 13 *\": month field at character 7: expected a month 1-12 or JAN-DEC, found \"13\""),
            ("0 0 * * 8", "cron expression \"0 0 * * 8\": day-of-week field at character 9: expected a day of week 0-7 or SUN-SAT, found \"8\""),
            ("0 0 * FOO *", "cron expression \"0 0 * FOO *\": month field at character 7: expected a month 1-12 or JAN-DEC, found \"FOO\""),
            ("0 0 * * MON-FUN", "cron expression \"0 0 * * MON-FUN\": day-of-week field at character 13: expected a day of week 0-7 or SUN-SAT, found \"FUN\""),
            ("MON * * * *", "cron expression \"MON * * * *\": minute field at character 1: expected a minute 0-59 (names are only allowed in the month and day-of-week fields), found \"MON\""),
            ("*/0 * * * *", "cron expression \"*/0 * * * *\": minute field at character 3: expected a step of at least 1, found \"0\""),
            ("*/ * * * *", "cron expression \"*/ * * * *\": minute field at character 3: expected a step number after \"/\", found nothing"),
            ("*x * * * *", "cron expression \"*x * * * *\": minute field at character 2: expected \"/\", \",\" or the end of the field after \"*\", found \"x\""),
            ("1,,2 * * * *", "cron expression \"1,,2 * * * *\": minute field at character 3: expected a minute 0-59 in the list, found \",\""),
            ("1, * * * *", "cron expression \"1, * * * *\": minute field at character 3: expected a minute 0-59 in the list, found nothing"),
            ("1-x * * * *", "cron expression \"1-x * * * *\": minute field at character 3: expected a minute 0-59 (names are only allowed in the month and day-of-week fields), found \"x\""),
            ("1-% * * * *", "cron expression \"1-% * * * *\": minute field at character 3: expected a minute 0-59, found \"%\""),
            ("1-5x * * * *", "cron expression \"1-5x * * * *\": minute field at character 4: expected \"/\", \",\" or the end of the field after the range, found \"x\""),
            ("5x * * * *", "cron expression \"5x * * * *\": minute field at character 2: expected \"-\", \"/\", \",\" or the end of the field, found \"x\""),
            ("*/5x * * * *", "cron expression \"*/5x * * * *\": minute field at character 4: expected \",\" or the end of the field after the step, found \"x\""),
            ("? * * * *", "cron expression \"? * * * *\": minute field at character 1: expected a minute 0-59 (\"?\" is only allowed in the day-of-month and day-of-week fields), found \"?\""),
            ("0 0 ?x * *", "cron expression \"0 0 ?x * *\": day-of-month field at character 6: expected \",\" or the end of the field after \"?\", found \"x\""),
            ("0 0 * *", "cron expression \"0 0 * *\": expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, found 4"),
            ("0 0 0 * * * 2026", "cron expression \"0 0 0 * * * 2026\": at character 13: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, found 7"),
            ("", "cron expression \"\": expected 5 or 6 fields or a macro such as @daily, found an empty expression"),
            ("@reboot", "cron expression \"@reboot\": at character 1: expected one of the macros @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every DURATION, found \"@reboot\""),
            ("@daily 5", "cron expression \"@daily 5\": at character 8: expected nothing after @daily, found \"5\""),
            ("@every", "cron expression \"@every\": at character 7: expected one duration after @every, such as \"@every 90s\" or \"@every 1h30m\""),
            ("@every 1h 2m", "cron expression \"@every 1h 2m\": at character 11: expected one duration after @every, such as \"@every 90s\" or \"@every 1h30m\""),
            ("@every 10", "cron expression \"@every 10\": at character 8: expected a duration of whole seconds, at least 1s, made of numbers with units w, d, h, m, s (such as 90s or 1h30m), found \"10\""),
            ("@every 0s", "cron expression \"@every 0s\": at character 8: expected a duration of whole seconds, at least 1s, made of numbers with units w, d, h, m, s (such as 90s or 1h30m), found \"0s\""),
            ("@every 5y", "cron expression \"@every 5y\": at character 8: expected a duration of whole seconds, at least 1s, made of numbers with units w, d, h, m, s (such as 90s or 1h30m), found \"5y\""),
            ("0 0 L-31 * *", "cron expression \"0 0 L-31 * *\": day-of-month field at character 7: expected a number of days 0-30 after \"L-\", found \"31\""),
            ("0 0 L-x * *", "cron expression \"0 0 L-x * *\": day-of-month field at character 7: expected a number of days 0-30 after \"L-\", found \"x\""),
            ("0 0 32W * *", "cron expression \"0 0 32W * *\": day-of-month field at character 5: expected a day of month 1-31, found \"32\""),
            ("0 0 * * 5#6", "cron expression \"0 0 * * 5#6\": day-of-week field at character 11: expected an occurrence 1-5 after \"#\", found \"6\""),
            ("0 0 * * 5#", "cron expression \"0 0 * * 5#\": day-of-week field at character 11: expected an occurrence 1-5 after \"#\", found nothing"),
            ("0 0 * * 5Lx", "cron expression \"0 0 * * 5Lx\": day-of-week field at character 11: expected \",\" or the end of the field after \"nL\", found \"x\""),
            ("0 0 * * 5W", "cron expression \"0 0 * * 5W\": day-of-week field at character 10: expected \"-\", \"/\", \"L\", \"#\", \",\" or the end of the field, found \"W\""),
            ("0 0 5L * *", "cron expression \"0 0 5L * *\": day-of-month field at character 6: expected \"-\", \"/\", \"W\", \",\" or the end of the field, found \"L\""),
            ("H(5-1) * * * *", "cron expression \"H(5-1) * * * *\": minute field at character 3: expected a hash range H(a-b) with a <= b, found \"5-1\""),
            ("H(5 * * * *", "cron expression \"H(5 * * * *\": minute field at character 4: expected \"-\" in the hash range H(a-b), found nothing"),
            ("H(1-5 * * * *", "cron expression \"H(1-5 * * * *\": minute field at character 6: expected \")\" to close the hash range H(a-b), found nothing"),
            ("H/61 * * * *", "cron expression \"H/61 * * * *\": minute field at character 3: expected a step no larger than the hash range 0-59, found \"61\""),
            ("Hx * * * *", "cron expression \"Hx * * * *\": minute field at character 2: expected \",\" or the end of the field after \"H\", found \"x\""),
            ("0 0 30 2 *", "cron expression \"0 0 30 2 *\": it can never fire (February has no day 30)"),
          ])
    func errors(expression: String, message: String) {
        #expect(throws: CronParseError.self) { try CronExpression(expression) }
        do {
            _ = try CronExpression(expression)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("Expressions that can never fire are rejected with the reason")
    func neverFires() {
        func message(_ text: String) -> String? {
            do { _ = try CronExpression(text); return nil } catch { return error.description }
        }
        #expect(message("0 0 31 4,6 *") == "cron expression \"0 0 31 4,6 *\": it can never fire (none of April, June has a day 31)")
        #expect(message("0 0 L-29 2 *") == "cron expression \"0 0 L-29 2 *\": it can never fire (no date matches its day-of-month, month and day-of-week fields together)")
        #expect(message("0 0 30 2 MON") == nil)  // OR with day of week: Mondays in February
        #expect(message("0 0 29 2 *") == nil)  // leap years
        #expect(message("0 0 * 2 5#5") == nil)  // a fifth Friday in February happens in some leap years
    }
}
