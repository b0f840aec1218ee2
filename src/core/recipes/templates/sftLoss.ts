/**
 * Which tokens of an SFT example carry the loss, for the installed trl (issue 18, findings 7 and 8):
 * - multi-turn `messages`: the assistant turns only. trl >= 0.19 has `assistant_only_loss`, which needs a chat
 *   template marking assistant turns with `{% generation %}` (trl >= 1.1 swaps in its own training template for
 *   the families it knows, `trl/chat_template_utils.py get_training_chat_template`); the script checks the
 *   template at run time and otherwise trains on the last answer of each conversation as a prompt/completion
 *   pair (`completion_only_loss`, trl >= 0.17). trl < 0.17 masks with `DataCollatorForCompletionOnlyLM` (exported
 *   until trl 0.20), built from the template's own assistant and user headers.
 * - one question, one answer: prompt/completion (trl >= 0.17) or the same collator (older trl).
 * - trl < 0.17 collates with transformers' `DataCollatorForLanguageModeling` (trl/trainer/sft_trainer.py at
 *   v0.16.0: `DataCollatorForLanguageModeling(tokenizer=processing_class, mlm=False)`), whose torch_call sets
 *   `labels[labels == self.tokenizer.pad_token_id] = -100`: with pad = eos every EOS label is masked and the model
 *   never learns to stop. trl 0.17 pads labels with -100 by length instead, so only older trl needs a distinct pad.
 * Every SFT script collates one batch before training and prints which tokens train.
 */
import { TargetVersions, versionAtLeast } from '../libraryVersions';
import { commentText, pyDocText } from './escape';
import { ConfigLine } from './pyutil';

export type Keyword = [string, string, string?];

export interface SftLossPlan {
  config: ConfigLine[];
  configKwargs: Keyword[];
  trainerKwargs: Keyword[];
  imports: string[];
  /** Module-level Python functions. */
  helpers: string;
  /** main(), once the tokenizer and its chat template are ready (4-space indent); defines what mapFn names. */
  afterTokenizer: string;
  /** main(), after the model is loaded. */
  afterModel: string;
  /** The function the rows are mapped with (a Python expression). */
  mapFn: string;
  /** The base-model fallback chat template marks assistant turns with {% generation %}. */
  markGeneration: boolean;
  dataShape: string;
}

type Shape = 'text' | 'single' | 'multi';

/** Rows split at the last assistant turn: trl computes the loss on the completion only. */
export const PROMPT_COMPLETION_PY = `

def to_prompt_completion(row):
    """Everything before the last assistant turn is the prompt, that turn the completion: trl computes the loss on
    the completion only (earlier turns are context)."""
    messages = to_messages(row)["messages"]
    last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=len(messages) - 1)
    return {"prompt": messages[:last], "completion": messages[last:last + 1]}
`;

/** `literalMarker`: trl 1.1-1.5 look for the literal "{% generation %}" before patching (has_generation_markers, which
 * also accepts the {%- ... -%} forms, came in 1.6): the script decides as the installed trl will. */
const ASSISTANT_TURNS_PY = (trlPatches: boolean, literalMarker: boolean, trlVersion: string): string => `

def assistant_turns_marked(tokenizer):
    """assistant_only_loss needs a chat template that marks the assistant turns with {% generation %}
    (transformers' return_assistant_tokens_mask reads them). Returns (usable, why)."""
    if ${literalMarker ? '"{% generation %}" in (tokenizer.chat_template or "")' : 're.search(r"\\{%-?\\s*generation\\s*-?%\\}", tokenizer.chat_template or "")'}:
        return True, "the chat template marks the assistant turns with {% generation %}"
${trlPatches ? `    try:
        from trl.chat_template_utils import get_training_chat_template
        get_training_chat_template(tokenizer)
    except (ImportError, ValueError) as error:
        return False, f"the chat template has no {{% generation %}} markers and trl cannot patch it ({str(error)[:200]})"
    return True, "trl swaps in its training version of this chat template, with {% generation %} markers"
` : `    # trl ${commentText(trlVersion)} patches no template (get_training_chat_template came in trl 1.1).
    return False, "the chat template has no {% generation %} markers"
`}`;

