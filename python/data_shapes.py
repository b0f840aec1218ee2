"""Shapes of values and the vocabularies of column names, for detecting a data set's format."""
import re

ROLE_KEYS = ('role', 'from', 'speaker', 'author')
CONTENT_KEYS = ('content', 'value', 'text', 'message')
USER_ROLES = ('user', 'human', 'prompter', 'usr', 'question', 'patient', '用户', 'customer')
ASSISTANT_ROLES = ('assistant', 'gpt', 'bot', 'model', 'chatgpt', 'ai', 'doctor', 'answer', 'function_call', 'tool_call', '助手')


def type_name(v):
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, int):
        return 'int'
    if isinstance(v, float):
        return 'float'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, list):
        inner = set(type_name(x) for x in v[:20])
        if len(inner) == 1:
            return 'list<%s>' % inner.pop()
        return 'list' if not inner else 'list<mixed>'
    if isinstance(v, dict):
        return 'object'
    return type(v).__name__


def message_style(v):
    """Return the conversational layout of a value, or None.

    'role_content': [{role, content}, ...]  (OpenAI / trl messages)
    'from_value':   [{from, value}, ...]    (ShareGPT)
    'turn_pairs':   [{human, assistant}, ...] (Firefly/MOSS, one dict per exchange)
    'str_list':     ["...", "..."]
    """
    if isinstance(v, dict):
        if 'from' in v and 'value' in v:
            return 'from_value_single'
        if 'role' in v and ('content' in v or 'tool_calls' in v):
            return 'role_content_single'
        return None
    if not isinstance(v, list) or not v:
        return None
    if all(isinstance(x, str) for x in v):
        return 'str_list'
    if not all(isinstance(x, dict) for x in v):
        return None
    keys = set()
    for x in v:
        keys.update(x.keys())
    if 'role' in keys and ('content' in keys or 'tool_calls' in keys):
        return 'role_content'
    if 'from' in keys and 'value' in keys:
        return 'from_value'
    lowered = set(k.lower() for k in keys)
    if lowered & set(USER_ROLES) and lowered & set(ASSISTANT_ROLES):
        return 'turn_pairs'
    if 'replies' in keys:
        return 'tree'
    return None


def message_roles(v):
    out = []
    if isinstance(v, list):
        for m in v:
            if isinstance(m, dict):
                r = m.get('role', m.get('from'))
                out.append(str(r).lower() if r is not None else '')
    elif isinstance(v, dict):
        r = v.get('role', v.get('from'))
        out.append(str(r).lower() if r is not None else '')
    return out


def exchange_sides(x):
    """The (user key, assistant key) of one exchange dict, by the lists above (case-insensitive); None when it lacks one."""
    if not isinstance(x, dict):
        return None
    low = dict((str(k).lower(), k) for k in x)
    user = next((low[k] for k in EXCHANGE_USER_KEYS if k in low), None)
    assistant = next((low[k] for k in EXCHANGE_ASSISTANT_KEYS if k in low), None)
    return (user, assistant) if user is not None and assistant is not None else None


def best_path(node):
    """The texts of a message tree's best-ranked path (rank 0, else the first reply), as the script's tree_messages() walks it."""
    texts = []
    while isinstance(node, dict):
        texts.append(str(node.get('text', node.get('content', ''))))
        replies = [r for r in node.get('replies') or [] if isinstance(r, dict) and not r.get('deleted')
                   and r.get('review_result') is not False]
        node = min(replies, key=lambda r: r['rank'] if isinstance(r.get('rank'), (int, float)) else float('inf')) \
            if replies else None
    return texts


def is_tree(v):
    return isinstance(v, dict) and 'replies' in v and isinstance(v.get('replies'), list) and \
        any(k in v for k in ('text', 'content'))


PREF_PAIRS = [('chosen', 'rejected'), ('response_j', 'response_k'), ('preferred', 'dispreferred'),
              ('chosen_response', 'rejected_response'), ('better', 'worse'), ('winner', 'loser'),
              ('accepted', 'rejected'), ('positive', 'negative'), ('good', 'bad'),
              ('preferred_output', 'non_preferred_output'), ('pos', 'neg'),
              ('response', 'rejected_response')]  # the last: ms-swift's RLHF rows (query/response/rejected_response)
