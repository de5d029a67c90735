#!/usr/bin/env python3
"""Record which architectures PEFT's Shadow "mirror" backbone keeps as the base's own first layers, into Swift.

    <venv>/bin/python scripts/recorders/record_shadow_mirrors.py [--check] [--out FILE] [--types a,b] [--jobs N]

ShadowPEFT with `shadow_model: "mirror"` builds its backbone from a deep copy of the base backbone's config
with the depth set to `shadow_num_hidden_layers` (`_build_shadow_backbone`, `_normalize_layer_config` in
`peft/tuners/shadow/model.py`). Adaptest predicts that backbone from the loading base's own layers, which is
exact only where the shrunk config builds them unchanged. This script asks the real libraries, for every model
type the architecture sweep builds (`scripts/sweep/make_architecture_sweep.py`: every model type transformers
registers a causal-LM, seq2seq-LM or sequence-classification class for, made tiny by its helpers): a tiny base
DEPTH layers deep (the model type's own `layer_types` pattern kept), a Shadow adapter injected by
`get_peft_model`, then PEFT's own `ShadowModel._build_shadow_backbone` for `shadow_num_hidden_layers`
1, 2, DEPTH and DEPTH + 1. Per model type and backbone class it records whether the mirror's state dict (names
and shapes, in order) equals

- at DEPTH layers: the base backbone's (`sameDepth`),
- at 1 and 2 layers: the base backbone's restricted to its first layers (`firstLayers`),
- at DEPTH + 1 layers: the base backbone's with one more layer shaped as its layer 0 after the stack, the
  base's layers all alike (`repeatsLayers`),

and otherwise the first difference; where PEFT refuses the tiny base (no decoder stack, no depth field) its
error. Classes that cannot be made tiny are left out, as the sweep leaves them out.

It writes `Sources/AdapterLoading/Tuners/ShadowMirrorTable.swift` (or --out). With --check it writes nothing and
exits 1 when the committed file differs from what the installed libraries record. Deterministic: model types
and classes sorted, no paths. A few minutes with 2 processes.
"""
import multiprocessing
import os
import sys
import warnings
from pathlib import Path

from generated_table import arguments, swift_literal as literal, write_or_check

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
warnings.simplefilter("ignore")

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts" / "sweep"))
import make_architecture_sweep as sweep  # noqa: E402 - the sweep's tiny configs, shared

DEFAULT_OUT = REPO_ROOT / "Sources" / "AdapterLoading" / "Tuners" / "ShadowMirrorTable.swift"
DEPTH = 4
MESSAGE_LIMIT = 240


def one_line(error):
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def entries(module):
    return [(name, list(tensor.shape)) for name, tensor in module.state_dict().items()]


def first_difference(got, expected):
    """The first place two (name, shape) lists part, in words."""
    for index, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            return f"tensor {index} is `{a[0]}` {a[1]} where the base's layers give `{b[0]}` {b[1]}"
    if len(got) > len(expected):
        return f"`{got[len(expected)][0]}` {got[len(expected)][1]} beyond the base's layers"
    return f"no `{expected[len(got)][0]}` {expected[len(got)][1]}"


def layer_entries(base, stack, index):
    """Layer `index`'s tensors, named within the layer."""
    prefix = f"{stack}.{index}."
    return [(n[len(prefix):], s) for n, s in base if n.startswith(prefix)]


def expected_entries(base, stack, depth, layers):
    """The base backbone's tensors with its first `layers` layers; beyond its own, copies of its layer 0."""
    prefix = stack + "."

    def layer(name):
        if not name.startswith(prefix):
            return None
        index = name[len(prefix):].split(".", 1)[0]
        return int(index) if index.isdigit() else None

    kept = [(n, s) for n, s in base if layer(n) is None or layer(n) < layers]
    extra = [(f"{prefix}{i}.{n[len(prefix) + 2:]}", s)
             for i in range(depth, layers) for n, s in base if layer(n) == 0]
    if not extra:
        return kept
    # After the stack's last tensor, before whatever the backbone registers after it (the final norm).
    last = max(i for i, (n, _) in enumerate(kept) if layer(n) is not None)
    return kept[: last + 1] + extra + kept[last + 1:]


