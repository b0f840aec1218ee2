"""Template checks and length statistics for preflight.py: each failed check names its fix."""
import re

from preflight_rules import PreflightError

GENERATION_TAG = re.compile(r"\{%-?\s*generation\s*-?%\}")
SYSTEM_PROBE = "You are the ML Intern preflight probe."
CHECKED_ROWS = 20
HISTOGRAM_BINS = 10


def _check(check_id, title, status, detail, fix=None):
    out = {"id": check_id, "title": title, "status": status, "detail": detail}
    if fix:
        out["fix"] = fix
    return out


def _conversation(row):
    """The whole conversation a mapped row trains on (messages, prompt+completion, prompt+chosen), or None."""
    if isinstance(row.get("messages"), list):
        return row["messages"]
    prompt = row.get("prompt")
    for key in ("completion", "chosen"):
        if isinstance(prompt, list) and isinstance(row.get(key), list):
            return prompt + row[key]
    return None


def _render(tokenizer, messages):
    return tokenizer.apply_chat_template(messages, tokenize=False)


def template_exists(tokenizer, conversational, original, has_fallback):
    title = "The model has a chat template"
    if not conversational:
        return _check("template", title, "skip", "plain text rows: no chat template is involved")
    if original:
        return _check("template", title, "pass", "the tokenizer's own chat template renders the rows")
    if has_fallback:
        return _check("template", title, "warn", "the model ships no chat template: the script's plain '### role:' template "
                      "(each answer ends with EOS) is used, so the model learns that format, not an instruct model's",
                      "fine for a base model; to chat in a standard format, start from the model's -Instruct variant")
    return _check("template", title, "fail", "the model ships no chat template and the script sets none, so trl cannot "
                  "render the conversations", "set tokenizer.chat_template in train.py, or pick an -Instruct model")


def assistant_masks(tokenizer, rule, examples):
    title = "The template marks assistant tokens ({% generation %})"
    if not rule.assistant_only:
        return _check("assistant_masks", title, "skip", "the script does not ask for assistant-only loss")
    if not GENERATION_TAG.search(tokenizer.chat_template or ""):
        return _check("assistant_masks", title, "fail", "assistant_only_loss=True but the chat template has no "
                      "{% generation %} block: transformers returns an all-zero assistant mask and trl refuses the rows",
                      "set assistant_only_loss=False in the SFTConfig (single-turn rows can use prompt/completion with "
                      "completion_only_loss), or give the tokenizer a template that wraps each assistant reply in "
                      "{% generation %}...{% endgeneration %}")
    if any(e.get("assistant_mask_empty") for e in examples):
        return _check("assistant_masks", title, "fail", "a row has no assistant token in its mask",
                      "check that every row has an assistant turn (the column mapping)")
    if rule.training_template:
        return _check("assistant_masks", title, "pass", "the model's template has no {%% generation %%} blocks: trl %s "
                      "swaps in its training version (get_training_chat_template), whose blocks give the assistant "
                      "mask shown here" % rule.trl)
    return _check("assistant_masks", title, "pass", "the template's {% generation %} blocks give the assistant mask")


def eos_after_assistant(tokenizer, conversations):
    title = "Each assistant turn ends with EOS"
    eos = tokenizer.eos_token
    if not conversations:
        return _check("eos", title, "skip", "no conversational rows")
    if not eos:
        return _check("eos", title, "fail", "the tokenizer has no eos_token", "set tokenizer.eos_token to the model's end-of-turn token")
    for index, messages in conversations[:CHECKED_ROWS]:
        text = _render(tokenizer, messages)
        cursor = 0
        for turn, message in enumerate(messages):
            content = str(message.get("content", ""))
            start = text.find(content, cursor) if content else -1
            if start < 0:
                continue
            cursor = start + len(content)
            if message.get("role") != "assistant":
                continue
            later = [str(m.get("content", "")) for m in messages[turn + 1:] if m.get("content")]
            end = text.find(later[0], cursor) if later else len(text)
            tail = text[cursor:end if end >= 0 else len(text)]
            if eos not in tail:
                return _check("eos", title, "fail", "row %d: after an assistant reply the template writes %r, not the EOS "
                              "token %r: the model never learns to stop and generates until max_new_tokens"
                              % (index + 1, tail[:60], eos),
                              "make EOS the template's end-of-turn token (SFTConfig(eos_token=...) in trl >= 0.17, "
                              "or tokenizer.eos_token = ... before training), or use a template that emits {{ eos_token }}")
    return _check("eos", title, "pass", "every assistant reply is followed by %r" % eos)


