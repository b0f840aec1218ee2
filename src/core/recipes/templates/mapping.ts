/**
 * The small, readable Python functions that turn one dataset row into the shape trl expects,
 * generated from the column mapping so the user reviews exactly which column becomes which role.
 */
import { Role } from '../spec';
import { pyDocText, pyStr as py } from './escape';

/**
 * The keys of an exchange dict's user and assistant side, in priority order: the same lists as
 * python/data_shapes.py's EXCHANGE_USER_KEYS / EXCHANGE_ASSISTANT_KEYS, which decide that a data
 * set is 'turn_pairs' (a test keeps them equal).
 */
export const EXCHANGE_USER_KEYS = ['human', 'user', 'input', 'prompter', 'question', 'instruction', 'query', 'prompt', 'patient', 'customer', 'usr', '用户'];
export const EXCHANGE_ASSISTANT_KEYS = ['assistant', 'gpt', 'output', 'bot', 'model', 'chatgpt', 'ai', 'answer', 'response', 'completion', 'doctor', '助手'];

/** A column name as docstring text (a name may hold quotes, backslashes or line breaks). */
const doc = (column: string | undefined): string => pyDocText(String(column));

/** Shared helpers: cells may hold plain text or chat messages in OpenAI or ShareGPT style. */
export const MESSAGE_HELPERS = `ROLE_NAMES = {
    "human": "user", "gpt": "assistant", "bot": "assistant", "model": "assistant",
    # LLaMA-Factory's tool-calling ShareGPT: the call is the assistant's turn, its result a tool turn.
    "function_call": "assistant", "observation": "tool",
}
TRANSCRIPT_TURN = re.compile(r"\\n\\n(Human|Assistant): ?")


def normalize_message(message):
    """{"from": "human", "value": ...} (ShareGPT) and {"role": "user", "content": ...} both become the latter."""
    role = message.get("role") or message.get("from") or "user"
    content = message.get("content") if "content" in message else message.get("value", "")
    return {"role": ROLE_NAMES.get(role, role), "content": str(content)}


def transcript_messages(text):
    """Anthropic HH-RLHF style text ("\\n\\nHuman: ...\\n\\nAssistant: ...") becomes messages; other text gives None."""
    if not text.lstrip().startswith("Human:") or "\\n\\nAssistant:" not in text:
        return None
    parts = TRANSCRIPT_TURN.split("\\n\\n" + text.lstrip())
    turns = [{"role": "user" if who == "Human" else "assistant", "content": body.strip()} for who, body in zip(parts[1::2], parts[2::2])]
    # A prompt written as "...\\n\\nAssistant:" (Dahoas rm-static) ends with the cue for the answer, not an empty turn.
    if len(turns) > 1 and turns[-1]["role"] == "assistant" and not turns[-1]["content"]:
        turns.pop()
    return turns


# One dict per exchange (Firefly/MOSS {"human", "assistant"}, xtuner {"system"?, "input", "output"}): its sides' keys.
EXCHANGE_USER_KEYS = (${EXCHANGE_USER_KEYS.map((k) => py(k)).join(', ')})
EXCHANGE_ASSISTANT_KEYS = (${EXCHANGE_ASSISTANT_KEYS.map((k) => py(k)).join(', ')})


def exchange_messages(exchange, first):
    """One exchange dict becomes a user and an assistant message (a system text, in the first one only, before them)."""
    keys = {str(k).lower(): k for k in exchange}
    user = next((keys[k] for k in EXCHANGE_USER_KEYS if k in keys), None)
    assistant = next((keys[k] for k in EXCHANGE_ASSISTANT_KEYS if k in keys), None)
    if user is None or assistant is None:
        raise ValueError("an exchange without a user or an assistant side: %r" % sorted(keys))
    messages = []
    if first and exchange.get(keys.get("system", "system")):
        messages.append({"role": "system", "content": str(exchange[keys["system"]])})
    messages.append({"role": "user", "content": str(exchange[user])})
    messages.append({"role": "assistant", "content": str(exchange[assistant])})
    return messages


def tree_messages(node):
    """An OpenAssistant message tree becomes one conversation: from the root, the best-ranked reply at each
    level (rank 0; the first when unranked), deleted and review-failed messages left out."""
    messages = []
    while node:
        role = "user" if node.get("role") in ("prompter", "user") else "assistant"
        messages.append({"role": role, "content": str(node.get("text", node.get("content", "")))})
        replies = [r for r in node.get("replies") or [] if isinstance(r, dict) and not r.get("deleted") and r.get("review_result") is not False]
        ranked = lambda r: r["rank"] if isinstance(r.get("rank"), (int, float)) else float("inf")
        node = min(replies, key=ranked) if replies else None
    # A last question without an answer has nothing to learn from.
    while messages and messages[-1]["role"] == "user":
        messages.pop()
    return messages


def as_messages(value, role):
    """A cell becomes a list of messages: a list is normalized (an exchange dict gives a user and an
    assistant message), one message object (LLaMA-Factory's chosen/rejected) is wrapped, a
    Human:/Assistant: transcript is split, other text gets the given role."""
    if isinstance(value, list):
        messages = []
        for i, m in enumerate(value):
            is_exchange = isinstance(m, dict) and not ("role" in m or "from" in m)
            messages.extend(exchange_messages(m, i == 0) if is_exchange else [normalize_message(m)])
        return messages
    if isinstance(value, dict) and isinstance(value.get("replies"), list):
        return tree_messages(value)
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        # OpenAI's preference rows keep the prompt as {"messages": [...], "tools": [...]}.
        return [normalize_message(m) for m in value["messages"]]
    if isinstance(value, dict):
        return [normalize_message(value)]
    return transcript_messages(str(value)) or [{"role": role, "content": str(value)}]


def with_system(messages):
    """Prepend SYSTEM_PROMPT unless the conversation already starts with a system message."""
    if SYSTEM_PROMPT and (not messages or messages[0]["role"] != "system"):
        return [{"role": "system", "content": SYSTEM_PROMPT}] + messages
    return messages
`;