def record(job):
    """One model type and class: PEFT's mirrors against the base's layers, or why there is no answer."""
    model_type, class_name, task = job
    import torch
    import transformers
    from peft import ShadowConfig, get_peft_model
    from peft.tuners.shadow import model as shadow

    head = {"model_type": model_type, "class": class_name}
    cls = getattr(transformers, class_name, None)
    if cls is None:
        return dict(head, skipped="not importable (optional dependency missing)")
    try:
        config = sweep.tiny_config(model_type, DEPTH)
        if task == "sequence-classification" and getattr(config, "pad_token_id", None) is None:
            config.pad_token_id = 0
        sweep.check_tiny(cls, config)
        torch.manual_seed(0)
        model = cls(config).eval()
    except Exception as error:  # noqa: BLE001 - a class that cannot be made tiny is left out, with why
        return dict(head, skipped=one_line(error))
    try:
        backbone = shadow._get_backbone(model)
        base = entries(backbone)
        _, stack = shadow._get_decoder_layers(backbone)
        depth = len(getattr(backbone, stack))
        tuner = get_peft_model(model, ShadowConfig(shadow_num_hidden_layers=1)).base_model
    except Exception as error:  # noqa: BLE001 - PEFT refusing the base is the record
        return dict(head, refused=one_line(error))
    if depth != DEPTH:
        return dict(head, skipped=f"the tiny base's `{stack}` holds {depth} layers, not {DEPTH}")
    # `_init_shadow_backbone` drops `embed_tokens` to share the base's only where the backbone's forward takes
    # `inputs_embeds` (and the widths match, as here): what the injected default adapter holds says which.
    holds = hasattr(tuner.shadow_backbone["default"], "embed_tokens")
    result = dict(head, backbone=type(backbone).__name__, differences={},
                  drops_embeddings=hasattr(backbone, "embed_tokens") and not holds)
    for layers in (1, 2, DEPTH, DEPTH + 1):
        try:
            mirror = entries(tuner._build_shadow_backbone(ShadowConfig(shadow_num_hidden_layers=layers)))
        except Exception as error:  # noqa: BLE001 - PEFT or transformers refusing this depth
            result["differences"][layers] = f"PEFT's build raises {one_line(error)}"
            continue
        expected = expected_entries(base, stack, depth, layers)
        if mirror != expected:
            result["differences"][layers] = first_difference(mirror, expected)
    # A deeper mirror repeats "the base's layer" only where the base's layers are one and the same.
    unlike = next((i for i in range(1, depth) if layer_entries(base, stack, i) != layer_entries(base, stack, 0)), None)
    if unlike is not None and DEPTH + 1 not in result["differences"]:
        result["differences"][DEPTH + 1] = f"the base's layer {unlike} is unlike its layer 0"
    return result


def jobs(types):
    rows = {}
    for task in sweep.TASKS:
        for model_type, class_name in sweep.class_names(sweep.TASKS[task][0]).items():
            if not types or model_type in types:
                rows.setdefault((model_type, class_name), task)
    return [(m, c, t) for (m, c), t in sorted(rows.items())]


def table(results):
    """Per model type and backbone class; several classes sharing a backbone agree only where all agree."""
    mirrors, refusals = {}, {}
    for result in results:
        if "backbone" in result:
            into = mirrors.setdefault(result["model_type"], {}).setdefault(result["backbone"], {})
            for layers, why in result["differences"].items():
                into.setdefault(layers, why)
            # Classes sharing a backbone agree on it, or it is left unknown.
            drops = into.setdefault("drops_embeddings", result["drops_embeddings"])
            if drops != result["drops_embeddings"]:
                into["drops_embeddings"] = None
        elif "refused" in result:
            refusals.setdefault(result["model_type"], result["refused"])
    # A model type one of whose classes PEFT mirrors is answered through that backbone.
    refusals = {t: why for t, why in refusals.items() if t not in mirrors}
    return mirrors, refusals


