// The tests' reference for corpus YAML: Yams (with the libyaml it bundles) composing each file named on the
// command line, converted as Adaptest's reader converted it while it used Yams, one line per file. A process of
// its own, so that the tests' YAMLComposer uses the libyaml `adaptest` ships (one binary cannot hold both copies).
//
//   yaml-reference FILE...            one line per file: the tree, or `error LINE:COLUMN MESSAGE`, or `empty`
//   yaml-reference --resolve FILE     one line per line of FILE: the tag Yams's resolver gives that plain scalar
import Foundation
import Yams

func dump(_ node: Node) -> String {
  let place = "\(node.mark?.line ?? 0):\(node.mark?.column ?? 0)"
  switch node {
  case .scalar(let scalar):
    var type = "string"
    if scalar.style == .plain {
      switch Tag.Name(rawValue: node.tag.description) {
      case .int: type = "int"
      case .float: type = "float"
      case .bool: type = "bool"
      case .null: type = "null"
      default: break
      }
    }
    return "\(place) \(type) \(scalar.string.debugDescription)"
  case .mapping(let mapping):
    return "\(place) {" + mapping.map { dump($0.key) + ": " + dump($0.value) }.joined(separator: ", ") + "}"
  case .sequence(let sequence):
    return "\(place) [" + sequence.map(dump).joined(separator: ", ") + "]"
  case .alias:
    return "\(place) alias"
  }
}

func error(_ error: any Error) -> String {
  let (line, column, message): (Int, Int, String)
  switch error as? YamlError {
  case .scanner(let context, let problem, let mark, _)?, .parser(let context, let problem, let mark, _)?,
    .composer(let context, let problem, let mark, _)?:
    (line, column, message) = (mark.line, mark.column, "invalid YAML: " + (context.map { "\($0.text): \(problem)" } ?? problem))
  case .duplicatedKeysInMapping(let duplicates, let context)?:
    let names = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
    (line, column, message) = (context.mark.line, context.mark.column, "field \(names) is given twice")
  case .reader(let problem, _, _, _)?:
    (line, column, message) = (0, 0, "unreadable YAML: \(problem)")
  default:
    (line, column, message) = (0, 0, "invalid YAML: \(error)")
  }
  return "error \(line):\(column) \(message)"
}

/// The file's text as the corpus reader decodes it (a leading byte-order mark kept; `String(contentsOfFile:)` drops it).
func read(_ path: String) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) }

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--resolve", arguments.count == 2 {
  let text = try read(arguments[1])
  for literal in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
    print(Node(String(literal)).tag.description)
  }
} else {
  for path in arguments {
    let text = try read(path)
    do {
      print(try Yams.compose(yaml: text).map(dump) ?? "empty")
    } catch let failure {
      print(error(failure).replacingOccurrences(of: "\n", with: "\\n"))
    }
  }
}
