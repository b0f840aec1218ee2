#!/usr/bin/env python3
"""Inspect a training data set and say how trl should read it.

Usage: python3 inspect_data.py <path-or-hub-id> [--max-length N] [--sample N]

Prints one JSON object (see DatasetInspection in src/core/python/types.ts):
  path, rows, columns [{name, type, nonNull}], samples, format, task, mapping,
  trainable, problems, notes.
On failure prints {"error": "..."} and exits 1; never a traceback.

Standard library only. JSONL is streamed line by line (constant memory, any
size; a row over 64 MB or nested over 100 levels is reported and skipped, see
data_files.py); JSON arrays are loaded whole up to MAX_JSON_BYTES; CSV/TSV are streamed;
Parquet needs pyarrow and Hub ids need datasets, both imported lazily.
Python 3.9 compatible.
"""
import codecs
import csv
import gzip
import hashlib
import io
import json
import os
import re
import shlex
import sys

from data_files import (MAX_DEPTH, MAX_ROW_BYTES, Utf8Reader, bounded_lines, deeper_than, jsonl_holding_one_array,
                        may_be_deep, not_a_data_file, size_mb, utf16_encoding)

MAX_JSON_BYTES = 512 * 1024 * 1024
DETECT_ROWS = 500          # rows buffered to detect the format
MAX_DUP_HASHES = 500000    # duplicate detection covers this many rows
MAX_LINE_REPORTS = 5       # line numbers listed per problem
STRING_CUT = 300
HUB_MAX_ROWS = 5000     # a Hub set is inspected from its first rows only
DEFAULT_MAX_LENGTH = 1024  # trl SFTConfig.max_length default
WRAPPER_KEYS = ('data', 'train', 'rows', 'examples', 'records', 'items', 'dataset', 'samples', 'instances')
DATA_EXTS = ('.jsonl', '.json', '.csv', '.tsv', '.parquet', '.jsonl.gz', '.json.gz', '.csv.gz', '.ndjson', '.txt')


class InspectError(Exception):
    """An error the user can act on; printed as {"error": message}."""


# --------------------------------------------------------------------------
# Reading: every reader yields (line_number, row_dict) and reports problems.
# --------------------------------------------------------------------------

class Source(object):
    def __init__(self):
        self.invalid_json = []        # line numbers
        self.invalid_json_count = 0
        self.non_object = []
        self.non_object_count = 0
        self.bad_utf8 = []
        self.bad_utf8_count = 0
        self.truncated_last_line = None
        self.too_large = []           # (line number, size in bytes) of rows skipped for their size
        self.too_large_count = 0
        self.too_deep = []            # line numbers of rows skipped for their nesting
        self.too_deep_count = 0
        self.encoding = None          # 'utf-16…' when the file is UTF-16 text (read, but loaders need UTF-8)
        self.json_field = None        # top-level key holding the rows of a wrapped JSON document
        self.hub_sampled = False      # a Hub set read from its first rows only
        self.total_rows = None        # known size when only part was read (Hub)
        self.problems = []
        self.notes = []


def _open_binary(path, encoding=None):
    f = gzip.open(path, 'rb') if path.endswith('.gz') else open(path, 'rb')
    # UTF-16 text is read as the UTF-8 it would be once converted (its problem says so).
    return Utf8Reader(f, encoding) if encoding else f


def _note_too_deep(src, lineno):
    src.too_deep_count += 1
    if len(src.too_deep) < MAX_LINE_REPORTS:
        src.too_deep.append(lineno)


def _sniff(path):
    with _open_binary(path) as f:
        try:
            return f.read(8192)
        except (OSError, EOFError) as e:
            raise InspectError("Cannot read '%s': %s" % (path, e))


def _decode_line(raw, lineno, src):
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        src.bad_utf8_count += 1
        if len(src.bad_utf8) < MAX_LINE_REPORTS:
            src.bad_utf8.append(lineno)
        return raw.decode('utf-8', 'replace')


