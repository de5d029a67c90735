/// The template `adaptest corpus new NAME` writes: a complete, valid case with every field
/// present and a comment saying what it means.
public enum CaseScaffold {
  /// The scaffold for case `id` (which is also its path under `Corpus/cases/`).
  public static func text(id: String) -> String {
    """
    # A conformance case. `expect` states what a CORRECT loader reports — the spec, never a
    # recorded loader output. Known deviations of a real loader go into
    # Corpus/expectations/<loader>.yaml as xfail entries. See docs/corpus.md.
    id: \(id)
    description: >
      TODO: one or two sentences on the behaviour this case pins down.
    refs: []                     # e.g. [peft#1932, peft-semantics§6.2]
    base:
      architecture: llama        # see docs/corpus.md for the catalog
      config: {}                 # config.json overrides, e.g. {vocab_size: 128}
      mutations: []              # changes made after the adapter was trained, e.g. [resize_vocab: {to: 160}]
    adapter:
      tuner: LORA                # peft_type as in adapter_config.json
      config: {r: 4, target_modules: [q_proj, v_proj]}
      mutations: []              # changes to the saved checkpoint, e.g. [drop_keys: {match: lora_B}]
    load:
      adapter_name: default
      loaded: []                 # adapters already in the model, e.g. [default]
      ignore_mismatched_sizes: false
      method: from_pretrained    # or load_adapter (the default when `loaded` is not empty)
    formats: [safetensors, hdf5]
    expect:                      # only what is written is asserted
      missing_keys: []
      unexpected_keys: []
      error: null                # null = the load succeeds; else {kind: size-mismatch, …}

    """
  }
}
