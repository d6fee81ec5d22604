"""Steplab's reference trainer: the trainer protocol of DESIGN.md ("Training").

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/trainer.py --config cfg.json

cfg.json:
    {
      "task": "sft",                          # "sft", "prm" or "orm"
      "base_model": "models/tiny-policy",     # a folder made by these recipes (checkpoint.pt + manifest.json)
      "train_file": "sft.jsonl",              # TRL-style rows, see below
      "output_dir": "out/policy-c1",          # must not exist yet (or be an empty folder)
      "hyperparameters": {"lr": 5e-4, "epochs": 1, "batch_size": 16, "seed": 0, "max_steps": null},
      "name": "policy-c1",                    # optional manifest name (default: the output folder's name)
      "cycle": 1                              # optional, recorded as provenance.cycle
    }
Hyperparameters may also be given at the top level (they win over the `hyperparameters` object).
Relative paths are taken from the current directory. The default lr is 5e-4 for sft, 3e-4 for prm and 1e-3 for orm.

SFT rows: {"messages": [{"role": "user", "content": PROMPT}, {"role": "assistant", "content": SOLUTION}],
"images": [PATH]}. PROMPT is either the text the model reads (the manifest's prompt template applied:
`Q: ...\n<image>\nS:\n`, optionally with an `R: ...` reflection line) or a bare question, which is
then formatted with the template; a row with one image must have one image token in its prompt.
SOLUTION is the step lines (`\n` after each); the loss covers them and </s>. Image paths are
relative to the JSONL file's folder, or data: URLs.

PRM (MM-PRM's process reward model): rows are TRL stepwise supervision, {"prompt": QUESTION,
"completions": [STEP, ...], "labels": [SOFT LABEL in [0, 1] (or true/false), ...], "images": [PATH]}.
The model reads `<image>\n` (with an image) + `Question: {QUESTION}\n` + `Process: ` + the steps, each
stripped and followed by <prm>, joined by `\n\n` (steplab_model.format_prm_input). The score of a
step is softmax([logit Yes, logit No])[0] at its <prm> position; the loss is the cross-entropy of
that pair against [t, 1 - t] at every tag. Extra keys (top level or in `hyperparameters`):
    "labels": "soft"                  # t = the label (an MC value); "hard": t = 1 if label > 0 else 0
    "dedupe": true                    # drop paths with the same question, image and steps after
                                      # whitespace/case normalisation (the first one is kept)
    "max_paths_per_problem": null     # keep at most this many paths per question + image (seeded)
    "val_file": null                  # rows of the same form: held-out step metrics at the end
    "lm_weight": 0.0                  # >= 0: adds lm_weight x next-token cross-entropy over the step text
                                      # (not question, tags or separators) of the steps before the first
                                      # step with target < 0.5
    "init_tag_from_newline": false    # copy the "\n" embedding into <prm>'s before training
    "prm_template": "mmprm"           # the input layout (trainer_config.PRM_TEMPLATES): "mmprm", "policy" (the
                                      # policy's own prompt layout), "mmprm-calculator": MM-PRM's with a
                                      # calculator's check after each `a op b = c` of a step, before its tag,
                                      # " (=v)" or " (!=v)" (steplab_formats.calculator_notes; `steplab
                                      # train-prm --calculator`), or "mmprm-calculator-value": " (=v)" always
The PRM starts from the base model's weights and trains the decoder and the vision projection.

ORM (MathSE's outcome reward model): rows are TRL conversations like sft's, {"messages": [{"role":
"user", "content": ORM INPUT}, {"role": "assistant", "content": JSON VERDICT}], "images": [PATH]}. The
ORM input is steplab_model.format_orm_input: `Q: ...\n` [`<image>\n`] `S:\n`, the solution's lines
(each followed by `\n`), then the verdict marker `V:\n` (what src-main's renderOrmPrompt writes). The
verdict is MathSE's JSON, {"status":"WRONG","error_step":3,"error_analysis":"step 3: ...",
"improvement_suggestion":"..."} (error_step 1-based over the lines; CORRECT has 0 and empty texts);
the trainer rewrites it compactly in that key order (orm.ts formatOrmTarget). A checking ORM's rows
(make_orm_data.py --checks) start the verdict with "checks", the line marks joined by `; `, kept
first (parseOrmOutput ignores it); a binary ORM drops it. The loss covers the verdict and </s>. Extra keys (top level or in `hyperparameters`):
    "orm_kind": "diagnostic"          # or "binary": the target is {"status": ...} alone (the other
                                      # fields of the rows are dropped, so one row file serves both)
    "orm_numbered": false             # true: the user turn's lines are numbered (`3: 6 + 18 = 24`)
    "orm_step_weight": 1              # 1..1000: the error_step digits count this many times in the loss
    "orm_prm_layout": false           # true: the rows are read in the base PRM's layout (<prm> after each line)
    "orm_calculator": false           # true: the rows are read with numbered lines, each with a calculator's check
The base is a policy or an ORM of the demo family. Characters the rows need that its tokenizer lacks
(always `{`, `}`, `"`, `_` for a policy) are added as new tokens, and the tied embedding grows by rows
that start at the mean of the old ones. The manifest gets role "orm" and "ormTemplate"
{"verdict": "V:\n", "kind": orm_kind}; its sampling parameters are greedy with 160 new tokens (with
checks: the longest target plus 32, rounded up to 32; an ORM base's value is kept if larger).

stdout carries only JSON lines: {"event":"log","message":...}, {"event":"progress","step":n,"total":N,"loss":x},
{"event":"error","message":...}, and last {"event":"done","model":"<output_dir>"}. Exit status 0 on
success, 2 for a bad config or input, 1 for a failure while training, 143 after SIGTERM (which also
removes the partly written output). When stdin is a pipe (Steplab starts a trainer so, in its own
process group, and never writes to it), the trainer exits as after SIGTERM once it closes: Steplab is
gone (parent_watch.py; Node has no parent-death signal). The output is a complete model folder: ONNX graphs, tokenizer,
config, checkpoint.pt and manifest.json with provenance.parent = the base model's name (a PRM's
role is "prm" and its manifest has "prmTemplate"; an ORM's is "orm" with "ormTemplate").
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# first: the protocol takes stdout over before any library that could print is loaded
from trainer_protocol import Cancelled, ConfigError, Run, emit  # noqa: E402

import torch  # noqa: E402

import parent_watch  # noqa: E402
from trainer_config import read_config  # noqa: E402
from trainer_orm import orm  # noqa: E402
from trainer_prm import prm  # noqa: E402
from trainer_training import sft  # noqa: E402

# The modules: trainer_protocol (stdout, errors, the run), trainer_config (the config file), trainer_data
# (the training files), trainer_training (what the tasks share, and sft), trainer_prm, trainer_orm.


def main() -> int:
    ap = argparse.ArgumentParser(description="Steplab trainer protocol (see the module docstring).")
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    run = Run()
    signal.signal(signal.SIGTERM, run.on_signal)
    signal.signal(signal.SIGINT, run.on_signal)
    # the protocol: exit when stdin (a pipe Steplab holds and never writes) closes, i.e. Steplab is gone
    parent_watch.exit_when_stdin_closes()
    try:
        cfg = read_config(args.config)
        out = {"sft": sft, "prm": prm, "orm": orm}[cfg["task"]](cfg, run)
        emit("done", model=out)
        # The folder is complete and reported; a late SIGTERM must not turn that into a failure.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        return 0
    except BaseException as e:  # noqa: B902 - every way out must remove the partial output
        run.cleanup()
        if run.cancelled or isinstance(e, Cancelled):
            # A signal can also surface as a failed child process or an interrupted call.
            emit("error", message="cancelled (SIGTERM); no output written")
            return 143
        if isinstance(e, ConfigError):
            emit("error", message=str(e))
            return 2
        emit("error", message=f"{type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