function userTurn(m: Partial<Record<Role, string>>): string[] {
  const lines: string[] = [];
  const userCol = m.user ?? m.prompt;
  if (!userCol) return lines;
  if (m.input) {
    lines.push(`    user = str(row[${py(userCol)}])`);
    lines.push(`    if row.get(${py(m.input)}):  # optional extra context (Alpaca's "input")`);
    lines.push(`        user += "\\n\\n" + str(row[${py(m.input)}])`);
  } else {
    lines.push(`    user = str(row[${py(userCol)}])`);
  }
  return lines;
}

/** Earlier [user, assistant] pairs (LLaMA-Factory's and ms-swift's "history") come before the question. */
function historyLines(m: Partial<Record<Role, string>>): string[] {
  if (!m.history) return [];
  return [
    `    for past_user, past_assistant in row.get(${py(m.history)}) or []:`,
    '        messages.append({"role": "user", "content": str(past_user)})',
    '        messages.append({"role": "assistant", "content": str(past_assistant)})',
  ];
}

function systemLines(m: Partial<Record<Role, string>>): string[] {
  if (!m.system) return ['    messages = []'];
  return [
    `    messages = []`,
    `    if row.get(${py(m.system)}):`,
    `        messages.append({"role": "system", "content": str(row[${py(m.system)}])})`,
  ];
}

/** The prompt cell as messages; an optional "input" column (Alpaca-style preference/KTO rows) is appended to it. */
function promptMessages(m: Partial<Record<Role, string>>, promptCol: string): string {
  const cell = m.input
    ? `str(row[${py(promptCol)}]) + ("\\n\\n" + str(row[${py(m.input)}]) if row.get(${py(m.input)}) else "")`
    : `row[${py(promptCol)}]`;
  return `as_messages(${cell}, "user")`;
}

/** Parallel lists of turns (format 'parallel_turns'): zipped in order into user and assistant messages. */
function parallelTurnsFunction(m: Partial<Record<Role, string>>, userCol: string, assistantCol: string): string {
  return [
    'def to_messages(row):',
    `    """Columns "${doc(userCol)}" and "${doc(assistantCol)}" are parallel lists of turns: ${doc(userCol)}[i] -> user, ${doc(assistantCol)}[i] -> assistant${m.system ? `, ${doc(m.system)} -> system` : ''}."""`,
    ...systemLines(m),
    // A cell that is one text (not a list) is one turn: zip() over a string would split it into characters.
    `    users, answers = ([] if v is None else v if isinstance(v, list) else [v] for v in (row[${py(userCol)}], row[${py(assistantCol)}]))`,
    '    # zip() stops at the shorter list: a last question without an answer has nothing to learn from.',
    '    for user, answer in zip(users, answers):',
    '        messages.append({"role": "user", "content": str(user)})',
    '        messages.append({"role": "assistant", "content": str(answer)})',
    '    return {"messages": with_system(messages)}',
    '',
  ].join('\n');
}