def iter_jsonl(path, src):
    """Stream a JSON Lines file; bad lines are recorded, not fatal. A line is read up to
    MAX_ROW_BYTES: a longer one is skipped without being held (one 2 GB line took 2 GB)."""
    with _open_binary(path, src.encoding) as f:
        lineno = 0
        pending = None
        for raw, size in bounded_lines(f):
            lineno += 1
            if pending is not None:
                yield pending
                pending = None
            if raw is None:
                src.too_large_count += 1
                if len(src.too_large) < MAX_LINE_REPORTS:
                    src.too_large.append((lineno, size))
                continue
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            stripped = raw.strip()
            if not stripped:
                continue
            text = _decode_line(stripped, lineno, src)
            try:
                obj = json.loads(text)
            except RecursionError:
                _note_too_deep(src, lineno)
                continue
            except ValueError:
                if not raw.endswith(b'\n'):
                    src.truncated_last_line = lineno
                else:
                    src.invalid_json_count += 1
                    if len(src.invalid_json) < MAX_LINE_REPORTS:
                        src.invalid_json.append(lineno)
                continue
            if not isinstance(obj, dict):
                src.non_object_count += 1
                if len(src.non_object) < MAX_LINE_REPORTS:
                    src.non_object.append(lineno)
                continue
            pending = (lineno, obj, stripped)
        if pending is not None:
            yield pending


