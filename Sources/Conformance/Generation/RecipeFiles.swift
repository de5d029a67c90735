import Synthesis
import TensorIO

/// Why a case or matrix file cannot be read as a recipe: each problem with its line where known.
public struct RecipeFileError: Error, Sendable, CustomStringConvertible {
  public var file: String
  /// One line per problem (`Corpus/cases/x.yaml:4:3: error: …`).
  public var problems: [String]

  public var description: String { problems.joined(separator: "\n") }
}

/// Reads the recipes `adaptest generate` writes: a case file or a matrix file, in YAML (the corpus
/// format, decoded and linted as `run` decodes it) or JSON (the same tree). One reader for both
/// commands, so `generate --matrix Corpus/matrix.yaml` builds what `run` runs.
public enum RecipeFiles {
  /// The recipe of one case file.
  public static func recipe(at path: String) throws(RecipeFileError) -> PairSpec {
    guard isYAML(path) else {
      let tree = try json(path)
      do {
        return try PairSpec.decode(tree, id: stem(path))
      } catch {
        throw RecipeFileError(file: path, problems: ["\(path): \(error)"])
      }
    }
    let (spec, diagnostics) = CaseDecoder().decode(try read(path), file: path)
    guard let recipe = spec?.recipe else {
      throw RecipeFileError(file: path, problems: diagnostics.filter { $0.severity == .error }.map(\.description))
    }
    return recipe
  }

  /// The expanded matrix of a matrix file.
  public static func matrix(at path: String) throws(RecipeFileError) -> MatrixSpec {
    let tree: JSONValue
    var locate: (String) -> String = { _ in path }
    if isYAML(path) {
      let node: YAMLNode
      do {
        guard let parsed = try YAMLDocument.parse(try read(path)) else {
          throw RecipeFileError(file: path, problems: ["\(path): the matrix file is empty"])
        }
        node = parsed
      } catch let error as YAMLSyntaxError {
        throw RecipeFileError(file: path, problems: ["\(path):\(error.line):\(error.column): \(error.message)"])
      } catch let error as RecipeFileError {
        throw error
      } catch {
        throw RecipeFileError(file: path, problems: ["\(path): \(error)"])
      }
      guard let value = node.jsonValue() else {
        throw RecipeFileError(file: path, problems: ["\(path): the matrix holds a value JSON cannot represent"])
      }
      tree = value
      locate = { field in
        guard let found = node.find(path: field) else { return path }
        return "\(path):\(found.line):\(found.column)"
      }
    } else {
      tree = try json(path)
    }
    do {
      return try MatrixSpec.decode(tree)
    } catch {
      throw RecipeFileError(file: path, problems: ["\(locate(error.field)): \(error)"])
    }
  }

  static func isYAML(_ path: String) -> Bool { path.hasSuffix(".yaml") || path.hasSuffix(".yml") }

  /// `cases/a/b.yaml` → `b`.
  static func stem(_ path: String) -> String {
    let name = FileSystem.lastComponent(path)
    return name.split(separator: ".").first.map(String.init) ?? name
  }

  private static func read(_ path: String) throws(RecipeFileError) -> String {
    do {
      let bytes = try FileSystem.read(path)
      guard let text = String(validating: bytes, as: UTF8.self) else {
        throw RecipeFileError(file: path, problems: ["\(path): the file is not valid UTF-8"])
      }
      return text
    } catch let error as RecipeFileError {
      throw error
    } catch {
      throw RecipeFileError(file: path, problems: ["\(error)"])
    }
  }

  private static func json(_ path: String) throws(RecipeFileError) -> JSONValue {
    do {
      return try JSONValue.parse(try FileSystem.read(path))
    } catch {
      throw RecipeFileError(file: path, problems: ["\(path): \(error)"])
    }
  }
}