const COLLATOR_PY = `

def chat_template_headers(tokenizer):
    """What the chat template writes before an answer and before a later user turn, found by rendering marker
    messages with the model's own template (whatever its family). Returns (response, instruction) as
    (text, token ids) pairs, tokenized in context (SentencePiece splits a leading newline differently alone);
    None where it cannot tell."""
    user, answer, user2 = "ML_INTERN_USER_1", "ML_INTERN_ANSWER_1", "ML_INTERN_USER_2"
    turn = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    try:
        one = tokenizer.apply_chat_template(turn, tokenize=False)
        two = tokenizer.apply_chat_template(turn + [{"role": "user", "content": user2}], tokenize=False)
    except Exception as error:  # noqa: BLE001 - a template that cannot render these turns has no usable headers
        print(f"The chat template could not render marker turns ({error}).")
        return None, None

    def in_context(before, text):
        head = tokenizer.encode(before, add_special_tokens=False)
        ids = tokenizer.encode(before + text, add_special_tokens=False)
        return (text, ids[len(head):] if ids[:len(head)] == head else tokenizer.encode(text, add_special_tokens=False))

    # From the end of the question to the answer: the user's end of turn and the assistant header (both masked).
    question_end = one.index(user) + len(user)
    response = one[question_end:one.index(answer)]
    # After the answer its own end of turn (trained: the model learns to stop), then the next user header.
    answer_end = one.index(answer) + len(answer)
    turn_end = one[answer_end:]
    between = two[answer_end:two.index(user2)]
    instruction = between[len(turn_end):] if turn_end and between.startswith(turn_end) else ""
    return (in_context(one[:question_end], response) if response.strip() else None,
            in_context(two[:answer_end] + turn_end, instruction) if instruction.strip() else None)


def completion_only_collator(tokenizer):
    """This trl has no assistant/completion-only loss in its SFTConfig: DataCollatorForCompletionOnlyLM masks every
    token outside the answers, found by the chat template's headers."""
    response, instruction = chat_template_headers(tokenizer)
    if response is None:
        print("Loss on every token: the chat template shows no assistant header to mask up to.")
        return None
    print(f"Loss on the answers only: the tokens after {response[0]!r}"
          + (f" up to the next {instruction[0]!r}." if instruction else " (the last answer of each example)."))
    return DataCollatorForCompletionOnlyLM(
        response_template=response[1],
        instruction_template=instruction[1] if instruction else None,
        tokenizer=tokenizer,
    )
`;

const PAD_PY = (trlVersion: string): string => `

def distinct_pad_token(tokenizer):
    """trl ${pyDocText(trlVersion)} collates SFT batches with transformers' DataCollatorForLanguageModeling, whose torch_call
    sets labels[labels == tokenizer.pad_token_id] = -100: with pad = eos every EOS label is masked and the model
    never learns to stop. Pad with another token the model already has, else add one."""
    for token in (tokenizer.unk_token, "<|finetune_right_pad_id|>", "<|reserved_special_token_0|>", "<pad>", "<|pad|>"):
        if not token:
            continue
        token_id = tokenizer.convert_tokens_to_ids(token)
        if token_id is None or token_id == tokenizer.eos_token_id or (token != tokenizer.unk_token and token_id == tokenizer.unk_token_id):
            continue
        tokenizer.pad_token = token
        return f"{token} (already in the vocabulary)"
    tokenizer.add_special_tokens({"pad_token": "<|pad|>"})
    return "<|pad|> (added: the embedding matrix grows by one row)"
`;

/** `flag`: the CONFIG switch that turns the loss mask off, named when no token trains. */
export const reportTrainedTokensPy = (flag?: string): string => `

def report_trained_tokens(trainer, tokenizer):
    """Collate one training batch and show which tokens carry the loss, so "learns the answers only" is seen, not
    assumed. Stops the run when no token does (a mask that never matched would train nothing)."""
    try:
        batch = next(iter(trainer.get_train_dataloader()))
    except Exception as error:  # noqa: BLE001 - the report must never stop a run that would train
        print(f"Could not collate a batch to show which tokens train ({error}).")
        return
    labels, input_ids = batch["labels"], batch["input_ids"]
    trained = labels != -100
    if not bool(trained.any()):
        raise SystemExit(
            "No token of the first training batch carries the loss: the loss mask matched nothing. "
            ${flag ? `"Check the chat template, or set ${flag} = False to train on every token."` : '"Check the data: every label is masked."'}
        )
    if trainer.is_world_process_zero():
        total = int(batch["attention_mask"].sum()) if "attention_mask" in batch else labels.numel()
        first = input_ids[0][trained[0]]
        print(f"Loss on {int(trained.sum())} of {total} tokens of the first batch. The first example trains on: "
              f"{tokenizer.decode(first)[:400]!r}")
        if len(first):
            print(f"Its last trained token is {tokenizer.decode(first[-1:])!r}: the model learns to end its answers with it.")
`;