def iter_json_document(path, src):
    size = os.path.getsize(path)
    if size > MAX_JSON_BYTES and not path.endswith('.gz'):
        raise InspectError(
            "'%s' is a single JSON document of %.1f GB; it would have to be loaded whole. "
            "Convert it to JSON Lines (one object per line), e.g. "
            "python3 -c \"import json,sys; [print(json.dumps(r, ensure_ascii=False)) for r in json.load(open(sys.argv[1]))]\" in.json > out.jsonl"
            % (path, size / 1e9))
    with _open_binary(path, src.encoding) as f:
        raw = f.read()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    text = _decode_line(raw, 1, src)
    try:
        doc = json.loads(text)
    except RecursionError:
        raise InspectError("'%s' nests lists or objects more deeply than Python can read (over %d levels): "
                           "a data set's rows nest a few levels; check how the file was produced" % (path, MAX_DEPTH))
    except ValueError as e:
        raise InspectError("'%s' is not valid JSON (%s). Fix the file or save it as JSON Lines." % (path, e))
    rows = doc
    if isinstance(doc, dict):
        lists = [(k, v) for k, v in doc.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(lists) == 1 and lists[0][0].lower() in WRAPPER_KEYS:
            src.notes.append("rows read from the top-level key '%s' of the JSON object" % lists[0][0])
            src.json_field = lists[0][0]
            rows = lists[0][1]
        else:
            rows = [doc]
    if not isinstance(rows, list):
        raise InspectError("'%s' holds a JSON %s, not a list of rows. Save one object per row (JSON Lines)."
                           % (path, type(rows).__name__))
    for i, obj in enumerate(rows):
        if not isinstance(obj, dict):
            src.non_object_count += 1
            if len(src.non_object) < MAX_LINE_REPORTS:
                src.non_object.append(i + 1)
            continue
        yield (i + 1, obj, None)


def iter_csv(path, src, delimiter):
    if path.endswith('.gz'):
        binf = gzip.open(path, 'rb')
    else:
        binf = open(path, 'rb')
    with binf:
        text = io.TextIOWrapper(binf, encoding=src.encoding or 'utf-8', errors='replace', newline='')
        csv.field_size_limit(min(sys.maxsize, 2 ** 31 - 1))
        reader = csv.DictReader(text, delimiter=delimiter)
        for i, row in enumerate(reader):
            if None in row:
                src.non_object_count += 1
                if len(src.non_object) < MAX_LINE_REPORTS:
                    src.non_object.append(reader.line_num)
                row.pop(None)
            yield (reader.line_num, dict(row), None)


def iter_parquet(path, src):
    try:
        import pyarrow.parquet as pq  # noqa: lazy heavy import
    except ImportError:
        raise InspectError("Reading Parquet needs the 'pyarrow' package: install it in %s (pip install pyarrow)."
                           % sys.executable)
    pf = pq.ParquetFile(path)
    n = 0
    for batch in pf.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            n += 1
            yield (n, row, None)


def iter_hub(name, src):
    m = re.match(r'^([\w.-]+/[\w.-]+)(?::([\w.-]+))?(?:@([\w.-]+))?$', name)
    if not m:
        raise InspectError("'%s' is neither a file nor a Hugging Face Hub dataset id (owner/name)." % name)
    try:
        import datasets  # noqa: lazy heavy import
    except ImportError:
        raise InspectError(
            "'%s' is not a local file. To inspect a Hugging Face Hub dataset install the 'datasets' package "
            "in %s (pip install datasets), or download a data file and pass its path." % (name, sys.executable))
    repo, config, split = m.group(1), m.group(2), m.group(3) or 'train'
    try:
        ds = datasets.load_dataset(repo, config, split=split, streaming=True)
    except Exception as e:  # the datasets library raises many types
        raise InspectError("Could not load '%s' from the Hub: %s. Check the id, the config (id:config), "
                           "the split (id@split) and HF_TOKEN for gated sets." % (name, str(e).splitlines()[0] if str(e) else e))
    total = None
    try:
        total = ds.info.splits[split].num_examples
    except Exception:  # info is often missing for streamed sets
        total = None
    src.notes.append("streamed the first %d rows of split '%s' from the Hugging Face Hub%s"
                     % (HUB_MAX_ROWS, split, '' if total is None else ' (%d rows in all)' % total))
    src.total_rows = total
    src.hub_sampled = True
    n = 0
    for row in ds:
        n += 1
        if n > HUB_MAX_ROWS:
            break
        yield (n, dict(row), None)


def open_rows(path, src):
    """Pick a reader from the path; returns an iterator of (line, row)."""
    refused = not_a_data_file(path)
    if refused:
        raise InspectError(refused)
    if not os.path.exists(path):
        if re.match(r'^[\w-][\w.-]*/[\w.-]+(:[\w.-]+)?(@[\w.-]+)?$', path) and not path.lower().endswith(DATA_EXTS):
            return iter_hub(path, src)
        raise InspectError("File not found: '%s'. Check the path (relative paths start from the workspace folder)." % path)
    if os.path.isdir(path):
        files = []
        for root, _dirs, names in os.walk(path):
            for n in sorted(names):
                if n.lower().endswith(DATA_EXTS):
                    files.append(os.path.join(root, n))
        if not files:
            raise InspectError("The folder '%s' holds no .jsonl/.json/.csv/.parquet file. Pass a data file." % path)
        files.sort()
        src.notes.append("inspected '%s', the first of %d data files in the folder" % (os.path.relpath(files[0], path), len(files)))
        return open_rows(files[0], src)
    if os.path.getsize(path) == 0:
        return None
    head = _sniff(path)
    if not head.strip():
        return None
    lower = path.lower()
    if head.startswith(b'PAR1') or lower.endswith('.parquet'):
        return iter_parquet(path, src)
    src.encoding = utf16_encoding(head)
    if src.encoding:
        head = head.decode(src.encoding, 'replace').encode('utf-8')
    elif _looks_binary(head):
        src.problems.append("binary file: '%s' is not text (NUL bytes or control characters); expected JSON Lines, JSON, CSV or Parquet" % os.path.basename(path))
        return None
    base = lower[:-3] if lower.endswith('.gz') else lower
    if base.endswith('.csv'):
        return iter_csv(path, src, ',')
    if base.endswith('.tsv'):
        return iter_csv(path, src, '\t')
    first = head.lstrip(codecs.BOM_UTF8).lstrip()[:1]
    if first == b'[' and base.endswith(('.jsonl', '.ndjson')):
        # datasets' json loader reads a file that holds one array as that array, whatever its name;
        # so is it read here. A .jsonl whose first row happens to be a list is JSON Lines (that row is reported).
        with _open_binary(path, src.encoding) as f:
            if jsonl_holding_one_array(f):
                src.notes.append("'%s' holds one JSON array, not JSON Lines (one object per line): its rows were read "
                                 "from the array, as the datasets json loader reads it; rename it to .json to say so"
                                 % os.path.basename(path))
                return iter_json_document(path, src)
        return iter_jsonl(path, src)
    if first == b'[':
        return iter_json_document(path, src)
    if first == b'{' and base.endswith('.json') and _is_single_document(path, src):
        return iter_json_document(path, src)
    return iter_jsonl(path, src)


def _looks_binary(head):
    if b'\x00' in head:
        return True
    ctrl = sum(1 for b in bytearray(head) if b < 32 and b not in (9, 10, 13, 12))
    return len(head) > 0 and ctrl / float(len(head)) > 0.1


def _is_single_document(path, src):
    """A .json starting with '{': one object (maybe pretty-printed) or JSON Lines?"""
    with _open_binary(path, src.encoding) as f:
        first = f.readline(MAX_ROW_BYTES + 1)
        second = f.readline(MAX_ROW_BYTES + 1)
    try:
        obj = json.loads(first.decode('utf-8', 'replace'))
    except (ValueError, RecursionError):
        return True
    # One line holding {"data": [...]} is a wrapped document, not a one-row JSONL.
    return not second.strip() and isinstance(obj, dict) and any(
        k.lower() in WRAPPER_KEYS and isinstance(v, list) for k, v in obj.items())


# --------------------------------------------------------------------------
# Shapes of values
# --------------------------------------------------------------------------

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


def is_tree(v):
    return isinstance(v, dict) and 'replies' in v and isinstance(v.get('replies'), list) and \
        any(k in v for k in ('text', 'content'))


# --------------------------------------------------------------------------
# Column name vocabularies
# --------------------------------------------------------------------------

PREF_PAIRS = [('chosen', 'rejected'), ('response_j', 'response_k'), ('preferred', 'dispreferred'),
              ('chosen_response', 'rejected_response'), ('better', 'worse'), ('winner', 'loser'),
              ('accepted', 'rejected'), ('positive', 'negative'), ('good', 'bad'),
              ('preferred_output', 'non_preferred_output'), ('pos', 'neg')]
PROMPT_NAMES = ('prompt', 'question', 'instruction', 'query', 'input', 'conversations', 'messages',
                'history', 'context', 'problem', 'conversation', 'chat')
INSTRUCTION_NAMES = ('instruction', 'instructions', 'instruct', '指令')
INPUT_NAMES = ('input', 'context', 'inputs', 'input_text', '输入', 'instances_input')
OUTPUT_NAMES = ('output', 'response', 'answer', 'completion', 'outputs', 'target', '输出', '回答')
SYSTEM_NAMES = ('system', 'system_prompt', 'system_message', 'sys_prompt', 'systemprompt', '系统')
TEXT_NAMES = ('text', 'content', 'document', 'body', 'raw_text', 'passage', 'article')
LABEL_NAMES = ('label', 'labels', 'kto_label', 'is_desirable', 'desirable', 'thumbs_up', 'good')
COMPLETION_NAMES = ('completion', 'response', 'output', 'answer')
MESSAGE_COL_PRIORITY = ('messages', 'conversations', 'conversation', 'chat', 'dialog', 'dialogue', 'turns')

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


# --------------------------------------------------------------------------
# Format detection on the buffered rows
# --------------------------------------------------------------------------

class Detection(object):
    def __init__(self, fmt, task, mapping, trainable=True):
        self.format = fmt
        self.task = task
        self.mapping = mapping
        self.trainable = trainable
        self.problems = []
        self.notes = []
        self.message_style = None  # 'role_content' | 'from_value' for conversational columns


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
    used = set(d.mapping.values())
    other = [c for c in cols if c not in used]
    if other and d.format != 'unknown':
        d.notes.append('columns not used for training: %s' % ', '.join(other))
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
    # Nested conversational layouts trl cannot read directly.
    for c in cols:
        st = styles.get(c)
        if st == 'turn_pairs':
            d = Detection('unknown', 'sft', {'messages': c}, False)
            keys = set()
            for v in _col_values(rows, c)[:20]:
                for x in v:
                    keys.update(x.keys())
            d.problems.append(
                "'%s' is a list of exchanges with keys %s (one dict per user/assistant pair, MOSS/Firefly style): "
                "flatten each into messages [{role: user, content: ...}, {role: assistant, content: ...}] before training"
                % (c, '/'.join(sorted(keys))))
            return d
    for c in cols:
        vals = _col_values(rows, c)
        if vals and sum(1 for v in vals if is_tree(v)) >= len(vals) / 2:
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
            d = Detection('unknown', 'sft', {'user': q, 'assistant': a}, False)
            d.problems.append(
                "'%s' and '%s' are parallel lists of turns (multi-turn): zip them into messages "
                "[{role: user, content: %s[i]}, {role: assistant, content: %s[i]}, ...] before training" % (q, a, q, a))
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


# --------------------------------------------------------------------------
# Per-row checks (run on every row while streaming)
# --------------------------------------------------------------------------

class RowChecks(object):
    def __init__(self, det, max_length):
        self.det = det
        self.max_length = max_length
        self.no_assistant = []
        self.no_assistant_count = 0
        self.empty_answer = []
        self.empty_answer_count = 0
        self.too_long_count = 0
        self.prompt_too_long_count = 0
        self.longest = (0, None)
        self.seen = set()
        self.dup_count = 0
        self.dup_first = []
        self.dup_capped = False
        self.eot_count = 0

    def check(self, n, row, raw_key):
        det = self.det
        m = det.mapping
        # duplicates
        if len(self.seen) < MAX_DUP_HASHES:
            h = hashlib.blake2b(raw_key, digest_size=8).digest()
            if h in self.seen:
                self.dup_count += 1
                if len(self.dup_first) < MAX_LINE_REPORTS:
                    self.dup_first.append(n)
            else:
                self.seen.add(h)
        else:
            self.dup_capped = True
        if det.format == 'unknown':
            return
        chars = 0
        for key, col in m.items():
            if key in ('label', 'chosen', 'rejected'):
                continue
            chars += _text_len(row.get(col))
        # A preference row is trained as two sequences, prompt + chosen and prompt + rejected: the longer counts.
        if 'chosen' in m or 'rejected' in m:
            chars += max(_text_len(row.get(m.get('chosen'))), _text_len(row.get(m.get('rejected'))))
        tokens = chars // 4
        # trl (DPO/KTO) drops a row whose prompt alone fills max_length: nothing of the answer would remain.
        if 'prompt' in m and det.task in ('dpo', 'kto') and _text_len(row.get(m['prompt'])) // 4 >= self.max_length:
            self.prompt_too_long_count += 1
        if tokens > self.longest[0]:
            self.longest = (tokens, n)
        if tokens > self.max_length:
            self.too_long_count += 1
        if det.format in ('messages', 'sharegpt') or (det.format == 'kto' and 'messages' in m):
            msgs = row.get(m['messages'])
            roles = message_roles(msgs)
            if not any(r in ASSISTANT_ROLES for r in roles):
                self.no_assistant_count += 1
                if len(self.no_assistant) < MAX_LINE_REPORTS:
                    self.no_assistant.append(n)
            elif isinstance(msgs, list):
                for msg in msgs:
                    if isinstance(msg, dict) and str(msg.get('role', msg.get('from', ''))).lower() in ASSISTANT_ROLES:
                        body = msg.get('content', msg.get('value'))
                        if _is_empty(body) and not msg.get('tool_calls') and not msg.get('function_call'):
                            self._empty(n)
                            break
        else:
            for key in ('assistant', 'completion', 'chosen', 'rejected'):
                if key in m:
                    v = row.get(m[key])
                    if _is_empty(v):
                        self._empty(n)
                        break
            comp = row.get(m.get('completion', m.get('assistant', '')))
            if isinstance(comp, str) and comp.rstrip().endswith(('<|endoftext|>', '</s>', '<|im_end|>', '<|eot_id|>')):
                self.eot_count += 1

    def _empty(self, n):
        self.empty_answer_count += 1
        if len(self.empty_answer) < MAX_LINE_REPORTS:
            self.empty_answer.append(n)

    def problems(self, rows):
        out = []
        if self.no_assistant_count:
            out.append('%d row(s) without an assistant turn (rows %s): they teach nothing; drop them'
                       % (self.no_assistant_count, _lines(self.no_assistant, self.no_assistant_count)))
        if self.empty_answer_count:
            out.append('%d row(s) with an empty answer (rows %s): drop or fill them'
                       % (self.empty_answer_count, _lines(self.empty_answer, self.empty_answer_count)))
        if self.dup_count:
            out.append('%d duplicate row(s) (first at rows %s): deduplicate to avoid over-weighting them%s'
                       % (self.dup_count, _lines(self.dup_first, self.dup_count),
                          ' (checked the first %d rows only)' % MAX_DUP_HASHES if self.dup_capped else ''))
        if self.too_long_count:
            out.append('%d of %d row(s) are longer than --max-length %d tokens (approx. chars/4; longest ~%d at row %s): '
                       'they will be truncated; raise max_length or filter them'
                       % (self.too_long_count, rows, self.max_length, self.longest[0], self.longest[1]))
        if self.prompt_too_long_count:
            out.append('%d row(s) have a prompt alone longer than --max-length %d tokens (approx.): trl drops them from '
                       'training ("Dropping fully truncated examples"); raise max_length or shorten those prompts'
                       % (self.prompt_too_long_count, self.max_length))
        if self.eot_count:
            out.append('%d answer(s) end with a literal end-of-text token (e.g. <|endoftext|>): remove it; '
                       'the tokenizer adds its own EOS token' % self.eot_count)
        return out


def _text_len(v):
    if v is None:
        return 0
    if isinstance(v, str):
        return len(v)
    if isinstance(v, (list, tuple)):
        return sum(_text_len(x) for x in v)
    if isinstance(v, dict):
        return sum(_text_len(x) for x in v.values())
    return len(str(v))


def _is_empty(v):
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, (list, dict)):
        return len(v) == 0
    return False