def system_survives(tokenizer, conversations):
    title = "The system prompt survives the template"
    if not conversations:
        return _check("system", title, "skip", "no conversational rows")
    used = [(i, m) for i, messages in conversations for m in messages[:1] if m.get("role") == "system" and m.get("content")]
    index, probe = (used[0][0], str(used[0][1]["content"])) if used else (None, SYSTEM_PROBE)
    messages = [{"role": "system", "content": probe}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    fix = "fold the system text into the first user turn (SYSTEM_PROMPT = None and prepend it in the mapping), or use a template that renders the system role"
    try:
        text = _render(tokenizer, messages)
    except Exception as e:  # noqa: BLE001 - some templates raise on a system turn
        return _check("system", title, "fail" if used else "warn", "the template raises on a system turn (%s)" % str(e)[:200], fix)
    if probe[:200] in text:
        return _check("system", title, "pass", "the system text appears in the rendered example")
    if used:
        return _check("system", title, "fail", "row %d's system prompt is missing from the rendered example: the model "
                      "never sees it during training" % (index + 1), fix)
    return _check("system", title, "warn", "the template drops system turns (no row uses one now)", fix)


def thinking_blocks(tokenizer, conversations):
    title = "Thinking blocks (<think>) are kept"
    with_think = [(i, m) for i, m in conversations if any("<think>" in str(t.get("content", "")) for t in m if t.get("role") == "assistant")]
    if not with_think:
        return _check("thinking", title, "skip", "no assistant turn holds a <think> block")
    index, messages = with_think[0]
    text = _render(tokenizer, messages)
    kept = text.count("<think>")
    expected = sum(str(t.get("content", "")).count("<think>") for t in messages if t.get("role") == "assistant")
    if kept >= expected:
        return _check("thinking", title, "pass", "row %d: the %d <think> block(s) reach the model" % (index + 1, expected))
    return _check("thinking", title, "fail", "row %d: the template strips %d of %d <think> block(s) from assistant turns: "
                  "the model is not trained on that reasoning" % (index + 1, expected - kept, expected),
                  "keep the reasoning: use a template that renders it (Qwen3-style templates keep it only in the last turn: "
                  "split multi-turn rows), or remove <think> blocks from the data if stripping is intended")


def pad_distinct(tokenizer, rule):
    title = "Pad and EOS are distinct where the collator needs it"
    same = tokenizer.pad_token_id is not None and tokenizer.pad_token_id == tokenizer.eos_token_id
    if not same:
        return _check("pad_eos", title, "pass", "pad %r and eos %r differ" % (tokenizer.pad_token, tokenizer.eos_token))
    if rule.pad_masks_labels:
        return _check("pad_eos", title, "fail", "pad == eos (%r) and trl %s's collator masks every pad id out of the "
                      "labels: every EOS is untrained, so the model never learns to stop" % (tokenizer.eos_token, rule.trl),
                      "upgrade trl to 0.17 or newer (its collator masks padding by position), or give the tokenizer a "
                      "distinct pad token from its vocabulary (e.g. tokenizer.pad_token = '<|finetune_right_pad_id|>' on Llama 3)")
    return _check("pad_eos", title, "pass", "pad == eos (%r), harmless here: trl %s masks padding by position, not by id"
                  % (tokenizer.eos_token, rule.trl))


def prompt_prefix(examples):
    title = "The tokenized prompt is a prefix of prompt + answer"
    bad = [i for i, e in enumerate(examples) if e.get("prompt_mismatch")]
    if not bad:
        return _check("prompt_prefix", title, "pass", "the prompt/answer boundary is exact")
    return _check("prompt_prefix", title, "warn", "%d row(s) (first: row %d) tokenize the prompt differently alone and with "
                  "the answer: a few tokens at the boundary are trained or masked by mistake (trl warns 'Mismatch between "
                  "tokenized prompt...')" % (len(bad), bad[0] + 1), "check the template's whitespace after the generation prompt")


def template_checks(tokenizer, rule, mapped, examples, original_template, has_fallback):
    conversations = [(i, c) for i, c in ((i, _conversation(r)) for i, r in enumerate(mapped[:CHECKED_ROWS])) if c]
    conversational = bool(conversations)
    try:
        checks = [template_exists(tokenizer, conversational, original_template, has_fallback),
                  assistant_masks(tokenizer, rule, examples),
                  eos_after_assistant(tokenizer, conversations),
                  system_survives(tokenizer, conversations),
                  thinking_blocks(tokenizer, conversations),
                  pad_distinct(tokenizer, rule)]
    except PreflightError:
        raise
    except Exception as e:  # noqa: BLE001 - a template that fails on the rows is already reported by the preview
        raise PreflightError("The chat template failed while checking it (%s: %s)." % (type(e).__name__, str(e)[:300]))
    if rule.method != "sft" or any("prompt" in r for r in mapped[:CHECKED_ROWS]):
        checks.append(prompt_prefix(examples))
    return checks


def _percentile(sorted_values, fraction):
    """Nearest rank: the smallest length that covers `fraction` of the rows."""
    if not sorted_values:
        return 0
    rank = max(1, -(-int(round(fraction * 100)) * len(sorted_values) // 100))  # ceil(fraction * n)
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _packing_efficiency(lengths, max_length):
    """First-fit decreasing into max_length bins, as trl's "bfd" packing does: filled tokens / bin capacity."""
    bins = []
    for n in sorted((min(n, max_length) for n in lengths), reverse=True):
        for i, free in enumerate(bins):
            if free >= n:
                bins[i] -= n
                break
        else:
            bins.append(max_length - n)
    return round(sum(min(n, max_length) for n in lengths) / float(len(bins) * max_length), 3) if bins else None


def length_report(examples, max_length, rule, counted, total_rows, sample):
    lengths = sorted(max(s["full_length"] for s in e["sequences"]) for e in examples)
    top = max([lengths[-1] if lengths else 0, max_length or 0, 1])
    width = max(1, -(-top // HISTOGRAM_BINS))
    bins = [{"from": i * width, "to": (i + 1) * width, "count": 0} for i in range(HISTOGRAM_BINS)]
    for n in lengths:
        bins[min(n // width, HISTOGRAM_BINS - 1)]["count"] += 1
    truncated = sum(1 for n in lengths if max_length and n > max_length and not rule.packing)
    report = {
        "rows": counted,
        "sampled": counted >= sample,
        "sample_limit": sample,
        "total_rows": total_rows,
        "max_length": max_length,
        "mean": round(sum(lengths) / float(len(lengths)), 1) if lengths else 0,
        "longest": lengths[-1] if lengths else 0,
        "p95": _percentile(lengths, 0.95),
        "p99": _percentile(lengths, 0.99),
        "truncated": truncated,
        "dropped": sum(1 for e in examples if e["dropped"]),
        "histogram": bins,
        "measured": "prompt + the longer answer" if rule.method in ("dpo", "orpo") else "the whole example",
    }
    if rule.packing and max_length:
        report["packing_efficiency"] = _packing_efficiency(lengths, max_length)
    return report