/** SFT: `to_messages(row)` (conversational) or `to_text(row)` for raw text. */
export function sftRowFunctions(m: Partial<Record<Role, string>>, opts: { parallelTurns?: boolean; exchanges?: boolean; tree?: boolean } = {}): { fn: 'to_messages' | 'to_text'; code: string; singleTurn: boolean } {
  if (opts.parallelTurns && m.user && m.assistant) return { fn: 'to_messages', singleTurn: false, code: parallelTurnsFunction(m, m.user, m.assistant) };
  if (m.messages) {
    // What the reviewer reads: a column of exchange dicts is not a list of messages as it is.
    const holds = opts.exchanges
      ? 'holds one dict per exchange; each becomes a user and an assistant message (exchange_messages)'
      : opts.tree
        ? 'holds a message tree; its best-ranked path becomes the conversation (tree_messages)'
        : 'already holds a conversation; normalize its roles';
    return {
      fn: 'to_messages',
      singleTurn: false,
      code: m.system
        ? `def to_messages(row):
    """Column "${doc(m.messages)}" ${holds}. Column "${doc(m.system)}" -> system."""
    messages = as_messages(row[${py(m.messages)}], "user")
    if row.get(${py(m.system)}) and (not messages or messages[0]["role"] != "system"):
        messages = [{"role": "system", "content": str(row[${py(m.system)}])}] + messages
    return {"messages": with_system(messages)}
`
        : `def to_messages(row):
    """Column "${doc(m.messages)}" ${holds}."""
    return {"messages": with_system(as_messages(row[${py(m.messages)}], "user"))}
`,
    };
  }
  const assistantCol = m.assistant ?? m.completion;
  if ((m.user || m.prompt) && assistantCol) {
    return {
      fn: 'to_messages',
      singleTurn: true,
      code: [
        'def to_messages(row):',
        `    """${doc(m.user ?? m.prompt)} -> user, ${doc(assistantCol)} -> assistant${m.system ? `, ${doc(m.system)} -> system` : ''}${m.history ? `, ${doc(m.history)} -> earlier turns` : ''}${m.input ? `, ${doc(m.input)} appended to the user turn` : ''}."""`,
        ...systemLines(m),
        ...historyLines(m),
        ...userTurn(m),
        '    messages.append({"role": "user", "content": user})',
        `    messages.append({"role": "assistant", "content": str(row[${py(assistantCol)}])})`,
        '    return {"messages": with_system(messages)}',
        '',
      ].join('\n'),
    };
  }
  return {
    fn: 'to_text',
    singleTurn: false,
    code: `def to_text(row):
    """Plain language modelling on column "${doc(m.text ?? 'text')}": no chat template involved."""
    return {"text": str(row[${py(m.text ?? 'text')}])}
`,
  };
}

/** DPO / ORPO: `to_preference(row)` -> {"prompt", "chosen", "rejected"} as conversations. */
export function preferenceFunction(m: Partial<Record<Role, string>>): string {
  const promptCol = m.prompt ?? m.user;
  return [
    'def to_preference(row):',
    `    """${promptCol ? `${doc(promptCol)} -> prompt, ` : ''}${doc(m.chosen)} -> chosen, ${doc(m.rejected)} -> rejected (conversational, so trl applies the chat template)."""`,
    `    chosen = as_messages(row[${py(m.chosen ?? 'chosen')}], "assistant")`,
    `    rejected = as_messages(row[${py(m.rejected ?? 'rejected')}], "assistant")`,
    ...(m.choice
      ? [`    if row[${py(m.choice)}] == 1:  # the index of the better answer: 1 = the second column`, '        chosen, rejected = rejected, chosen']
      : []),
    '    # When chosen/rejected are whole conversations, their shared beginning is the prompt.',
    '    shared = 0',
    '    while shared < min(len(chosen), len(rejected)) - 1 and chosen[shared] == rejected[shared]:',
    '        shared += 1',
    '    if shared:',
    '        prompt, chosen, rejected = chosen[:shared], chosen[shared:], rejected[shared:]',
    ...(promptCol
      ? [
          '    else:',
          `        prompt = ${promptMessages(m, promptCol)}`,
          ...(m.system
            ? [`    if row.get(${py(m.system)}) and prompt[0]["role"] != "system":`, `        prompt = [{"role": "system", "content": str(row[${py(m.system)}])}] + prompt`]
            : []),
        ]
      : ['    else:', '        raise ValueError("no prompt column is mapped and chosen/rejected share no prompt turns")']),
    '    return {"prompt": with_system(prompt), "chosen": chosen, "rejected": rejected}',
    '',
  ].join('\n');
}

/** KTO: `to_unpaired(row)` -> {"prompt", "completion", "label"}. */
export function unpairedFunction(m: Partial<Record<Role, string>>): string {
  const completionCol = m.completion ?? m.assistant;
  const promptCol = m.prompt ?? m.user;
  const body = m.messages && !completionCol
    ? [
        `    conversation = as_messages(row[${py(m.messages)}], "user")`,
        '    prompt, completion = conversation[:-1], conversation[-1:]',
      ]
    : [
        promptCol ? `    prompt = ${promptMessages(m, promptCol)}` : '    prompt = []',
        `    completion = as_messages(row[${py(completionCol ?? 'completion')}], "assistant")`,
      ];
  return [
    'def to_unpaired(row):',
    `    """${promptCol ? `${doc(promptCol)} -> prompt, ` : ''}${doc(completionCol ?? m.messages)} -> completion, ${doc(m.label)} -> label (True = desirable)."""`,
    ...body,
    `    label = row[${py(m.label ?? 'label')}]`,
    '    if isinstance(label, str):',
    '        label = label.strip().lower() in ("true", "1", "yes", "good", "desirable")',
    '    return {"prompt": with_system(prompt), "completion": completion, "label": bool(label)}',
    '',
  ].join('\n');
}
