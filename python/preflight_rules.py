"""Which tokens trl trains on, per trl version, for the shapes ML Intern's scripts produce.

Read from trl's own sources (github.com/huggingface/trl), not from belief:
- SFT, trl < 0.17: transformers' DataCollatorForLanguageModeling(mlm=False) builds the labels from
  input_ids and sets every position holding pad_token_id to -100, so when pad == eos every EOS is masked.
- SFT, trl 0.17-0.19: the chat template is rendered to text first (data_utils.apply_chat_template: the prompt
  with add_generation_prompt=True, the completion is the rest of the text), then tokenized without special
  tokens; trl's collator masks positions where completion_mask == 0 (completion_only_loss) or
  assistant_masks == 0 (assistant_only_loss) and pads labels with -100 by position.
- SFT, trl 0.20-0.23: tokenized by apply_chat_template; the prompt WITHOUT add_generation_prompt, so the
  assistant header is part of the completion and trained.
- SFT, trl >= 0.24: the prompt with add_generation_prompt=True (sft_trainer.py tokenize_fn); trl >= 1.9
  builds labels during preparation (build_labels), truncates to max_length (truncation_mode) and drops
  examples left with no trained token.
- SFT, trl < 0.20 with DataCollatorForCompletionOnlyLM (what train.py passes on trl < 0.17, trl/trainer/utils.py):
  after the pad mask, everything up to the end of each response key and from each instruction key to the next
  response key is masked; an example with no response (or instruction) key trains nothing.
- SFT, trl >= 1.1 with assistant_only_loss and a template without {% generation %} markers: SFTTrainer tokenizes
  with get_training_chat_template(processing_class) instead (sft_trainer.py __init__ at 1.9: "swap in a training
  chat template with {% generation %} markers"); the preview swaps it in too, from the installed trl.
- SFT text rows: EOS is appended when the text does not end with it (add_eos), every token trained.
- DPO/ORPO (dpo_trainer.py tokenize_fn at 1.9): prompt ids with add_generation_prompt=True, chosen/rejected
  ids are the rest of prompt+chosen / prompt+rejected; only those are in completion_mask. trl >= 1.9 drops
  rows whose prompt alone fills max_length (keep_start). KTO: the completion likewise.
- DPO, trl 0.12-0.27: DPOTrainer.tokenize_row appends tokenizer.eos_token_id to the chosen and rejected ids even
  when the chat template already closed the turn (dpo_trainer.py v0.24.0: `chosen_input_ids + [eos_token_id]`;
  0.28 appends it to non-conversational rows only), so that EOS is trained too.
"""

FIRST_TRL_COLLATOR = (0, 17, 0)
PROMPT_WITH_GENERATION = (0, 24, 0)
TOKENIZED_BY_TEMPLATE = (0, 20, 0)
DROPS_EMPTY = (1, 9, 0)
TRAINING_TEMPLATE = (1, 1, 0)
DPO_EOS_AFTER_CHAT = ((0, 12, 0), (0, 28, 0))


class PreflightError(Exception):
    """An error the user can act on; printed as {"error": message}."""


def version_tuple(text):
    parts = []
    for piece in str(text).split("."):
        digits = "".join(ch for ch in piece if ch.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits[:6]))
        if len(digits) != len(piece):
            break
    return tuple((parts + [0, 0, 0])[:3])


