"""Which trl format a data set is in, from its first rows: format, task and the column of each role."""
from data_families import indexed_preference, not_post_training
from data_rl import grpo_proposal
from data_shapes import (HISTORY_NAMES, ANSWER_WORDS, COMPLETION_NAMES, INPUT_NAMES, INSTRUCTION_NAMES, LABEL_NAMES,
                         MESSAGE_COL_PRIORITY, OUTPUT_NAMES, PREF_PAIRS, PROMPT_NAMES, QUESTION_WORDS, SYSTEM_NAMES,
                         TEXT_NAMES, USER_ROLES, _first_named, _lower_map, _role_score, exchange_sides, is_tree,
                         message_roles, message_style)

class Detection(object):
    def __init__(self, fmt, task, mapping, trainable=True):
        self.format = fmt
        self.task = task
        self.mapping = mapping
        self.trainable = trainable
        self.problems = []
        self.notes = []
        self.message_style = None  # 'role_content' | 'from_value' for conversational columns
        self.grpo = None  # what GRPO would train on (data_rl.py), beside the detected format


def _col_values(rows, col):
    return [r[col] for r in rows if col in r and r[col] is not None]


def _dominant_style(rows, col):
    counts = {}
    for v in _col_values(rows, col):
        s = message_style(v)
        if isinstance(v, str):
            s = 'str'
        counts[s] = counts.get(s, 0) + 1
    if not counts:
        return None
    return max(counts.items(), key=lambda kv: kv[1])[0]


def _string_col(rows, col):
    vals = _col_values(rows, col)
    return bool(vals) and sum(1 for v in vals if isinstance(v, str)) >= 0.8 * len(vals)


def _is_bool_label(rows, col):
    vals = _col_values(rows, col)
    if not vals:
        return False
    ok = 0
    for v in vals:
        if isinstance(v, bool) or (isinstance(v, int) and v in (0, 1)) or \
                (isinstance(v, str) and v.strip().lower() in ('true', 'false', '0', '1')):
            ok += 1
    return ok == len(vals) and any(isinstance(v, bool) or (isinstance(v, str) and v.lower() in ('true', 'false')) for v in vals) \
        or (ok == len(vals) and col.lower() in ('label', 'kto_label', 'is_desirable', 'desirable'))


def _common_prefix_len(a, b):
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def detect(rows, columns):
    """Decide format/task/mapping from up to DETECT_ROWS rows."""
    if not rows:
        return Detection('unknown', None, {}, False)
    cols = list(columns)
    low = _lower_map(cols)
    styles = dict((c, _dominant_style(rows, c)) for c in cols)

    d = _from_family(not_post_training(rows, cols, low) or indexed_preference(rows, cols, low))
    if d is None:
        d = _detect_preference(rows, cols, low, styles)
    if d is None:
        d = _detect_kto(rows, cols, low, styles)
    if d is None:
        d = _detect_conversation(rows, cols, low, styles)
    if d is None:
        d = _detect_alpaca(rows, cols, low, styles)
    if d is None:
        d = _detect_prompt_completion(rows, cols, low, styles)
    if d is None:
        d = _detect_custom_qa(rows, cols, low, styles)
    if d is None:
        d = _detect_text(rows, cols, low, styles)
    if d is None:
        d = _explain_unknown(rows, cols, low, styles)
    if d.format in ('preference_explicit', 'alpaca', 'custom_qa', 'prompt_completion', 'kto', 'turn_pairs', 'parallel_turns'):
        _add_roles(rows, cols, d)
    used = set(d.mapping.values())
    other = [c for c in cols if c not in used]
    if other and d.format != 'unknown':
        d.notes.append('columns not used for training: %s' % ', '.join(other))
    d.grpo = grpo_proposal(rows, cols, d)
    return d


