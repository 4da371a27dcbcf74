import Foundation
import Testing
@testable import Config

@Suite("metrics_listen")
struct MetricsListenConfigTests {
    @Test("HOST:PORT forms that load: IPv4, a host name, a bracketed IPv6 address, port 0")
    func validAddresses() throws {
        let cases: [(String, String, Int)] = [
            ("127.0.0.1:9464", "127.0.0.1", 9464), ("localhost:9464", "localhost", 9464),
            ("[::1]:9464", "::1", 9464), ("0.0.0.0:0", "0.0.0.0", 0), ("metrics.internal-1:65535", "metrics.internal-1", 65535),
        ]
        for (text, host, port) in cases {
            let config = try ConfigFile.parse(yaml: "metrics_listen: \"\(text)\"\n" + minimalTarget, fileName: "gbsnap.yaml")
            #expect(config.metricsListen == ListenAddress(host: host, port: port), "\(text)")
            #expect(config.metricsListen?.description == text)
        }
    }

    @Test("absent: nothing is served")
    func absentIsOff() throws {
        #expect(try ConfigFile.parse(yaml: minimalTarget, fileName: "gbsnap.yaml").metricsListen == nil)
    }

    @Test("a bad HOST:PORT is an error at the value's line and column saying what is wrong")
    func invalidAddresses() {
        let cases: [(String, String)] = [
            ("9464", "has no port; write HOST:PORT, e.g. 127.0.0.1:9464"),
            (":9464", "has no host; write HOST:PORT, e.g. 127.0.0.1:9464 (0.0.0.0 for every interface)"),
            ("127.0.0.1:70000", "has port \"70000\"; a port is a number from 0 to 65535"),
            ("127.0.0.1:http", "has port \"http\"; a port is a number from 0 to 65535"),
            ("127.0.0.1:+80", "has port \"+80\"; a port is a number from 0 to 65535"),
            ("::1:9464", "has an IPv6 address without brackets; write [ADDRESS]:PORT"),
            ("[::1:9464", "has \"[\" without \"]\" around an IPv6 address"),
            ("[::1]9464", "needs \":PORT\" after the bracketed IPv6 address"),
            ("[host]:9464", "has \"host\" in brackets, which is not an IPv6 address"),
            ("exa mple:9464", "has \"exa mple\", which is not an IP address or a host name"),
        ]
        for (text, reason) in cases {
            let yaml = "store: /tmp/s\nmetrics_listen: \"\(text)\"\n" + minimalTarget
            #expect(errors(yaml) == ["gbsnap.yaml:2:17: metrics_listen \"\(text)\" \(reason)"], "\(text)")
        }
        #expect(errors("metrics_listen: [a]\n" + minimalTarget) == ["gbsnap.yaml:1:17: metrics_listen must be a string, found a list"])
    }

    @Test("the config's sha256 is that of its text, so an edit changes gbsnap_config_info")
    func hashOfText() throws {
        let a = try ConfigFile.parse(yaml: minimalTarget, fileName: "a.yaml")
        let b = try ConfigFile.parse(yaml: minimalTarget + "# comment\n", fileName: "a.yaml")
        #expect(a.sha256.count == 64)
        #expect(a.sha256 != b.sha256)
        // What sha256sum prints for the same bytes.
        #expect(a.sha256 == "4096d4cb2e91f86a2c7ce77f2457b872b6dc66e8e0717bdf2f4400b82d9fb2da")
    }
}
