"""The demo family's model in plain PyTorch, the tokenizer that reads its tokenizer.json, a KV-cache
generator, and the checkpoint format the recipes share.

* LlamaForCausalLM: a Llama-style decoder (RMSNorm, RoPE in the rotate_half form, SwiGLU,
  grouped-query attention via repeat_kv, tied embeddings) whose state_dict keys are Hugging Face
  LlamaForCausalLM's (`model.embed_tokens.weight`, `model.layers.N.self_attn.q_proj.weight`, ...,
  `model.norm.weight`, `lm_head.weight`). forward() takes input_ids or inputs_embeds, an
  attention mask over past + new positions, position ids and a flat past
  (k0, v0, k1, v1, ...), and returns logits and the flat present. No Python branch depends on a
  tensor shape, so the same code traces to an ONNX graph that runs at past length 0 and > 0.
* VisionEncoder: a small CNN over a normalised 48x48 picture that yields `tokens` embeddings of
  the decoder's hidden size; its trunk is pretrained as a 9-way count classifier (`CountCNN`).
* CharTokenizer: special tokens matched first, then one token per character, characters outside
  the vocabulary dropped; checked against @huggingface/tokenizers by `--check-tokenizer`.
* The PRM input layout (MM-PRM's, `format_prm_input`, the manifest's "prmTemplate") and its
  Yes/No read-out at the <prm> tags (`CharTokenizer.encode_prm`, `prm_log_probs`).

Run `python3 steplab_model.py --check-tokenizer tokenizer.json fixture.json` to compare the Python
tokenizer with the fixture that make_tokenizer.ts writes.

The code is split by concern: steplab_formats.py (the text formats), steplab_decoder.py (the decoder, the
generator, checkpoints), steplab_vision.py (the vision encoder), steplab_data.py (the tokenizer, row readers, pictures); every name stays
importable from here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_formats import (  # noqa: E402,F401
    SPECIAL_TOKENS,
    PAD_TOKEN,
    BOS_TOKEN,
    EOS_TOKEN,
    IMAGE_TOKEN,
    PRM_TOKEN,
    PRM_YES,
    PRM_NO,
    STEP_DELIMITER,
    PROMPT_TEMPLATE,
    one_line,
    format_prompt,
    PRM_TEMPLATE,
    format_prm_input,
    ORM_VERDICT,
    ORM_KINDS,
    ORM_EXTRA_CHARS,
    ORM_STATUSES,
    _render_question,
    render_prompt,
    calculator_value,
    format_orm_input,
    orm_provenance,
    split_orm_input,
    format_orm_target,
    ORM_CHECK_SEPARATOR,
    _ARITH_LINE,
    _COUNT_LINE,
    _ANSWER_LINE,
    _SLIP_REASON,
    orm_check_ok,
    orm_check_wrong,
    orm_checks,
    first_json_object,
    parse_orm_output,
    extend_tokenizer_json,
    format_solution,
    split_solution,
)
from steplab_decoder import (  # noqa: E402,F401
    CHECKPOINT_FILE,
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    MASK_VALUE,
    DecoderConfig,
    LlamaRMSNorm,
    rotate_half,
    repeat_kv,
    LlamaRotaryEmbedding,
    LlamaAttention,
    LlamaMLP,
    LlamaDecoderLayer,
    LlamaModel,
    additive_mask,
    LlamaForCausalLM,
    positions_from_mask,
    resize_token_embeddings,
    prm_log_probs,
    generate,
    save_checkpoint,
    load_checkpoint,
)
from steplab_vision import (  # noqa: E402,F401
    VisionConfig,
    CountCNN,
    VisionEncoder,
    merge_image_features,
)
from steplab_data import (  # noqa: E402,F401
    REPO_ROOT,
    CharTokenizer,
    PRM_ROW_HELP,
    jsonl_rows,
    parse_prm_row,
    ImageDecodeError,
    decode_images,
    check_tokenizer,
)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-tokenizer", nargs=2, metavar=("TOKENIZER_JSON", "FIXTURE_JSON"))
    ap.add_argument("--summary", action="store_true", help="print the default architecture and parameter counts")
    args = ap.parse_args(argv)
    if args.check_tokenizer:
        return check_tokenizer(*args.check_tokenizer)
    if args.summary:
        dec = LlamaForCausalLM(DecoderConfig())
        vis = VisionEncoder(VisionConfig())
        print(json.dumps({"decoder_parameters": dec.num_parameters(), "vision_parameters": sum(p.numel() for p in vis.parameters())}))
        return 0
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