def _from_family(family):
    if family is None:
        return None
    d = Detection(family.format, family.task, family.mapping, family.trainable)
    if family.problem:
        d.problems.append(family.problem)
    d.notes.extend(family.notes)
    return d


def _history_column(rows, cols, used):
    """A column of earlier [user, assistant] pairs (LLaMA-Factory's and ms-swift's 'history')."""
    col = _first_named([c for c in cols if c not in used], HISTORY_NAMES)
    if not col:
        return None
    vals = _col_values(rows, col)
    pairs = all(isinstance(v, list) and all(isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
                                             for p in v) for v in vals)
    return col if vals and pairs else None


def _add_roles(rows, cols, d):
    """Map the system prompt and earlier turns beside single-turn or preference rows."""
    used = set(d.mapping.values())
    prompt = d.mapping.get('prompt')
    if d.format in ('preference_explicit', 'kto') and prompt and prompt.lower() in INSTRUCTION_NAMES:
        # LLaMA-Factory's Alpaca-style preference and KTO rows: the prompt is the instruction followed by the input.
        extra = _first_named([c for c in cols if c not in used], INPUT_NAMES)
        if extra and _string_col(rows, extra):
            d.mapping['input'] = extra
    if d.format == 'kto':
        return d  # the KTO row function maps prompt, input, completion and label only
    if 'system' not in d.mapping:
        system = _first_named([c for c in cols if c not in used], SYSTEM_NAMES)
        if system and _string_col(rows, system):
            d.mapping['system'] = system
    if 'messages' not in d.mapping and d.task == 'sft' and d.format not in ('unknown', 'parallel_turns'):
        history = _history_column(rows, cols, used)
        if history:
            d.mapping['history'] = history
    return d


def _detect_preference(rows, cols, low, styles):
    for a, b in PREF_PAIRS:
        if a in low and b in low:
            chosen, rejected = low[a], low[b]
            break
    else:
        return None
    cstyle = styles.get(chosen)
    prompt = None
    for n in PROMPT_NAMES:
        if n in low and low[n] not in (chosen, rejected):
            prompt = low[n]
            break
    d = None
    if cstyle in ('role_content', 'from_value'):
        roles = set()
        for v in _col_values(rows, chosen):
            roles.update(message_roles(v))
        if roles & set(USER_ROLES) or roles & {'system'}:
            d = Detection('preference_implicit', 'dpo', {'chosen': chosen, 'rejected': rejected})
            if prompt:
                d.notes.append("'%s' repeats the prompt already inside '%s'/'%s' (trl extracts it from them)" % (prompt, chosen, rejected))
        elif prompt:
            d = Detection('preference_explicit', 'dpo', {'prompt': prompt, 'chosen': chosen, 'rejected': rejected})
        d = d or Detection('preference_implicit', 'dpo', {'chosen': chosen, 'rejected': rejected})
        d.message_style = cstyle
    elif prompt:
        d = Detection('preference_explicit', 'dpo', {'prompt': prompt, 'chosen': chosen, 'rejected': rejected})
        if cstyle in ('from_value_single', 'role_content_single'):
            d.message_style = 'from_value' if cstyle.startswith('from') else 'role_content'
            d.notes.append("'%s'/'%s' hold single turns: wrap each in a list" % (chosen, rejected))
        elif styles.get(prompt) in ('from_value', 'role_content'):
            d.message_style = styles.get(prompt)
    else:
        d = Detection('preference_implicit', 'dpo', {'chosen': chosen, 'rejected': rejected})
        pairs = [(r.get(chosen), r.get(rejected)) for r in rows
                 if isinstance(r.get(chosen), str) and isinstance(r.get(rejected), str)]
        hh = sum(1 for c, _ in pairs if 'Human:' in c and 'Assistant:' in c)
        shared = sum(1 for c, r in pairs if _common_prefix_len(c, r) >= 8)
        if pairs and hh < len(pairs) / 2 and shared < len(pairs) / 2:
            d.trainable = False
            d.problems.append("'%s' and '%s' share no prompt and there is no prompt column: add a 'prompt' column "
                              "(explicit preference) so the trainer knows what was asked" % (chosen, rejected))
    if (a, b) != ('chosen', 'rejected'):
        d.notes.append("'%s' is taken as the preferred answer and '%s' as the rejected one" % (chosen, rejected))
    if d.message_style == 'from_value':
        d.notes.append('turns use ShareGPT keys from/value: map them to role/content (human→user, gpt→assistant)')
    return d


