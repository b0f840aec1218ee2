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
                             (['x.jsonl', '--bogus'], 'unknown option'), ([tempfile.mkdtemp(dir=self.dir)], 'holds no .jsonl')):
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

    def test_deeply_nested_rows_are_reported_and_skipped(self):
        # 500 levels used to end the whole inspection in "Unexpected RecursionError"; 5000 fail json.loads itself.
        for depth in (500, 5000):
            deep = b'{"text": ' + b'[' * depth + b']' * depth + b'}\n'
            r = run_helper(self.write('deep%d.jsonl' % depth, b'{"text": "first"}\n' + deep + b'{"text": "ok"}\n'))
            self.assertIn('1 row(s) nested more than 100 levels deep skipped (rows 2)', self.problems(r), depth)
            self.assertEqual(r['rows'], 2, 'the other rows are inspected')
            self.assertEqual(r['format'], 'text')
            self.assertFalse(r['trainable'], 'the file as it is holds a row nobody checked')
        rows = [{'text': 'a'}, {'text': 'b', 'meta': json.loads('[' * 300 + ']' * 300)}]
        r = run_helper(self.write('deep.json', json.dumps(rows).encode()))
        self.assertIn('nested more than 100 levels deep skipped (rows 2)', self.problems(r), 'a .json document too')

    def test_pipes_devices_and_folders_are_refused_without_blocking(self):
        fifo = os.path.join(self.dir, 'pipe.jsonl')
        os.mkfifo(fifo)
        # No writer: opening it would block forever; the helper must answer at once.
        for path, words in ((fifo, 'is a named pipe (FIFO), not a data file'), ('/dev/zero', 'is a character device, not a data file')):
            r = run_helper(path)
            self.assertIn(words, r['error'])
            self.assertIn('Save the data to a file', r['error'])

    def test_symlink_loops_and_dangling_links_say_what_they_are(self):
        a, b = os.path.join(self.dir, 'loop_a.jsonl'), os.path.join(self.dir, 'loop_b.jsonl')
        os.symlink(b, a)
        os.symlink(a, b)
        self.assertIn('is a symbolic link loop', run_helper(a)['error'])
        dangling = os.path.join(self.dir, 'dangling.jsonl')
        os.symlink('gone.jsonl', dangling)
        self.assertIn("is a symbolic link to 'gone.jsonl', which does not exist", run_helper(dangling)['error'])
        self.assertIn('File not found', run_helper(os.path.join(self.dir, 'missing.jsonl'))['error'])

    def test_utf16_files_are_read_and_named_with_the_command_that_converts_them(self):
        rows = ''.join(json.dumps({'prompt': 'p%d é' % i, 'completion': 'c%d' % i}, ensure_ascii=False) + '\n' for i in range(3))
        for name, data, encoding in (('bom.jsonl', rows.encode('utf-16'), 'UTF-16 with a byte-order mark'),
                                     ('le.jsonl', rows.encode('utf-16-le'), 'UTF-16-LE without a byte-order mark'),
                                     ('be.csv', 'prompt,completion\nhi,there\nyo,ok\n'.encode('utf-16-be'), 'UTF-16-BE without')):
            path = self.write(name, data)
            r = run_helper(path)
            p = self.problems(r)
            self.assertNotIn('binary', p, name)
            self.assertIn('UTF-16 text: %r is %s' % (name, encoding), p)
            self.assertIn('iconv -f UTF-16', p)
            self.assertEqual(r['format'], 'prompt_completion', name)
            self.assertEqual(r['rows'], 2 if name.endswith('.csv') else 3)
            self.assertFalse(r['trainable'], 'the loaders read UTF-8')
        self.assertEqual(run_helper(path)['samples'][0], {'prompt': 'hi', 'completion': 'there'})
        # The command it gives converts the file; the result is trainable.
        bom = os.path.join(self.dir, 'bom.jsonl')
        subprocess.run(['sh', '-c', 'iconv -f UTF-16 -t UTF-8 "$1" > "$2"', 'sh', bom, os.path.join(self.dir, 'bom.utf8.jsonl')], check=True)
        self.assertTrue(run_helper(os.path.join(self.dir, 'bom.utf8.jsonl'))['trainable'])

    def test_a_json_array_in_a_jsonl_is_read_as_the_array(self):
        rows = [{'prompt': 'p%d' % i, 'completion': 'c%d' % i} for i in range(4)]
        for name, text in (('pretty.jsonl', json.dumps(rows, indent=2)), ('oneline.jsonl', json.dumps(rows))):
            r = run_helper(self.write(name, text.encode()))
            self.assertEqual(r['rows'], 4, name)
            self.assertNotIn('not JSON objects', self.problems(r))
            self.assertIn('holds one JSON array, not JSON Lines', ' '.join(r['notes']))
            self.assertTrue(r['trainable'])
        # JSON Lines whose first row is a list stay JSON Lines, that row reported.
        r = run_helper(self.write('first_row_list.jsonl', b'[1, 2]\n' + json.dumps(rows[0]).encode() + b'\n'))
        self.assertIn('1 record(s) are not JSON objects', self.problems(r))
        self.assertEqual(r['rows'], 1)


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

    def test_one_200mb_line_is_skipped_without_being_held(self):
        # One 300 MB line used to take 936 MB: lines were read whole.
        d = tempfile.mkdtemp(prefix='mli-hard-line-')
        try:
            path = os.path.join(d, 'one_line.jsonl')
            with open(path, 'wb') as f:
                f.write(b'{"text": "before"}\n{"text": "')
                block = b'x' * (1 << 20)
                for _ in range(200):
                    f.write(block)
                f.write(b'"}\n{"text": "after"}')  # no newline at the end either
            p = subprocess.run([sys.executable, '-c', WRAPPER, SCRIPT, path], stdout=subprocess.PIPE, timeout=600)
            w = json.loads(p.stdout.decode('utf-8'))
            self.assertNotIn('Traceback', w['stderr'])
            result = json.loads(w['stdout'])
            problems = ' | '.join(result['problems'])
            self.assertIn('1 row(s) larger than 64 MB skipped (row 2 is 200 MB)', problems)
            self.assertEqual(result['rows'], 2, 'the rows around it are read')
            self.assertFalse(result['trainable'])
            peak_mib = w['peak_kib'] / 1024.0
            sys.stderr.write('\ninspect_data.py on one 200 MiB line: peak RSS %.0f MiB\n' % peak_mib)
            self.assertLess(peak_mib, 120, 'the line is read in pieces and dropped, never held whole')
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
