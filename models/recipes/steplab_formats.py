"""The demo family's text formats: special tokens, the policy prompt, MM-PRM's PRM input, MathSE's ORM input,
verdict and checks (and reading an ORM's output back), a solution's lines, and growing a character
tokenizer.json; the same strings as src-main/core/demo/format.ts."""

from __future__ import annotations

import json
import re
from typing import Dict, List, Optional, Sequence, Tuple



# ---------------------------------------------------------------------------------------------
# Prompt format: the same strings as src-main/core/demo/format.ts (check_export.ts compares the
# manifest, which is written from these, with that file).

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<image>", "<prm>", "Yes", "No"]
PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, IMAGE_TOKEN, PRM_TOKEN, PRM_YES, PRM_NO = SPECIAL_TOKENS
STEP_DELIMITER = "\n"
PROMPT_TEMPLATE = {
    "question": "Q: {question}\n",
    "image": IMAGE_TOKEN + "\n",
    "reflection": "R: {reflection}\n",
    "solution": "S:\n",
}


def one_line(text: str) -> str:
    return " ".join(text.split())


def format_prompt(question: str, has_image: bool, reflection: Optional[str] = None) -> str:
    out = PROMPT_TEMPLATE["question"].replace("{question}", one_line(question))
    if has_image:
        out += PROMPT_TEMPLATE["image"]
    if reflection is not None and one_line(reflection) != "":
        out += PROMPT_TEMPLATE["reflection"].replace("{reflection}", one_line(reflection))
    return out + PROMPT_TEMPLATE["solution"]


# The PRM's input (MM-PRM's layout): the question, then every step followed by the <prm> tag. The
# score of step i is softmax([logit Yes, logit No])[0] at the i-th tag's position. The manifest of a
# PRM carries this as "prmTemplate"; src-main builds the same string.
PRM_TEMPLATE = {
    "image": IMAGE_TOKEN + "\n",
    "question": "Question: {question}\n",
    "process": "Process: ",
    "stepSeparator": "\n\n",
}


# A calculator's check in the PRM's input, after GenPRM's code-execution feedback: the optional "calculator" and
# "calculatorMismatch" notes of a prmTemplate (e.g. " (={value})" and " (!={value})"). After a step's text and
# before its tag comes one note per `a op b = c` in the step (a and b whole numbers of at most 9 digits; + - * /):
# "calculatorMismatch" when the written c is not the result of `a op b` (compared as numbers), else "calculator";
# {value} is that result: a whole number, or for a division that does not come out even the quotient rounded half
# up to 4 decimals with trailing zeros dropped. A division by 0 gets no note; without "calculatorMismatch" every
# note is "calculator" (the value alone). src-main/core/reward/layout.ts (calculatorNotes) writes the same string.
CALC_EXPR = re.compile(r"(?<![\d.])(\d{1,9})\s*([-+*/])\s*(\d{1,9})\s*=\s*(-?\d{1,18}(?:\.\d{1,9})?)(?!\d)", re.ASCII)