def _detect_kto(rows, cols, low, styles):
    label = None
    for n in LABEL_NAMES:
        if n in low and _is_bool_label(rows, low[n]):
            label = low[n]
            break
    if not label:
        return None
    msgs = _message_column(cols, low, styles)
    if msgs:
        d = Detection('kto', 'kto', {'messages': msgs, 'label': label})
        d.message_style = styles[msgs]
        return d
    completion = _first_named(cols, COMPLETION_NAMES)
    if not completion:
        return None
    prompt = _first_named([c for c in cols if c != completion], PROMPT_NAMES)
    mapping = {'completion': completion, 'label': label}
    if prompt:
        mapping['prompt'] = prompt
    return Detection('kto', 'kto', mapping)


def _message_column(cols, low, styles):
    candidates = [c for c in cols if styles.get(c) in ('role_content', 'from_value')]
    if not candidates:
        return None
    for n in MESSAGE_COL_PRIORITY:
        if n in low and low[n] in candidates:
            return low[n]
    return candidates[0]


def _input_output_turns(rows, col):
    """xtuner's and Capybara's conversation: [{"system"?, "input", "output"}, ...], one dict per exchange."""
    vals = _col_values(rows, col)
    return bool(vals) and all(isinstance(v, list) and v and all(
        isinstance(x, dict) and 'input' in x and 'output' in x for x in v) for v in vals)


