/// Where a command's store is: `--store` > `GBSNAP_STORE` > the config's `store:` > `./storage` (DESIGN.md,
/// "Command line"). Every command and the daemon resolve the store through ``resolve(flag:environment:config:)``.
public struct StoreLocation: Sendable, Hashable, CustomStringConvertible {
    /// Which of the four places named the store.
    public enum Source: String, Sendable, Hashable {
        case flag = "--store"
        case environment = "GBSNAP_STORE"
        case config = "the config's store:"
        case `default` = "the default"
    }

    /// The store root (a directory).
    public var root: String
    /// Where ``root`` came from.
    public var source: Source

    /// The environment variable that names the store when `--store` is not given.
    public static let environmentVariable = "GBSNAP_STORE"
    /// The store when nothing names one.
    public static let defaultRoot = "./storage"

    /// Creates a location.
    public init(root: String, source: Source) {
        self.root = root
        self.source = source
    }

    /// The store named by `flag` (`--store`), else by `GBSNAP_STORE` in `environment`, else by `config` (a config
    /// file's `store:`), else ``defaultRoot``. An empty `GBSNAP_STORE` counts as unset (`GBSNAP_STORE= gbsnap ...`).
    public static func resolve(flag: String?, environment: [String: String], config: String? = nil) -> StoreLocation {
        if let flag { return StoreLocation(root: flag, source: .flag) }
        if let env = environment[environmentVariable], !env.isEmpty { return StoreLocation(root: env, source: .environment) }
        if let config { return StoreLocation(root: config, source: .config) }
        return StoreLocation(root: defaultRoot, source: .default)
    }

    /// True when `--store` or `GBSNAP_STORE` named the store, which a config's `store:` yields to.
    public var isExplicit: Bool { source == .flag || source == .environment }

    /// The same precedence with `config` (a config loaded later) filled in: an explicit store stays.
    public func withConfig(_ config: String?) -> StoreLocation {
        guard !isExplicit, let config else { return self }
        return StoreLocation(root: config, source: .config)
    }

    /// `./storage (the default)`.
    public var description: String { "\(root) (\(source.rawValue))" }
}
