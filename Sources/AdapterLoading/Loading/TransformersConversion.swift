import TensorIO

/// transformers 5's checkpoint conversion, as PEFT applies it to a LoRA state dict before loading
/// (`set_peft_model_state_dict` → `convert_peft_adapter_state_dict_for_transformers`, PEFT 0.21.2).
///
/// For a model type with a conversion mapping, every key with `.lora_` in it is stripped of
/// `base_model.model.`, renamed by the architecture's renamings, and written back with the prefix
/// and without a trailing `.<adapter>`; the other keys pass through first, in their order, and the
/// LoRA keys follow in transformers' natural order. Net effects a user sees: LoRA keys saved
/// without `base_model.model.` or with the adapter name kept load anyway on these bases, and
/// pre-v5 module names (`block_sparse_moe`) are renamed. The merging of per-expert LoRA factors into
/// fused expert parameters is not modelled (Adaptest's synthesized adapters do not target experts).
enum TransformersConversion {
  /// Whether PEFT converts this adapter's checkpoint on this base.
  static func applies(to type: PeftType, modelType: String) -> Bool {
    type == .lora && modelTypes.contains(modelType)
  }

  /// The state dict as PEFT hands it on after the conversion, and the checkpoint name of every key
  /// the conversion changed.
  static func convert(_ state: StateDict, architecture: Architecture, adapterName: String)
    -> (state: StateDict, originalNames: [String: String])
  {
    let prefix = "base_model.model."
    var passthrough: [StateDict.Entry] = []
    var lora: [(position: Int, entry: StateDict.Entry)] = []
    for (position, entry) in state.entries.enumerated() {
      if entry.key.contains(".lora_") { lora.append((position, entry)) } else { passthrough.append(entry) }
    }
    guard !lora.isEmpty else { return (state, [:]) }
    lora.sort { a, b in
      let order = NaturalKey.compare(a.entry.key, b.entry.key)
      return order == 0 ? a.position < b.position : order < 0
    }
    var converted = StateDict(passthrough)
    var originalNames: [String: String] = [:]
    for (_, entry) in lora {
      var key = entry.key
      // transformers renames the key without PEFT's prefix; a renaming that changes nothing is undone.
      var bare = key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
      var renamed = false
      for (from, to) in architecture.renames {
        let next = bare.replacing(from, with: to, maxReplacements: 1)
        if next != bare { bare = next; renamed = true }
      }
      if renamed { key = bare }
      if !key.hasPrefix("base_model.") { key = prefix + key }
      key = withoutAdapterSuffix(key, adapterName: adapterName)
      converted[key] = StateDict.Entry(key: key, info: entry.info, tiedTo: entry.tiedTo)
      if key != entry.key { originalNames[key] = entry.key }
    }
    return (converted, originalNames)
  }

  /// `….<adapter>` → `…`, `….<adapter>.weight` → `….weight` (PEFT's serialized form).
  static func withoutAdapterSuffix(_ key: String, adapterName: String) -> String {
    let suffix = "." + adapterName
    if key.hasSuffix(suffix) { return String(key.dropLast(suffix.count)) }
    guard let dot = key.lastIndex(of: ".") else { return key }
    let head = key[..<dot]
    guard head.hasSuffix(suffix) else { return key }
    return String(head.dropLast(suffix.count)) + key[dot...]
  }

  /// The model types with a checkpoint conversion mapping in transformers 5.24.0
  /// (`conversion_mapping.get_checkpoint_conversion_mapping(model_type) is not None`).
  static let modelTypes: Set<String> = [
    "afmoe", "altclip", "apertus1p5_text", "aria", "aria_text", "audioflamingo3", "axk1", "axk2",
    "aya_vision", "bailing_hybrid", "beam", "cohere2_moe", "cohere_asr", "colqwen2", "cosmos3_edge",
    "cosmos3_omni", "d_fine", "deepseek_ocr2", "deepseek_v2", "deepseek_v3", "deepseek_v32", "deepseek_v4",
    "deformable_detr", "dinov3_convnext", "dinov3_vit", "dory", "dots1", "dots3_note_audio_encoder",
    "dots3_note_vision_encoder", "emu3", "ernie4_5_moe", "ernie4_5_vl_moe", "esm", "exaone", "exaone_moe",
    "flex_olmo", "flint", "fuyu", "gemma3", "gemma3n_text", "gemma4_unified", "glm4_moe", "glm4_moe_lite",
    "glm4v_moe", "glm5_next", "glm5_next_text", "glm_moe_dsa", "glmasr", "got_ocr2", "gradium_phonon_tts",
    "granite_speech", "granite_speech_plus", "granitemoe", "granitemoehybrid", "granitemoeshared", "gte",
    "hrm_text", "hunyuan_v1_moe", "hunyuan_vl", "hy_v3", "hy_v4", "hy_v4_vl", "hy_v4_vl_text",
    "hyperclovax_vision_v2", "inkling2", "inkling2_loop", "inkling2_loop_text", "inkling2_text",
    "inkling_mm_model", "internvl", "jamba", "jev", "jina_embeddings_v3", "kimi_k25", "kimi_linear",
    "kolibri1", "laguna", "lara_mini", "lfm2_moe", "lfm3", "lfm3_vl_vision", "llava", "llava_next",
    "llava_next_video", "llava_onevision", "longcat_flash", "lw_detr", "maskformer", "mellum",
    "mimo_v2_flash", "minimax", "minimax_m2", "minimax_m3_vl", "mistral3", "mistral_large4",
    "mistral_large4_text", "mixtral", "mlcd", "mllama", "molmo2", "musicflamingo", "nemo_speechlm",
    "nemotron_h", "nomic_bert", "olmo_hybrid", "olmoe", "paddleocr_vl", "paligemma", "phimoe", "pi0", "pixio",
    "pp_chart2table", "pp_doclayout_v2", "pp_doclayout_v3", "pp_doclayout_v4", "qianfan_ocr",
    "qwen2_5_omni_thinker", "qwen2_audio", "qwen2_moe", "qwen3_5_moe_text", "qwen3_5_text", "qwen3_moe",
    "qwen3_next", "qwen3_omni_moe", "qwen3_omni_moe_text", "qwen3_omni_moe_thinker", "qwen3_vl_moe",
    "qwen4_exp_text", "radio", "rt_detr", "rt_detr_v2", "sam3_tracker", "sam3_tracker_video", "sapiens2",
    "sarvam_mla", "sarvam_moe", "shieldgemma2", "solar_open", "step3p5_vision", "step3p7", "swin",
    "t5gemma2_encoder", "timesfm2_5", "timm_wrapper", "tipsv2", "tipsv2_dpt", "unlimited_ocr",
    "vibevoice_asr", "video_llava", "videomae", "vipllava", "voxtral", "voxtral_realtime", "yolos",
  ]
}