class Rule(object):
    def __init__(self, method, config, trl):
        self.method = method
        self.trl = trl
        v = version_tuple(trl)
        self.version = v
        self.assistant_only = bool(config.get("assistant_only_loss")) and method == "sft"
        self.completion_only = config.get("completion_only_loss")  # None: trl decides from the row shape
        self.packing = bool(config.get("packing"))
        self.truncation_mode = config.get("truncation_mode") or "keep_start"
        self.max_prompt_length = config.get("max_prompt_length")
        self.pad_masks_labels = method == "sft" and v < FIRST_TRL_COLLATOR
        self.render_text_first = method == "sft" and FIRST_TRL_COLLATOR <= v < TOKENIZED_BY_TEMPLATE
        self.prompt_generation = not (method == "sft" and TOKENIZED_BY_TEMPLATE <= v < PROMPT_WITH_GENERATION)
        self.drops_empty = v >= DROPS_EMPTY
        self.eos_after_chat_completion = method == "dpo" and DPO_EOS_AFTER_CHAT[0] <= v < DPO_EOS_AFTER_CHAT[1]
        self.shape = None  # "messages", "prompt-completion" or "text": set from the first mapped row
        self.completion_collator = None  # (response ids, instruction ids or None): DataCollatorForCompletionOnlyLM
        self.training_template = False  # trl's get_training_chat_template was swapped in (swap_training_template)

    def see(self, example):
        if self.shape is None and isinstance(example, dict):
            self.shape = "messages" if "messages" in example else "prompt-completion" if "prompt" in example else "text"

    def describe(self):
        if self.method != "sft":
            what = "completion" if self.method == "kto" else "chosen and rejected"
            drop = "; rows whose prompt fills max_length are dropped" if self.drops_empty and self.truncation_mode == "keep_start" else ""
            if self.eos_after_chat_completion:
                drop += "; an EOS is appended after each chosen and rejected turn and trained (DPOTrainer.tokenize_row)"
            return {"id": "preference-completion-mask", "text": "trl %s %s: loss on the %s tokens after the prompt (prompt rendered "
                    "with add_generation_prompt=True)%s" % (self.trl, self.method.upper(), what, drop)}
        if self.pad_masks_labels and self.completion_collator:
            return {"id": "completion-only-collator", "text": "trl %s SFT: DataCollatorForCompletionOnlyLM trains the answers only "
                    "(after each assistant header, up to the next user header), except tokens equal to pad_token_id" % self.trl}
        if self.pad_masks_labels:
            return {"id": "transformers-collator-pad-mask", "text": "trl %s SFT: transformers' DataCollatorForLanguageModeling "
                    "trains every token except those equal to pad_token_id (pad == eos masks every EOS)" % self.trl}
        masks = []
        if self.shape == "prompt-completion" and self.completion_only is not False:
            masks.append("completion_mask (completion_only_loss=%s: the prompt is not trained)" % self.completion_only)
        if self.assistant_only:
            masks.append("assistant_masks from the template's {% generation %} blocks (assistant_only_loss=True)")
        if self.shape == "text":
            how = "text rows end with EOS (trl's add_eos)"
        elif self.shape == "messages":
            how = "each conversation rendered whole by the chat template"
        else:
            how = ("the prompt rendered with add_generation_prompt=True" if self.prompt_generation
                   else "the prompt rendered WITHOUT add_generation_prompt, so the assistant header is trained")
        labels = "input_ids masked by " + " and ".join(masks) if masks else "input_ids: every token trained"
        return {"id": "trl-completion-assistant-masks", "text": "trl %s SFT: labels = %s; %s%s" % (
            self.trl, labels, how,
            "; rows left with no trained token are dropped" if self.drops_empty else "")}


def rule_for(method, config, trl):
    return Rule(method, config, trl)


def swap_training_template(tokenizer, rule):
    """What SFTTrainer.__init__ does at trl 1.9 (sft_trainer.py): `if args.assistant_only_loss and not
    has_generation_markers(processing_class.chat_template): self.chat_template = get_training_chat_template(...)`,
    then every row is tokenized with that template. Done here with the installed trl's own functions, so the
    preview's assistant mask is the one trl builds (the script checked at run time that trl can patch it). Without
    trl installed, or for a template trl does not know, the tokenizer keeps its template and the checks say so."""
    if not rule.assistant_only or rule.version < TRAINING_TEMPLATE:
        return False
    try:
        from trl.chat_template_utils import get_training_chat_template, has_generation_markers
        if has_generation_markers(tokenizer.chat_template or ""):
            return False
        patched = get_training_chat_template(tokenizer)
    except Exception:  # noqa: BLE001 - no trl here, or a template trl cannot patch (it raises ValueError)
        return False
    if not patched:
        return False
    tokenizer.chat_template = patched
    rule.training_template = True
    return True


def _ids(encoded):
    if isinstance(encoded, dict) or hasattr(encoded, "keys"):
        return list(encoded["input_ids"])
    return list(encoded)


def _chat(tokenizer, messages, **kwargs):
    try:
        return tokenizer.apply_chat_template(messages, **kwargs)
    except Exception as e:  # noqa: BLE001 - a template that raises (Gemma and "system") is the user's problem to see
        raise PreflightError("The chat template failed on a row (%s: %s): %s" % (type(e).__name__, str(e)[:300], _template_hint(e)))


def _template_hint(error):
    if "system" in str(error).lower():
        return "this template rejects the system role; fold SYSTEM_PROMPT (or the system column) into the first user turn."
    return "check the rows' roles (user/assistant alternating) and the template."


def _text_ids(tokenizer, text, special=True):
    return _ids(tokenizer(text, add_special_tokens=special))


def _completion_only(ids, trained, response, instruction):
    """DataCollatorForCompletionOnlyLM.torch_call (trl/trainer/utils.py, v0.11-v0.19), on one example whose labels
    are `ids` where `trained` (the pad mask already applied; keys are searched in those labels)."""
    labels = [t if keep else -100 for t, keep in zip(ids, trained)]

    def starts(key):
        return [i for i in range(len(labels) - len(key) + 1) if labels[i:i + len(key)] == key]

    out = list(trained)
    responses = [i + len(response) for i in starts(response)]
    if not responses:
        return [0] * len(ids)
    if instruction is None:
        return [0] * responses[-1] + out[responses[-1]:]
    humans = starts(instruction)
    if not humans:
        return [0] * len(ids)
    if humans[0] > responses[0]:
        humans = [0] + humans
    for index, (start, end) in enumerate(zip(humans, responses)):
        out[(start if index else 0):end] = [0] * (end - (start if index else 0))
    if len(responses) < len(humans):
        out[humans[-1]:] = [0] * (len(out) - humans[-1])
    return out


