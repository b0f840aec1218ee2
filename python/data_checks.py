"""Checks run on every row while streaming (answers, duplicates, lengths) and the column summary."""
import hashlib
import json

from data_shapes import ASSISTANT_ROLES, best_path, message_roles, type_name

MAX_DUP_HASHES = 500000    # duplicate detection covers this many rows
MAX_LINE_REPORTS = 5       # line numbers listed per problem
STRING_CUT = 300

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
        # duplicates: on the columns training reads when the format is known, so an id or a
        # timestamp column does not hide a repeated example (JSONL rows were compared whole, CSV
        # rows by their cells: the same file counted differently)
        content = sorted(set(c for c in m.values() if isinstance(c, str))) if det.format != 'unknown' else []
        if content:
            raw_key = _row_key(dict((c, row.get(c)) for c in content))
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
            # A message tree trains one path, not every branch.
            chars += sum(len(t) for t in best_path(row.get(col))) if det.format == 'message_tree' and key == 'messages' \
                else _text_len(row.get(col))
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

