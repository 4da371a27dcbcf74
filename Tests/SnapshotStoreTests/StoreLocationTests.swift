import SnapshotStore
import Testing

/// The one precedence for where the store is: `--store` > `GBSNAP_STORE` > the config's `store:` > `./storage`.
@Suite("StoreLocation: flag > env > config > default")
struct StoreLocationTests {
    static let env = ["GBSNAP_STORE": "/env/store"]

    @Test func theFlagWinsOverEverything() {
        let l = StoreLocation.resolve(flag: "/flag/store", environment: Self.env, config: "/config/store")
        #expect(l == StoreLocation(root: "/flag/store", source: .flag))
        #expect(l.isExplicit)
    }

    @Test func theEnvironmentWinsOverTheConfig() {
        let l = StoreLocation.resolve(flag: nil, environment: Self.env, config: "/config/store")
        #expect(l == StoreLocation(root: "/env/store", source: .environment))
        #expect(l.isExplicit)
    }

    @Test func theConfigWinsOverTheDefault() {
        let l = StoreLocation.resolve(flag: nil, environment: [:], config: "/config/store")
        #expect(l == StoreLocation(root: "/config/store", source: .config))
        #expect(!l.isExplicit)
    }

    @Test func nothingGivenIsTheDefault() {
        let l = StoreLocation.resolve(flag: nil, environment: ["HOME": "/root"], config: nil)
        #expect(l == StoreLocation(root: "./storage", source: .default))
        #expect(l.root == StoreLocation.defaultRoot)
        #expect(!l.isExplicit)
    }

    @Test("an empty GBSNAP_STORE counts as unset")
    func emptyEnvironmentIsUnset() {
        #expect(StoreLocation.resolve(flag: nil, environment: ["GBSNAP_STORE": ""], config: "/c").source == .config)
        #expect(StoreLocation.resolve(flag: nil, environment: ["GBSNAP_STORE": ""]).source == .default)
    }

    @Test("a config read after the store was resolved fills in only where nothing explicit named one")
    func withConfigKeepsAnExplicitStore() {
        let explicit = StoreLocation.resolve(flag: nil, environment: Self.env)
        #expect(explicit.withConfig("/config/store") == explicit)
        let byDefault = StoreLocation.resolve(flag: nil, environment: [:])
        #expect(byDefault.withConfig("/config/store") == StoreLocation(root: "/config/store", source: .config))
        #expect(byDefault.withConfig(nil) == byDefault)
        #expect(StoreLocation.resolve(flag: nil, environment: [:], config: "/c").description == "/c (the config's store:)")
    }
}