def _detect_conversation(rows, cols, low, styles):
    msgs = _message_column(cols, low, styles)
    if msgs:
        style = styles[msgs]
        fmt = 'messages' if style == 'role_content' else 'sharegpt'
        d = Detection(fmt, 'sft', {'messages': msgs})
        d.message_style = style
        system = _first_named([c for c in cols if c != msgs], SYSTEM_NAMES)
        if system and _string_col(rows, system):
            d.mapping['system'] = system
        tools = _first_named(cols, ('tools', 'functions'))
        if tools:
            d.notes.append("'%s' holds tool definitions: pass them to the chat template (tools=...)" % tools)
        return d
    # Nested conversational layouts trl cannot read directly: the script flattens one dict per exchange.
    for c in cols:
        st = styles.get(c)
        if st == 'turn_pairs' or (c.lower() in MESSAGE_COL_PRIORITY and _input_output_turns(rows, c)):
            keys = set()
            for v in _col_values(rows, c)[:20]:
                for x in v:
                    keys.update(x.keys())
            vals = _col_values(rows, c)
            if vals and all(isinstance(v, list) and v and all(exchange_sides(x) for x in v) for v in vals):
                d = Detection('turn_pairs', 'sft', {'messages': c})
                d.notes.append(
                    "'%s' holds one dict per exchange (keys %s, MOSS/Firefly/xtuner style): the script turns each into "
                    "a user and an assistant message (exchange_messages)" % (c, '/'.join(sorted(keys))))
                return d
            d = Detection('unknown', 'sft', {'messages': c}, False)
            d.problems.append(
                "'%s' is a list of exchanges with keys %s (one dict per user/assistant pair, MOSS/Firefly/xtuner style): "
                "flatten each into messages [{role: user, content: ...}, {role: assistant, content: ...}] before training"
                % (c, '/'.join(sorted(keys))))
            return d
    for c in cols:
        vals = _col_values(rows, c)
        trees = sum(1 for v in vals if is_tree(v))
        if vals and trees == len(vals) and all(isinstance(v.get('replies'), list) and v['replies'] for v in vals):
            d = Detection('message_tree', 'sft', {'messages': c})
            d.notes.append(
                "'%s' holds message trees (OpenAssistant export): each tree trains as one conversation, the best-ranked "
                "reply at each level (rank 0; the first when unranked), deleted and review-failed messages left out; "
                "the other branches are not used (tree_messages)" % c)
            return d
        if vals and trees >= len(vals) / 2:
            d = Detection('unknown', 'sft', {'messages': c}, False)
            d.problems.append(
                "'%s' holds message trees (each node has 'replies'), as in OpenAssistant exports: flatten every "
                "root-to-leaf path into a messages list (prompter→user, assistant→assistant), e.g. keep the "
                "best-ranked reply at each level, or use a flattened set such as OpenAssistant/oasst_top1_2023-08-25" % c)
            return d
    lists = [c for c in cols if styles.get(c) == 'str_list']
    if len(lists) >= 2:
        q = max(lists, key=lambda c: _role_score(c, QUESTION_WORDS))
        a = max([c for c in lists if c != q], key=lambda c: _role_score(c, ANSWER_WORDS))
        if _role_score(q, QUESTION_WORDS) > 0 and _role_score(a, ANSWER_WORDS) > 0:
            d = Detection('parallel_turns', 'sft', {'user': q, 'assistant': a})
            d.notes.append(
                "'%s' and '%s' are parallel lists of turns (multi-turn): the script zips them in order into user and "
                "assistant messages (%s[i] -> user, %s[i] -> assistant)" % (q, a, q, a))
            uneven = [i for i, r in enumerate(rows) if isinstance(r.get(q), list) and isinstance(r.get(a), list)
                      and len(r[q]) != len(r[a])]
            if uneven:
                d.notes.append(
                    "%d of the first %d rows have more turns in one list than in the other: a user turn without an answer "
                    "(the last, say) is not trained" % (len(uneven), len(rows)))
            return d
    return None


def _detect_alpaca(rows, cols, low, styles):
    instr = _first_named(cols, INSTRUCTION_NAMES)
    if not instr:
        return None
    rest = [c for c in cols if c != instr]
    outputs = [c for c in rest if c.lower() in OUTPUT_NAMES and _string_col(rows, c)]
    if not outputs:
        nested = [c for c in rest if styles.get(c) is None and any(
            isinstance(v, list) and v and isinstance(v[0], dict) and
            set(k.lower() for k in v[0].keys()) & set(OUTPUT_NAMES) for v in _col_values(rows, c))]
        if nested:
            c = nested[0]
            d = Detection('unknown', 'sft', {'user': instr, 'assistant': c}, False)
            d.problems.append(
                "'%s' is a nested list of {input, output} examples for each '%s': explode it into one row per "
                "example (instruction + input → output) to get Alpaca rows" % (c, instr))
            return d
        return None
    output = _pick_duplicate_aware(rows, outputs, OUTPUT_NAMES)
    d = Detection('alpaca', 'sft', {'user': instr, 'assistant': output})
    inp = _first_named([c for c in rest if c not in outputs], INPUT_NAMES)
    if inp:
        d.mapping['input'] = inp
    system = _first_named(rest, SYSTEM_NAMES)
    if system:
        d.mapping['system'] = system
    _note_duplicates(rows, d, output, outputs)
    if 'text' in low and low['text'] not in d.mapping.values():
        d.notes.append("'%s' holds the same example already rendered with a prompt template; it is not needed" % low['text'])
    return d


def _pick_duplicate_aware(rows, candidates, order):
    low = _lower_map(candidates)
    for n in order:
        if n in low:
            return low[n]
    return candidates[0]


