import SystemSupport
import Conformance

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Colour for status words on a terminal; none when standard output is not one or `NO_COLOR` is set
/// to anything but the empty string (no-color.org).
enum Colour {
  static let enabled: Bool = {
    if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
    return FileDescriptor.isTerminal(1)
  }()

  /// The status name, coloured when colour is on.
  static func status(_ status: CaseStatus) -> String {
    guard enabled else { return status.rawValue }
    let code: String
    switch status {
    case .pass: code = "32"
    case .fail: code = "1;31"
    case .error: code = "1;35"
    case .timeout: code = "1;33"
    case .xpass: code = "1;34"
    case .xfail: code = "33"
    case .skip: code = "2"
    }
    return "\u{1B}[\(code)m\(status.rawValue)\u{1B}[0m"
  }
}
