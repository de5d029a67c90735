/// Which cases of the generated matrix ``Corpus/load(root:vocabulary:extraCaseIDs:matrix:)`` expands.
public enum MatrixSelection: Sendable {
  /// None: `matrix.yaml` is not read.
  case none
  /// Every case, planned.
  case all
  /// The cases whose id the predicate accepts; the others are listed by id only
  /// (``Corpus/unplannedMatrixCaseIDs``), so that expectation entries naming them are not stale.
  case only(@Sendable (String) -> Bool)
}
