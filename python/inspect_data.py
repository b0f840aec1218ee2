#!/usr/bin/env python3
"""Inspect a training data set and say how trl should read it.

Usage: python3 inspect_data.py <path-or-hub-id> [--max-length N] [--sample N]

Prints one JSON object (see DatasetInspection in src/core/python/types.ts):
  path, rows, columns [{name, type, nonNull}], samples, format, task, mapping,
  trainable, problems, notes.
On failure prints {"error": "..."} and exits 1; never a traceback.

Standard library only. JSONL is streamed line by line (constant memory, any
size; a row over 64 MB or nested over 100 levels is reported and skipped, see
data_files.py); JSON arrays are loaded whole up to MAX_JSON_BYTES (data_readers.py); CSV/TSV are streamed;
Parquet needs pyarrow and Hub ids need datasets, both imported lazily.
Python 3.9 compatible.
"""
import json
import os
import shlex
import sys

from data_checks import ColumnStats, RowChecks, _lines, _row_key, truncate
from data_detect import detect
from data_files import MAX_DEPTH, MAX_ROW_BYTES, deeper_than, may_be_deep, size_mb
# Other helpers import the reader from here (preflight.py: InspectError, Source, open_rows).
from data_readers import HUB_MAX_ROWS, MAX_JSON_BYTES, InspectError, Source, _note_too_deep, open_rows  # noqa: F401

DETECT_ROWS = 500          # rows buffered to detect the format
DEFAULT_MAX_LENGTH = 1024  # trl SFTConfig.max_length default


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
    if det.grpo:
        # GRPO needs prompts only: it can train on data the supervised methods cannot (no answers, multiple choice).
        result['grpo'] = dict(det.grpo, trainable=not fatal)
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