def _sequence(name, ids, trained, max_length, mode):
    full = len(ids)
    if max_length and full > max_length:
        sl = slice(None, max_length) if mode != "keep_end" else slice(-max_length, None)
        ids, trained = ids[sl], trained[sl]
    return {"name": name, "input_ids": ids, "trained": trained, "full_length": full}


def _sft(tokenizer, rule, example, max_length):
    mismatch = False
    if "messages" in example:
        if rule.render_text_first:
            ids = _text_ids(tokenizer, _chat(tokenizer, example["messages"], tokenize=False), special=False)
            assistant = None
        else:
            out = _chat(tokenizer, example["messages"], tokenize=True, return_dict=True,
                        return_assistant_tokens_mask=rule.assistant_only)
            ids = _ids(out)
            assistant = list(out["assistant_masks"]) if rule.assistant_only and "assistant_masks" in out else None
        completion = None
    elif "prompt" in example:
        if rule.render_text_first:
            prompt_text = _chat(tokenizer, example["prompt"], tokenize=False, add_generation_prompt=True)
            full_text = _chat(tokenizer, example["prompt"] + example["completion"], tokenize=False)
            prompt_ids = _text_ids(tokenizer, prompt_text, special=False)
            ids = _text_ids(tokenizer, full_text, special=False)
            assistant = None
        else:
            prompt_ids = _ids(_chat(tokenizer, example["prompt"], tokenize=True, return_dict=True,
                                    add_generation_prompt=rule.prompt_generation))
            out = _chat(tokenizer, example["prompt"] + example["completion"], tokenize=True, return_dict=True,
                        return_assistant_tokens_mask=rule.assistant_only)
            ids = _ids(out)
            assistant = list(out["assistant_masks"]) if rule.assistant_only and "assistant_masks" in out else None
        mismatch = ids[:len(prompt_ids)] != prompt_ids
        completion = [0] * len(prompt_ids) + [1] * (len(ids) - len(prompt_ids))
    else:
        text = str(example.get("text", ""))
        eos = tokenizer.eos_token
        if eos and not text.endswith(eos):
            text += eos  # trl's add_eos for language-modelling rows
        ids = _text_ids(tokenizer, text)
        completion = assistant = None
    if rule.pad_masks_labels:
        pad = tokenizer.pad_token_id
        trained = [int(t != pad) for t in ids]
        if rule.completion_collator:
            trained = _completion_only(ids, trained, *rule.completion_collator)
    else:
        use_completion = completion is not None and rule.completion_only is not False
        trained = [int((not use_completion or c) and (assistant is None or a))
                   for c, a in zip(completion or [1] * len(ids), assistant or [1] * len(ids))]
    seq = _sequence("example", ids, trained, None if rule.packing else max_length, rule.truncation_mode)
    dropped = rule.drops_empty and not rule.packing and not any(seq["trained"])
    return {"sequences": [seq], "dropped": dropped, "prompt_mismatch": mismatch,
            "assistant_mask_empty": assistant is not None and 1 not in assistant}


def _preference(tokenizer, rule, example, max_length):
    names = ["completion"] if rule.method == "kto" else ["chosen", "rejected"]
    conversational = isinstance(example.get("prompt"), list)
    if conversational:
        prompt_ids = _ids(_chat(tokenizer, example["prompt"], tokenize=True, return_dict=True, add_generation_prompt=True))
    else:
        prompt_ids = _text_ids(tokenizer, example["prompt"])
    sequences, mismatch = [], False
    for name in names:
        if conversational:
            full = _ids(_chat(tokenizer, example["prompt"] + example[name], tokenize=True, return_dict=True))
        else:
            full = _text_ids(tokenizer, example["prompt"] + example[name])
        mismatch = mismatch or full[:len(prompt_ids)] != prompt_ids
        if conversational and rule.eos_after_chat_completion and tokenizer.eos_token_id is not None:
            full = full + [tokenizer.eos_token_id]
        trained = [0] * len(prompt_ids) + [1] * (len(full) - len(prompt_ids))
        sequences.append(_sequence(name, full, trained, max_length, rule.truncation_mode))
    dropped = bool(rule.drops_empty and max_length and rule.truncation_mode == "keep_start" and len(prompt_ids) >= max_length)
    return {"sequences": sequences, "dropped": dropped, "prompt_mismatch": mismatch, "assistant_mask_empty": False,
            "prompt_length": len(prompt_ids)}


def build_examples(tokenizer, rule, example, max_length):
    """One mapped row as trl tokenizes it: sequences of ids with a trained flag per token."""
    if not isinstance(example, dict):
        raise PreflightError("The script's mapping returned %s, not a dict of columns." % type(example).__name__)
    if rule.method == "sft":
        return _sft(tokenizer, rule, example, max_length)
    return _preference(tokenizer, rule, example, max_length)