export function sftLossPlan(shape: Shape, t: TargetVersions): SftLossPlan {
  const trl = (v: string): boolean => versionAtLeast(t.trl, v);
  const oldCollator = !trl('0.17.0');
  const plan: SftLossPlan = {
    config: [], configKwargs: [], trainerKwargs: [], imports: [], helpers: '', afterTokenizer: '', afterModel: '',
    mapFn: shape === 'text' ? 'to_text' : 'to_messages', markGeneration: false,
    dataShape: shape === 'text' ? 'plain "text" rows (no chat template)' : 'conversational "messages" lists',
  };
  if (oldCollator) {
    plan.helpers += PAD_PY(t.trl);
    plan.afterTokenizer += `    if tokenizer.pad_token_id == tokenizer.eos_token_id:
        # trl ${commentText(t.trl)}'s collator masks every pad token out of the labels: EOS must not be the pad.
        print(f"Padding with {distinct_pad_token(tokenizer)}: with pad = EOS, trl < 0.17 would mask every EOS and the model would never learn to stop.")
`;
    plan.afterModel += `    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer))  # room for the pad token added above
`;
  }
  if (shape === 'text') {
    plan.helpers += reportTrainedTokensPy();
    return plan;
  }
  if (oldCollator) {
    // trl < 0.17: DataCollatorForCompletionOnlyLM with the template's headers, single- or multi-turn.
    plan.config.push({ name: 'ASSISTANT_ONLY_LOSS', value: true, comment: `learn the answers only: trl ${t.trl} masks system/user tokens with DataCollatorForCompletionOnlyLM and the template's headers (False = every token)` });
    plan.imports.push('from trl import DataCollatorForCompletionOnlyLM');
    plan.helpers += COLLATOR_PY;
    plan.afterTokenizer += '    data_collator = completion_only_collator(tokenizer) if ASSISTANT_ONLY_LOSS else None\n';
    plan.trainerKwargs.push(['data_collator', 'data_collator', 'None: trl\'s default (every token trains)']);
    plan.dataShape = 'conversational "messages" lists (loss on the answers only)';
  } else if (shape === 'single' || !trl('0.19.0')) {
    // One answer per row (or trl 0.17/0.18, which has no assistant_only_loss): prompt/completion pairs.
    plan.config.push({
      name: 'COMPLETION_ONLY_LOSS', value: true,
      comment: shape === 'single'
        ? 'learn the answers only, not to repeat the questions (False = every token)'
        : `learn the last answer of each conversation (earlier turns are context): trl ${t.trl} has no assistant_only_loss (0.19); False = every token`,
    });
    plan.helpers += PROMPT_COMPLETION_PY;
    plan.mapFn = 'to_prompt_completion if COMPLETION_ONLY_LOSS else to_messages';
    plan.dataShape = shape === 'single' ? 'conversational prompt/completion pairs (loss on the completion only)' : 'conversational prompt/completion pairs (loss on the last answer)';
  } else {
    // Multi-turn on trl >= 0.19: the assistant turns, where the template marks them.
    const trlPatches = trl('1.1.0');
    plan.config.push({
      name: 'ASSISTANT_ONLY_LOSS', value: true,
      comment: `learn the assistant turns only (system/user masked) where the chat template marks them with {% generation %}${trlPatches ? ' or trl patches it' : ''}; else the last answer of each conversation (False = every token)`,
    });
    plan.helpers += PROMPT_COMPLETION_PY + ASSISTANT_TURNS_PY(trlPatches, trlPatches && !trl('1.6.0'), t.trl);
    plan.afterTokenizer += `    # Which tokens carry the loss: the assistant turns where the template marks them, else each conversation's last answer.
    assistant_only, why = assistant_turns_marked(tokenizer) if ASSISTANT_ONLY_LOSS else (False, "ASSISTANT_ONLY_LOSS is off")
    if assistant_only:
        map_fn = to_messages
        print(f"Loss on the assistant turns only: {why}.")
    elif ASSISTANT_ONLY_LOSS:
        map_fn = to_prompt_completion
        print(f"Loss on the last answer of each conversation (earlier turns are context only): {why}.")
    else:
        map_fn = to_messages
        print("Loss on every token, system and user turns included: ASSISTANT_ONLY_LOSS is off.")
`;
    plan.configKwargs.push(['assistant_only_loss', 'assistant_only']);
    plan.mapFn = 'map_fn';
    plan.markGeneration = true;
    plan.dataShape = 'conversational "messages" lists (loss on the assistant turns)';
  }
  plan.helpers += reportTrainedTokensPy(plan.config[0]?.name);
  return plan;
}
