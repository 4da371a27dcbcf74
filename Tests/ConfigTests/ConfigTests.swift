import Testing
@testable import Config
