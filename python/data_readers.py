"""Reading rows of a data file or a Hub data set, for inspect_data.py (standard library only, Python 3.9).

Every reader yields (line_number, row_dict, raw_key) and records what it had to skip on a Source,
so the inspection can report it. Byte-level limits (huge lines, deep nesting, UTF-16) live in data_files.py.
"""
import codecs
import csv
import gzip
import io
import json
import os
import re
import sys

from data_files import (MAX_DEPTH, MAX_ROW_BYTES, Utf8Reader, bounded_lines, jsonl_holding_one_array,
                        not_a_data_file, utf16_encoding)

MAX_JSON_BYTES = 512 * 1024 * 1024
MAX_LINE_REPORTS = 5       # line numbers listed per problem
HUB_MAX_ROWS = 5000     # a Hub set is inspected from its first rows only
WRAPPER_KEYS = ('data', 'train', 'rows', 'examples', 'records', 'items', 'dataset', 'samples', 'instances')
DATA_EXTS = ('.jsonl', '.json', '.csv', '.tsv', '.parquet', '.jsonl.gz', '.json.gz', '.csv.gz', '.ndjson', '.txt')


class InspectError(Exception):
    """An error the user can act on; printed as {"error": message}."""


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

