import Foundation
import GBSnapCore
@testable import SnapshotStore

func date(_ iso: String) -> Date { Timestamp.parse(iso)! }