def _lines(first, count):
    s = ', '.join(str(x) for x in first)
    if count > len(first):
        s += ', …'
    return s


# --------------------------------------------------------------------------
# Columns, samples, driver
# --------------------------------------------------------------------------

class ColumnStats(object):
    def __init__(self):
        self.order = []
        self.types = {}
        self.non_null = {}
        self.keysets = {}
        self.keysets_capped = False

    def add(self, row):
        for k, v in row.items():
            if k not in self.types:
                self.order.append(k)
                self.types[k] = []
                self.non_null[k] = 0
            t = type_name(v)
            if v is not None:
                self.non_null[k] += 1
                if t not in self.types[k] and len(self.types[k]) < 5:
                    self.types[k].append(t)
        ks = tuple(sorted(row.keys()))
        if ks in self.keysets:
            self.keysets[ks] += 1
        elif len(self.keysets) < 100:
            self.keysets[ks] = 1
        else:
            self.keysets_capped = True

    def columns(self):
        out = []
        for k in self.order:
            types = self.types[k] or ['null']
            out.append({'name': k, 'type': '|'.join(types), 'nonNull': self.non_null[k]})
        return out

    def key_problem(self, rows):
        if len(self.keysets) <= 1:
            return None
        counts = dict((k, 0) for k in self.order)
        for ks, n in self.keysets.items():
            for k in ks:
                counts[k] += n
        partial = ['%s (%d of %d rows)' % (k, counts[k], rows) for k in self.order if counts[k] < rows]
        return ('inconsistent keys across rows: %d different key sets; not in every row: %s. '
                'Missing keys become null when loaded with datasets' % (len(self.keysets), ', '.join(partial)))