PROMPT_NAMES = ('prompt', 'question', 'instruction', 'query', 'input', 'conversations', 'messages',
                'history', 'context', 'problem', 'conversation', 'chat')
INSTRUCTION_NAMES = ('instruction', 'instructions', 'instruct', '指令')
INPUT_NAMES = ('input', 'context', 'inputs', 'input_text', '输入', 'instances_input')
OUTPUT_NAMES = ('output', 'response', 'answer', 'completion', 'outputs', 'target', '输出', '回答')
SYSTEM_NAMES = ('system', 'system_prompt', 'system_message', 'sys_prompt', 'systemprompt', '系统')
TEXT_NAMES = ('text', 'content', 'document', 'body', 'raw_text', 'passage', 'article')
LABEL_NAMES = ('label', 'labels', 'kto_label', 'kto_tag', 'is_desirable', 'desirable', 'thumbs_up', 'good')
COMPLETION_NAMES = ('completion', 'response', 'output', 'answer')
HISTORY_NAMES = ('history', 'chat_history')  # LLaMA-Factory / ms-swift: earlier [user, assistant] pairs
MESSAGE_COL_PRIORITY = ('messages', 'conversations', 'conversation', 'chat', 'dialog', 'dialogue', 'turns')
# One dict per exchange (Firefly/MOSS {"human", "assistant"}, xtuner/Capybara {"system"?, "input", "output"}): the keys
# of its user and assistant side, in priority order. The generated script's exchange_messages() uses the same
# lists (src/core/recipes/templates/mapping.ts; a test keeps them equal).
EXCHANGE_USER_KEYS = ('human', 'user', 'input', 'prompter', 'question', 'instruction', 'query', 'prompt', 'patient',
                      'customer', 'usr', '用户')
EXCHANGE_ASSISTANT_KEYS = ('assistant', 'gpt', 'output', 'bot', 'model', 'chatgpt', 'ai', 'answer', 'response',
                           'completion', 'doctor', '助手')

# Words that make a column look like the user side or the answer side.
QUESTION_WORDS = ('question', 'query', 'prompt', 'input', 'patient', 'case', 'problem', 'ask', 'user',
                  'human', 'instruction', 'request', 'source', 'src', 'title', 'post', 'utterance',
                  'symptom', 'description', 'q',
                  '问题', '问', '提问', '输入', '病情', '患者', '用户', '题目', '咨询', '症状', 'pregunta', 'frage')
ANSWER_WORDS = ('answer', 'response', 'output', 'reply', 'doctor', 'diagnosis', 'solution', 'assistant',
                'gpt', 'bot', 'target', 'completion', 'tgt', 'advice', 'explanation', 'summary', 'a',
                '回答', '答案', '答', '输出', '回复', '医生', '诊断', '建议', '解答', 'respuesta', 'antwort')
# Prefixes/suffixes that mark a derived or alternative column rather than the main one.
DERIVED_MARKERS = ('original', 'orig', 'pred', 'inv', 'cleaned', 'raw', 'old', 'id', 'score', 'type',
                   'category', 'source_', 'lang', 'len', 'num', 'meta')


def _tokens(name):
    return [t for t in re.split(r'[^0-9A-Za-z\u0080-\uffff]+|(?<=[a-z])(?=[A-Z])', name) if t]


def _lower_map(columns):
    return dict((c.lower(), c) for c in columns)


def _first_named(columns, names):
    low = _lower_map(columns)
    for n in names:
        if n in low:
            return low[n]
    return None


def _role_score(name, words):
    """How much a column name looks like a question (or answer) column; 0 = not at all."""
    low = name.lower()
    toks = [t.lower() for t in _tokens(name)]
    score = 0
    if low in words:
        score = 10
    else:
        for w in words:
            if len(w) <= 1:
                continue  # single letters only count as the whole name ("q", "a")
            if w in toks:
                score = max(score, 6)
            elif not w.isascii() and w in name:
                score = max(score, 6)
            elif len(w) >= 4 and w in low:
                score = max(score, 3)
    if score:
        if any(t in DERIVED_MARKERS for t in toks):
            score -= 4
        score -= 0.01 * len(name)  # shorter, plainer names win ties
    return score