def _note_duplicates(rows, d, chosen, candidates):
    for c in candidates:
        if c == chosen:
            continue
        same = sum(1 for r in rows if r.get(c) == r.get(chosen))
        if same == len(rows):
            d.problems.append("duplicated columns: '%s' repeats '%s' in every row; '%s' is used and '%s' can be dropped"
                              % (c, chosen, chosen, c))
        else:
            d.notes.append("'%s' is another answer column; '%s' is used" % (c, chosen))


def _detect_prompt_completion(rows, cols, low, styles):
    if 'prompt' not in low:
        return None
    prompt = low['prompt']
    comp = _first_named([c for c in cols if c != prompt], COMPLETION_NAMES)
    if not comp or not _string_col(rows, comp):
        return None
    pstyle = styles.get(prompt)
    d = Detection('prompt_completion', 'sft', {'prompt': prompt, 'completion': comp})
    if pstyle in ('role_content', 'from_value'):
        d.message_style = pstyle
    return d


def _detect_custom_qa(rows, cols, low, styles):
    strings = [c for c in cols if _string_col(rows, c)]
    if len(strings) < 2:
        return None
    q_scores = sorted(((_role_score(c, QUESTION_WORDS), c) for c in strings), reverse=True)
    best_q = [c for s, c in q_scores if s > 0]
    if not best_q:
        return None
    q = best_q[0]
    a_scores = sorted(((_role_score(c, ANSWER_WORDS), c) for c in strings if c != q), reverse=True)
    best_a = [c for s, c in a_scores if s > 0]
    if not best_a:
        return None
    a = best_a[0]
    d = Detection('custom_qa', 'sft', {'user': q, 'assistant': a})
    system = _first_named([c for c in strings if c not in (q, a)], SYSTEM_NAMES)
    if system:
        d.mapping['system'] = system
    return d


def _detect_text(rows, cols, low, styles):
    text = _first_named(cols, TEXT_NAMES)
    if text and _string_col(rows, text):
        return Detection('text', 'sft', {'text': text})
    strings = [c for c in cols if _string_col(rows, c)]
    if len(strings) == 1:
        avg = sum(len(v) for v in _col_values(rows, strings[0])) / float(max(1, len(_col_values(rows, strings[0]))))
        if avg >= 200:
            return Detection('text', 'sft', {'text': strings[0]})
    return None


def _explain_unknown(rows, cols, low, styles):
    d = Detection('unknown', None, {}, False)
    lists = [c for c in cols if styles.get(c) == 'str_list']
    strings = [c for c in cols if _string_col(rows, c)]
    qs = [c for c in strings + lists if _role_score(c, QUESTION_WORDS) > 0 or c.lower() in ('turns', 'prompts')]
    if qs:
        d.mapping = {'prompt': qs[0]}
        d.problems.append(
            "no answer column: '%s' holds only prompts (e.g. an evaluation set). Supervised fine-tuning needs an "
            "answer for each prompt; use it for evaluation or online RL (GRPO), or add the answers" % qs[0])
    else:
        nested = [c for c in cols if styles.get(c) is None and any(
            isinstance(v, dict) and any(_role_score(k, QUESTION_WORDS) > 0 or _role_score(k, ANSWER_WORDS) > 0 for k in v)
            for v in _col_values(rows, c)[:20])]
        if nested:
            c = nested[0]
            keys = set()
            for v in _col_values(rows, c)[:20]:
                if isinstance(v, dict):
                    keys.update(v.keys())
            d.problems.append(
                "the fields are nested inside '%s' (keys: %s): flatten them into top-level columns first, e.g. "
                "dataset.flatten() gives '%s.<key>' columns, then rename them" % (c, ', '.join(sorted(keys)), c))
            return d
        d.problems.append(
            "could not tell which column is the prompt and which the answer (columns: %s). Rename them to "
            "trl's names: 'messages', 'text', 'prompt'/'completion', or 'prompt'/'chosen'/'rejected'"
            % ', '.join(cols))
    return d