def truncate(v, depth=0):
    if isinstance(v, str):
        return v if len(v) <= STRING_CUT else v[:STRING_CUT] + '…'
    if isinstance(v, list):
        out = [truncate(x, depth + 1) for x in v[:20]]
        if len(v) > 20:
            out.append('… %d more' % (len(v) - 20))
        return out
    if isinstance(v, dict):
        if depth > 6:
            return '{…}'
        return dict((k, truncate(x, depth + 1)) for k, x in v.items())
    if isinstance(v, (int, float, bool)) or v is None:
        return v
    return truncate(str(v), depth)


def _row_key(row):
    try:
        return json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode('utf-8', 'replace')
    except (TypeError, ValueError):
        return repr(row).encode('utf-8', 'replace')


def inspect(path, max_length=DEFAULT_MAX_LENGTH, sample=3):
    src = Source()
    rows_iter = open_rows(path, src)
    stats = ColumnStats()
    result = {'path': path, 'rows': 0, 'columns': [], 'samples': [], 'format': 'unknown', 'task': None,
              'mapping': {}, 'trainable': False, 'problems': [], 'notes': []}
    if rows_iter is None:
        if not src.problems:
            src.problems.append("empty file: '%s' has no rows" % os.path.basename(path))
        result['problems'] = src.problems
        return result
    buffered = []
    n = 0
    det = None
    checks = None
    for lineno, row, key in rows_iter:
        # A row nested past MAX_DEPTH would exhaust Python's recursion in the checks below.
        if (key is None or may_be_deep(key)) and deeper_than(row):
            _note_too_deep(src, lineno)
            continue
        n += 1
        stats.add(row)
        if det is None:
            buffered.append((lineno, row, key))
            if len(result['samples']) < sample:
                result['samples'].append(truncate(row))
            if len(buffered) >= DETECT_ROWS:
                det, checks = _start_checks(buffered, stats, max_length)
                buffered = []
        else:
            checks.check(lineno, row, key or _row_key(row))
    if det is None:
        det, checks = _start_checks(buffered, stats, max_length)
    result['rows'] = src.total_rows if src.total_rows is not None else n
    result['columns'] = stats.columns()
    result['format'] = det.format
    result['task'] = det.task
    result['mapping'] = det.mapping
    problems = list(src.problems)
    if src.encoding:
        problems.append("UTF-16 text: '%s' is %s%s; the training loaders read UTF-8 only (its rows were read for this report). "
                        "Convert it to UTF-8 with: iconv -f %s -t UTF-8 %s > %s"
                        % (os.path.basename(path), src.encoding.upper(),
                           ' with a byte-order mark' if src.encoding == 'utf-16' else ' without a byte-order mark',
                           src.encoding.upper(), shlex.quote(path), shlex.quote(_utf8_name(path))))
    if src.too_large_count:
        problems.append('%d row(s) larger than %s skipped (%s): remove or split them; a loader would have to hold each whole'
                        % (src.too_large_count, size_mb(MAX_ROW_BYTES),
                           ', '.join('row %d is %s' % (r, size_mb(b)) for r, b in src.too_large)
                           + (', …' if src.too_large_count > len(src.too_large) else '')))
    if src.too_deep_count:
        problems.append('%d row(s) nested more than %d levels deep skipped (rows %s): a data set\'s rows nest a few levels; '
                        'fix or remove them' % (src.too_deep_count, MAX_DEPTH, _lines(src.too_deep, src.too_deep_count)))
    if src.bad_utf8_count:
        problems.append('invalid UTF-8 on %d line(s) (lines %s): re-save the file as UTF-8; the bad bytes were replaced'
                        % (src.bad_utf8_count, _lines(src.bad_utf8, src.bad_utf8_count)))
    if src.invalid_json_count:
        problems.append('%d invalid JSON line(s) (lines %s): fix or remove them; loaders stop at the first one'
                        % (src.invalid_json_count, _lines(src.invalid_json, src.invalid_json_count)))
    if src.truncated_last_line:
        problems.append('the last line (line %d) is cut off mid-record: the file is incomplete (still being written or '
                        'truncated); loaders stop there: re-export it or drop that line' % src.truncated_last_line)
    if src.non_object_count:
        problems.append('%d record(s) are not JSON objects or have extra fields (rows %s): every row must be an object of columns'
                        % (src.non_object_count, _lines(src.non_object, src.non_object_count)))
    problems.extend(det.problems)
    kp = stats.key_problem(n)
    if kp:
        problems.append(kp)
    problems.extend(checks.problems(n))
    if n == 0:
        problems.append('no readable rows in the file')
    result['problems'] = problems
    result['notes'] = src.notes + det.notes
    if det.message_style:
        result['messageStyle'] = det.message_style
    if src.total_rows is None and src.hub_sampled:
        # Only the first rows of a Hub set of unknown size were read: 'rows' is not its size.
        result['rowsSampled'] = True
    if src.json_field:
        # load_dataset("json") needs field=<key> for such a file; the recipes pass it.
        result['jsonField'] = src.json_field
    # A row that is not an object (or a CSV row with extra fields) stops `datasets` loading the file, like invalid
    # JSON; so does a last line cut off mid-record (its JSON reader fails, and so does its pandas fallback).
    # So do rows skipped here for their size or depth (never checked), and UTF-16 text (the loaders read UTF-8).
    fatal = (n == 0 or bool(src.invalid_json_count) or bool(src.non_object_count) or bool(src.truncated_last_line)
             or bool(src.too_large_count) or bool(src.too_deep_count) or bool(src.encoding))
    result['trainable'] = bool(det.trainable and det.format != 'unknown' and not fatal)
    return result