def render(results, versions):
    mirrors, refusals = table(results)
    first = sum(all(not d.get(k) for d in b.values() for k in (1, 2, DEPTH)) for b in mirrors.values())
    # (The per-depth differences are keyed by ints, the embeddings' sharing by name.)
    lines = [
        "// Generated by scripts/recorders/record_shadow_mirrors.py from PEFT and transformers themselves",
        f"// (PEFT {versions['peft']}, transformers {versions['transformers']}, torch {versions['torch']}): "
        f"ShadowModel._build_shadow_backbone on",
        f"// a tiny {DEPTH}-layer base of every model type the architecture sweep builds; do not edit.",
        "",
        "extension ShadowTuner {",
        "  /// The releases the table was recorded from.",
        f"  static let mirrorTableVersions = (peft: {literal(versions['peft'])}, "
        f"transformers: {literal(versions['transformers'])})",
        "",
        f"  /// The depth of the recorded bases; mirrors of 1, 2, {DEPTH} and {DEPTH + 1} layers were built on each.",
        f"  static let mirrorRecordedDepth = {DEPTH}",
        "",
        f"  /// Per model type and backbone class, how PEFT's mirror relates to the base's own layers ({len(mirrors)} "
        f"model types,",
        f"  /// {first} of them mirror-exact at {DEPTH} layers and fewer).",
        "  static let mirrorTable: [String: [String: MirrorRecord]] = [",
    ]

    def why(text):
        return "nil" if text is None else literal(text)

    for model_type in sorted(mirrors):
        lines.append(f"    {literal(model_type)}: [")
        for backbone in sorted(mirrors[model_type]):
            d = mirrors[model_type][backbone]
            shallower = d.get(1) or d.get(2)
            lines.append(f"      {literal(backbone)}: MirrorRecord(")
            lines.append(f"        sameDepth: {why(d.get(DEPTH))},")
            lines.append(f"        firstLayers: {why(shallower)},")
            lines.append(f"        repeatsLayers: {why(d.get(DEPTH + 1))},")
            drops = d["drops_embeddings"]
            lines.append(f"        dropsEmbeddings: {'nil' if drops is None else str(drops).lower()}),")
        lines.append("    ],")
    lines += [
        "  ]",
        "",
        f"  /// The model types PEFT refuses to mirror on every tiny class that was built ({len(refusals)}), with "
        "its error.",
        "  static let mirrorRefusals: [String: String] = [",
    ]
    for model_type in sorted(refusals):
        lines.append(f"    {literal(model_type)}: {literal(refusals[model_type])},")
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def main() -> int:
    ap = arguments(__doc__, DEFAULT_OUT)
    ap.add_argument("--types", default="", help="only these model types (for a look; the table needs all)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--skipped", action="store_true", help="list the classes left out, with why, on stderr")
    args = ap.parse_args()
    import peft
    import torch
    import transformers

    versions = {"peft": peft.__version__, "transformers": transformers.__version__,
                "torch": torch.__version__.split("+")[0]}
    work = jobs({t for t in args.types.split(",") if t})
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.jobs, maxtasksperchild=20) as pool:
        results = pool.map(record, work, chunksize=1)
    skipped = [r for r in results if "skipped" in r]
    if args.skipped:
        for r in skipped:
            print(f"{r['model_type']} {r['class']}: {r['skipped']}", file=sys.stderr)
    text = render(results, versions)
    out = Path(args.out)
    summary = (f"{len(work)} classes, {len(work) - len(skipped)} built tiny, "
               f"{len({r['model_type'] for r in results if 'backbone' in r})} model types mirrored")
    return write_or_check(out, text, args.check, "shadow mirror table", "scripts/recorders/record_shadow_mirrors.py", summary)


if __name__ == "__main__":
    sys.exit(main())