def calculator_value(a: int, op: str, b: int) -> Optional[str]:
    """The calculator's result of `a op b` as a note writes it (None for a division by 0)."""
    if op == "+":
        return str(a + b)
    if op == "-":
        return str(a - b)
    if op == "*":
        return str(a * b)
    if b == 0:
        return None
    if a % b == 0:
        return str(a // b)
    q = (2 * a * 10000 + b) // (2 * b)  # a / b x 10^4, rounded half up (a, b >= 0)
    whole, frac = divmod(q, 10000)
    return f"{whole}.{frac:04d}".rstrip("0").rstrip(".")


def _same_number(written: str, value: str) -> bool:
    if "." not in written and "." not in value:
        return int(written) == int(value)
    return float(written) == float(value)


def calculator_notes(step: str, note: str, mismatch: Optional[str] = None) -> str:
    """The calculator notes of one step ("" when it has no `a op b = c`)."""
    out = ""
    for m in CALC_EXPR.finditer(step):
        v = calculator_value(int(m.group(1)), m.group(2), int(m.group(3)))
        if v is not None:
            out += (note if mismatch is None or _same_number(m.group(4), v) else mismatch).replace("{value}", v)
    return out


def format_prm_input(question: str, steps: Sequence[str], has_image: bool, template: Optional[Dict[str, str]] = None) -> str:
    """`<image>\\n` (with an image) + `Question: {question}\\n` + `Process: ` + the steps, each
    stripped and followed by <prm>, joined by a blank line. The question is used as given. With a
    "calculator" note in the template, each step's calculator notes come between its text and its tag."""
    t = template or PRM_TEMPLATE
    head = (t["image"] if has_image else "") + t["question"].replace("{question}", question)
    note = t.get("calculator")
    return head + t["process"] + t["stepSeparator"].join(
        s.strip() + (calculator_notes(s.strip(), note, t.get("calculatorMismatch")) if note else "") + PRM_TOKEN for s in steps)


# The ORM's input (MathSE's outcome reward model): the policy prompt with the steps written out, then
# the verdict marker, after which the model writes a JSON verdict and </s>. The manifest of an ORM
# carries {"verdict": ..., "kind": "diagnostic" | "binary"} as "ormTemplate"; src-main's renderOrmPrompt
# builds the same string (renderPrompt with the steps, then the marker).
ORM_VERDICT = "V:\n"
ORM_KINDS = ("diagnostic", "binary")
# Characters the JSON verdict needs that DEMO_VOCAB lacks; an ORM's tokenizer adds them (in this order).
ORM_EXTRA_CHARS = ("{", "}", '"', "_")
ORM_STATUSES = ("CORRECT", "WRONG")


def _render_question(question: str) -> str:
    """The question as src-main's renderPrompt writes it: newlines (with the spaces around them) become
    one space, then trimmed."""
    return re.sub(r"\s*\n\s*", " ", question).strip()


def render_prompt(question: str, has_image: bool, template: Optional[Dict[str, str]] = None) -> str:
    """The policy prompt up to its solution marker as src-main's renderPrompt writes it from a manifest's
    promptTemplate (PROMPT_TEMPLATE when none is given), without a reflection."""
    t = template or PROMPT_TEMPLATE
    out = t["question"].replace("{question}", _render_question(question))
    if has_image and t.get("image"):
        out += t["image"]
    return out + t["solution"]


def format_orm_input(question: str, steps: Sequence[str], has_image: bool, verdict: str = ORM_VERDICT, numbered: bool = False,
                     prm_layout: Optional[Dict[str, str]] = None, calculator: Optional[Dict[str, str]] = None) -> str:
    """`Q: {question}\n` [`<image>\n`] `S:\n` + each step + `\n` + the verdict marker: byte for byte what
    renderOrmPrompt (src-main/core/inference/prompt.ts) gives for the demo template. Three experiments, not
    in renderOrmPrompt: `numbered` writes each line as `{n}: {step}`, n from 1; `prm_layout` (a
    prmTemplate, "orm_prm_layout" in trainer_orm.py) lays the question and lines out as the PRM input, a
    <prm> tag after each line (format_prm_input, unnumbered), then the verdict marker; `calculator` ({"calculator",
    "calculatorMismatch"} notes, "orm_calculator") writes a calculator's check after each line (calculator_notes)."""
    if prm_layout is not None:
        return format_prm_input(question, steps, has_image, prm_layout) + verdict
    notes = (lambda s: calculator_notes(s, calculator["calculator"], calculator.get("calculatorMismatch"))) if calculator else (lambda s: "")
    return render_prompt(question, has_image) + "".join((f"{i + 1}: " if numbered else "") + s + notes(s) + STEP_DELIMITER for i, s in enumerate(steps)) + verdict


def orm_provenance(manifest: Dict) -> Dict:
    """The ORM options a trained ORM folder's manifest records (provenance.metrics.orm, trainer_orm.py:
    "numbered", "prm_layout", ...), which its readers follow; {} when it records none."""
    return ((manifest.get("provenance") or {}).get("metrics") or {}).get("orm") or {}


def split_orm_input(text: str, verdict: str = ORM_VERDICT, numbered: bool = False) -> Optional[Tuple[str, bool, List[str]]]:
    """Inverse of format_orm_input: (question, has image, steps), or None when `text` is not laid out so."""
    q_head = PROMPT_TEMPLATE["question"].split("{question}")[0]
    q_tail = PROMPT_TEMPLATE["question"].split("{question}")[1]
    if not text.startswith(q_head) or not text.endswith(verdict):
        return None
    body = text[len(q_head):len(text) - len(verdict)]
    end = body.find(q_tail)
    if end < 0:
        return None
    question, rest = body[:end], body[end + len(q_tail):]
    has_image = rest.startswith(PROMPT_TEMPLATE["image"])
    if has_image:
        rest = rest[len(PROMPT_TEMPLATE["image"]):]
    if not rest.startswith(PROMPT_TEMPLATE["solution"]):
        return None
    rest = rest[len(PROMPT_TEMPLATE["solution"]):]
    if rest and not rest.endswith(STEP_DELIMITER):
        return None
    steps = split_solution(rest)
    if numbered:
        out = []
        for i, st in enumerate(steps):
            head = f"{i + 1}: "
            if not st.startswith(head):
                return None
            out.append(st[len(head):])
        steps = out
    return question, has_image, steps


def format_orm_target(status: str, error_step: Optional[int] = None, error_analysis: str = "", improvement_suggestion: str = "",
                      binary: bool = False, checks: Optional[Sequence[str]] = None) -> str:
    """The verdict as src-main/core/reward/orm.ts formatOrmTarget writes it (JSON.stringify's compact
    form, keys in this order); binary: the status alone. CORRECT has error_step 0. With `checks` (a
    checking ORM, see orm_checks) the marks come first, joined by `; ` into one string (no `[`/`]`,
    which the ORM tokenizer lacks), so the model writes its line checks before it judges;
    parseOrmOutput ignores the field."""
    if status not in ORM_STATUSES:
        raise ValueError(f"status must be CORRECT or WRONG, got {status!r}")
    if binary:
        return json.dumps({"status": status}, separators=(",", ":"), ensure_ascii=False)
    head = {"checks": ORM_CHECK_SEPARATOR.join(checks)} if checks is not None else {}
    return json.dumps({**head, "status": status, "error_step": error_step or 0, "error_analysis": error_analysis,
                       "improvement_suggestion": improvement_suggestion}, separators=(",", ":"), ensure_ascii=False)


ORM_CHECK_SEPARATOR = "; "
_ARITH_LINE = re.compile(r"^\s*(\d+)\s*([-+*/])\s*(\d+)\s*=\s*(\d+)\s*$")
_COUNT_LINE = re.compile(r"^\s*count\s*=\s*(\d+)\s*$")
_ANSWER_LINE = re.compile(r"^\s*Answer:\s*(\d+)\s*$")
_SLIP_REASON = re.compile(r"^(\d+) ([-+*/]) (\d+) is ([\d.]+), not (\d+)$")


def orm_check_ok(n: int, line: str) -> Optional[str]:
    """The check mark of a right line n (1-based): `3: 6 + 18 = 24` (the line recomputed from its written
    operands), `1: picture 4` (a count line), `6: answer 35`; None when the line is none of these forms.
    A mark without ` not ...` means the line is right (no ` ok`, to stay within the 512-token context)."""
    m = _ARITH_LINE.match(line)
    if m:
        return f"{n}: {m.group(1)} {m.group(2)} {m.group(3)} = {m.group(4)}"
    m = _COUNT_LINE.match(line)
    if m:
        return f"{n}: picture {m.group(1)}"
    m = _ANSWER_LINE.match(line)
    if m:
        return f"{n}: answer {m.group(1)}"
    return None


def orm_check_wrong(n: int, reason: str) -> str:
    """The check mark of the first wrong line n from the checker's reason (`step n: ...`, check.ts):
    `6 + 18 is 24, not 25` -> `3: 6 + 18 = 24 not 25` (recomputed from the written operands);
    `should start from 30, not 31` -> `5: from 30 not 31`; `the picture shows 4, not 3` -> `1: picture 4 not 3`;
    `answer is 35, not 36` -> `6: answer 35 not 36`; `should add 3, not 4` -> `3: add 3 not 4`;
    `should be 2 * 5, not 2 * 6` -> `2: 2 * 5 not 2 * 6`; other reasons (too early, extra lines, a line of
    the wrong form) verbatim after `n: `."""
    r = re.sub(r"^step \d+:\s*", "", reason.strip())
    m = _SLIP_REASON.match(r)
    if m:
        return f"{n}: {m.group(1)} {m.group(2)} {m.group(3)} = {m.group(4)} not {m.group(5)}"
    for pat, rep in ((r"^should start from (\S+), not (\S+)$", r"from \1 not \2"),
                     (r"^the picture shows (\S+), not (\S+)$", r"picture \1 not \2"),
                     (r"^answer is (\S+), not (\S+)$", r"answer \1 not \2"),
                     (r"^should be ([^,]+), not (.+)$", r"\1 not \2"),
                     (r"^should ((?:add|subtract|multiply by|divide by) \S+), not (.+)$", r"\1 not \2")):
        if re.match(pat, r):
            return f"{n}: " + re.sub(pat, rep, r)
    return f"{n}: {r}"


def orm_checks(steps: Sequence[str], status: str, error_step: Optional[int] = None, error_analysis: str = "") -> Optional[List[str]]:
    """A checking ORM's check marks (format_orm_target joins them with `; `): one mark per line up to the first wrong one (all lines for CORRECT),
    each line recomputed or compared (orm_check_ok), the first wrong line marked from the checker's
    reason (orm_check_wrong), so status, error_step and error_analysis follow from the last mark. None
    when a line before the error has none of the checked forms."""
    last = len(steps) if status == "CORRECT" else int(error_step or 0) - 1
    out: List[str] = []
    for i in range(max(0, last)):
        c = orm_check_ok(i + 1, steps[i])
        if c is None:
            return None
        out.append(c)
    if status == "WRONG":
        out.append(orm_check_wrong(int(error_step), error_analysis))
    return out


def first_json_object(text: str) -> Optional[str]:
    """The first balanced {...} in text (strings and escapes respected), or None (orm.ts firstJsonObject)."""
    start = text.find("{")
    if start < 0:
        return None
    depth = 0
    in_string = False
    i = start
    while i < len(text):
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
        i += 1
    return None


def parse_orm_output(text: str, steps: int, binary: bool = False) -> Dict:
    """Python twin of orm.ts parseOrmOutput: {"ok": True, "status", "error_step" (None for CORRECT and a
    binary WRONG), "error_analysis", "improvement_suggestion"} or {"ok": False, "reason"}."""
    obj = first_json_object(text)
    if obj is None:
        return {"ok": False, "reason": "the JSON object is not closed" if "{" in text else "no JSON object in the output"}
    try:
        value = json.loads(obj)
    except json.JSONDecodeError as e:
        return {"ok": False, "reason": f"not valid JSON: {e.msg}"}
    if not isinstance(value, dict) or not isinstance(value.get("status"), str):
        return {"ok": False, "reason": "field status: not a string"}
    for k in ("error_analysis", "improvement_suggestion"):
        if k in value and not isinstance(value[k], str):
            return {"ok": False, "reason": f"field {k}: not a string"}
    es = value.get("error_step")
    if es is not None and (isinstance(es, bool) or not isinstance(es, (int, float, str))):
        return {"ok": False, "reason": "field error_step: not a number or string"}
    status = value["status"].strip().upper()
    if status not in ORM_STATUSES:
        return {"ok": False, "reason": f'status "{value["status"]}" is neither CORRECT nor WRONG'}
    analysis = (value.get("error_analysis") or "").strip()
    suggestion = (value.get("improvement_suggestion") or "").strip()
    out = {"ok": True, "status": status, "error_step": None, "error_analysis": analysis, "improvement_suggestion": suggestion}
    if status == "CORRECT" or (binary and es is None):
        return out
    if isinstance(es, (int, float)):
        step = es
    else:
        m = re.search(r"\d+", str(es or ""))
        if not m:
            return {"ok": False, "reason": "status WRONG without an error_step"}
        step = int(m.group(0))
    if step != int(step):
        return {"ok": False, "reason": f"error_step {step} is not a step number"}
    step = int(step)
    if step < 1 or step > steps:
        return {"ok": False, "reason": f"error_step {step} is outside the solution's steps 1..{steps}"}
    out["error_step"] = step
    return out


def extend_tokenizer_json(tokenizer_json: Dict, chars: Sequence[str]) -> Tuple[Dict, List[str]]:
    """A copy of a character-level tokenizer.json with `chars` that it lacks appended to the BPE vocab as
    new ids (after the highest id). Returns (new json, the characters added, in order)."""
    out = json.loads(json.dumps(tokenizer_json))
    vocab = out["model"]["vocab"]
    specials = {t["content"] for t in out.get("added_tokens", [])}
    next_id = max([*vocab.values(), *(t["id"] for t in out.get("added_tokens", []))]) + 1
    added = []
    for ch in chars:
        if len(ch) != 1 or ch in vocab or ch in specials:
            continue
        vocab[ch] = next_id
        next_id += 1
        added.append(ch)
    return out, added


def format_solution(steps: Sequence[str]) -> str:
    return "".join(s + STEP_DELIMITER for s in steps)


def split_solution(text: str) -> List[str]:
    lines = text.split(STEP_DELIMITER)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