def _utf8_name(path):
    stem, ext = os.path.splitext(path)
    return stem + '.utf8' + ext


def _start_checks(buffered, stats, max_length):
    det = detect([r for _, r, _ in buffered], stats.order)
    checks = RowChecks(det, max_length)
    for lineno, row, key in buffered:
        checks.check(lineno, row, key or _row_key(row))
    return det, checks


def _parse_args(argv):
    path = None
    max_length = DEFAULT_MAX_LENGTH
    sample = 3
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ('--max-length', '--sample'):
            if i + 1 >= len(argv):
                raise InspectError('%s needs a number' % a)
            try:
                val = int(argv[i + 1])
            except ValueError:
                raise InspectError("%s must be a whole number, got '%s'" % (a, argv[i + 1]))
            if val < 0:
                raise InspectError('%s must not be negative' % a)
            if a == '--max-length':
                max_length = val
            else:
                sample = val
            i += 2
            continue
        if a.startswith('--max-length=') or a.startswith('--sample='):
            k, v = a.split('=', 1)
            return _parse_args(argv[:i] + [k, v] + argv[i + 1:])
        if a in ('-h', '--help'):
            raise InspectError('usage: inspect_data.py <path-or-hub-id> [--max-length N] [--sample N]')
        if a.startswith('--'):
            raise InspectError("unknown option '%s'; usage: inspect_data.py <path-or-hub-id> [--max-length N] [--sample N]" % a)
        if path is not None:
            raise InspectError('only one path or dataset id can be inspected at a time')
        path = a
        i += 1
    if path is None:
        raise InspectError('usage: inspect_data.py <path-or-hub-id> [--max-length N] [--sample N]')
    return path, max_length, sample


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        path, max_length, sample = _parse_args(argv)
        result = inspect(os.path.expanduser(path), max_length, sample)
        result['path'] = path
    except InspectError as e:
        print(json.dumps({'error': str(e)}, ensure_ascii=False))
        return 1
    except (OSError, MemoryError) as e:
        print(json.dumps({'error': 'Could not read the data: %s' % e}, ensure_ascii=False))
        return 1
    except Exception as e:  # last resort: still JSON, never a traceback
        print(json.dumps({'error': 'Unexpected %s while inspecting: %s' % (type(e).__name__, e)}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == '__main__':
    sys.exit(main())
