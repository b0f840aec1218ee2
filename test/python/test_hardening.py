"""Hardening: bad data files through python/inspect_data.py as the extension runs it
(a subprocess). Every case ends in one JSON object with a clear `error` or
`problems`, exit code 0 or 1, and never a traceback. A ~200 MB JSONL is
inspected in constant memory (peak RSS of the helper process measured)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCRIPT = os.path.join(ROOT, 'python', 'inspect_data.py')

# Runs the helper as a child and reports its peak RSS (ru_maxrss is KiB on Linux).
WRAPPER = r'''
import json, resource, subprocess, sys
p = subprocess.run([sys.executable] + sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.write(json.dumps({"rc": p.returncode, "peak_kib": peak, "stderr": p.stderr.decode("utf-8", "replace"),
                             "stdout": p.stdout.decode("utf-8", "replace")}))
'''


def run_helper(path, *extra):
    p = subprocess.run([sys.executable, SCRIPT, path] + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    stderr = p.stderr.decode('utf-8', 'replace')
    assert 'Traceback' not in stderr, stderr
    assert p.returncode in (0, 1), (p.returncode, stderr)
    out = p.stdout.decode('utf-8')
    assert out.count('\n') <= 1, 'one JSON object'
    return json.loads(out)


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix='mli-hard-data-')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def problems(self, result):
        self.assertNotIn('error', result)
        return ' | '.join(result['problems'])

    def test_empty_files(self):
        for name, data in (('empty.jsonl', b''), ('blank.jsonl', b'\n\n   \n'), ('empty.csv', b''), ('empty.json', b'  ')):
            r = run_helper(self.write(name, data))
            self.assertIn('empty file', self.problems(r), name)
            self.assertFalse(r['trainable'])

    def test_binary_file(self):
        r = run_helper(self.write('model.jsonl', b'\x00\x01\x02PK\x03\x04' + os.urandom(4000)))
        self.assertIn('binary file', self.problems(r))
        self.assertFalse(r['trainable'])

    def test_random_bytes_without_nul(self):
        data = bytes(b for b in os.urandom(20000) if b not in (0,))
        r = run_helper(self.write('noise.jsonl', data))
        self.assertFalse(r['trainable'])
        self.assertTrue(r['problems'])

    def test_invalid_utf8(self):
        r = run_helper(self.write('latin1.jsonl', '{"text": "café crème"}\n'.encode('latin-1') + b'{"text": "fine"}\n'))
        self.assertIn('invalid UTF-8 on 1 line(s) (lines 1)', self.problems(r))
        self.assertEqual(r['rows'], 2)

    def test_half_written_jsonl(self):
        r = run_helper(self.write('half.jsonl', b'{"text": "a"}\n{"text": "b"}\n{"text": "still bei'))
        self.assertIn('the last line (line 3) is cut off mid-record', self.problems(r))
        self.assertEqual(r['rows'], 2)

    def test_half_written_json_document(self):
        r = run_helper(self.write('half.json', b'[{"prompt": "a", "completion": "b"}, {"prompt": "c", "compl'))
        self.assertIn('is not valid JSON', r['error'])
        self.assertIn('JSON Lines', r['error'])

    def test_mixed_schema_is_not_trainable(self):
        rows = [b'{"text": "a"}', b'{"prompt": "p", "completion": "c"}', b'{"messages": [{"role": "user", "content": "hi"}]}',
                b'[1, 2]', b'"just a string"', b'{"chosen": "x", "rejected": "y"}']
        r = run_helper(self.write('mixed.jsonl', b'\n'.join(rows) + b'\n'))
        p = self.problems(r)
        self.assertIn('2 record(s) are not JSON objects', p)
        self.assertIn('inconsistent keys across rows', p)
        self.assertFalse(r['trainable'], 'a loader would stop at the non-object rows')

    def test_csv_with_ragged_rows(self):
        r = run_helper(self.write('ragged.csv', b'prompt,completion\nhi,there\n1,2,3\n"unterminated\n'))
        self.assertFalse(r['trainable'])
        self.assertIn('extra fields', self.problems(r))

    def test_bad_arguments_and_missing_files(self):
        for args, needle in ((['missing.jsonl'], 'File not found'), (['x.jsonl', '--max-length', 'lots'], 'whole number'),
                             (['x.jsonl', '--bogus'], 'unknown option'), ([self.dir], 'holds no .jsonl')):
            r = run_helper(*args)
            self.assertIn(needle, r['error'])

    def test_preference_rows_count_one_answer_and_overlong_prompts_are_dropped(self):
        # trl trains prompt + chosen and prompt + rejected: the longer pair counts, not the sum of all three.
        fits = {'prompt': 'p' * 1000, 'chosen': 'c' * 1600, 'rejected': 'r' * 1600}
        r = run_helper(self.write('pairs.jsonl', (json.dumps(fits) + '\n').encode() * 3), '--max-length', '1024')
        self.assertEqual(r['task'], 'dpo')
        self.assertNotIn('longer than --max-length', self.problems(r))
        # A prompt that alone fills max_length: trl drops the row (seen in real trl 1.9 runs).
        long_prompt = {'prompt': 'p' * 4400, 'chosen': 'c', 'rejected': 'r'}
        r = run_helper(self.write('long_prompt.jsonl', (json.dumps(fits) + '\n' + json.dumps(long_prompt) + '\n').encode()), '--max-length', '1024')
        self.assertIn('1 row(s) have a prompt alone longer than --max-length 1024 tokens (approx.): trl drops them', self.problems(r))
        self.assertTrue(r['trainable'])

    def test_deeply_nested_row(self):
        deep = b'{"text": ' + b'[' * 5000 + b']' * 5000 + b'}\n'
        r = run_helper(self.write('deep.jsonl', deep + b'{"text": "ok"}\n'))
        self.assertTrue('error' in r or r['problems'])


class HugeFile(unittest.TestCase):
    """~200 MB of JSON Lines: constant memory, the peak RSS is reported."""

    def test_200mb_jsonl_constant_memory(self):
        d = tempfile.mkdtemp(prefix='mli-hard-big-')
        try:
            path = os.path.join(d, 'big.jsonl')
            target = int(os.environ.get('HARDENING_BIG_MB', '200')) * 1024 * 1024
            pad = 'x' * 700
            size = 0
            i = 0
            with open(path, 'w') as f:
                while size < target:
                    line = json.dumps({'instruction': 'Question %d' % i, 'input': '', 'output': 'Answer %d %s' % (i, pad)}) + '\n'
                    f.write(line)
                    size += len(line)
                    i += 1
            p = subprocess.run([sys.executable, '-c', WRAPPER, SCRIPT, path], stdout=subprocess.PIPE, timeout=600)
            w = json.loads(p.stdout.decode('utf-8'))
            self.assertNotIn('Traceback', w['stderr'])
            result = json.loads(w['stdout'])
            self.assertEqual(result['rows'], i)
            self.assertEqual(result['format'], 'alpaca')
            peak_mib = w['peak_kib'] / 1024.0
            sys.stderr.write('\ninspect_data.py on %.0f MiB JSONL (%d rows): peak RSS %.0f MiB\n' % (size / 1048576.0, i, peak_mib))
            # Far below the file size: the file is streamed, not loaded.
            self.assertLess(peak_mib, 120)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
