"""Reading a data file within bounds, for inspect_data.py (standard library only, Python 3.9).

What a user's file can be besides a data file, said in words: a named pipe or a device (opening it
would block or never end), a symbolic link loop or a link to nothing, UTF-16 text (the loaders read
UTF-8), a JSON array in a .jsonl. And rows that would take the helper down if read as they come:
a line of gigabytes (read at most MAX_ROW_BYTES of it, then skipped without being held), a value
nested deeper than Python's recursion allows (skipped and reported).
"""
import codecs
import errno
import io
import json
import os
import stat

MAX_ROW_BYTES = 64 * 1024 * 1024   # a row larger than this is skipped, never held whole
SKIP_CHUNK = 1024 * 1024          # the rest of an oversized line is read and dropped in pieces
MAX_DEPTH = 100                   # rows nested deeper are skipped (real rows: under 10 levels)
MB = 1024 * 1024


def not_a_data_file(path):
    """Why `path` cannot be read as a data file (a message), or None when it is a file or a folder.

    Checked before anything opens it: opening a FIFO that has no writer blocks forever, and a
    device (/dev/zero) never ends."""
    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return ("'%s' is a symbolic link loop (following it leads back to itself): "
                    "point the link at the data file, or pass the file's own path" % path)
        if os.path.islink(path):
            return "'%s' is a symbolic link to '%s', which does not exist: fix the link or pass the data file" % (
                path, os.readlink(path))
        return None
    mode = st.st_mode
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = ('a named pipe (FIFO)' if stat.S_ISFIFO(mode) else 'a character device' if stat.S_ISCHR(mode)
            else 'a block device' if stat.S_ISBLK(mode) else 'a socket' if stat.S_ISSOCK(mode) else 'not a regular file')
    return ("'%s' is %s, not a data file: reading it could block or never end. "
            "Save the data to a file (.jsonl, .json, .csv, .parquet) and pass that" % (path, kind))


def utf16_encoding(head):
    """'utf-16' (with a byte-order mark), 'utf-16-le' / 'utf-16-be' (without one, told by the NUL
    byte of each ASCII character) or None for any other text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(codecs.BOM_UTF32_LE):
        return 'utf-16'
    sample = bytearray(head[:4096])
    pairs = len(sample) // 2
    if pairs < 8:
        return None
    even_nul = sum(1 for i in range(0, pairs * 2, 2) if sample[i] == 0)
    odd_nul = sum(1 for i in range(1, pairs * 2, 2) if sample[i] == 0)
    if odd_nul >= 0.9 * pairs and even_nul <= 0.1 * pairs:
        return 'utf-16-le'
    if even_nul >= 0.9 * pairs and odd_nul <= 0.1 * pairs:
        return 'utf-16-be'
    return None


class Utf8Reader(object):
    """A text file in another encoding read as UTF-8 bytes (readline and read, as the readers use)."""

    def __init__(self, binary, encoding):
        self.text = io.TextIOWrapper(binary, encoding=encoding, errors='replace', newline='')

    def readline(self, size=-1):
        # `size` counts characters here: at most 4 bytes each in UTF-8, still bounded.
        return self.text.readline(size).encode('utf-8')

    def read(self, size=-1):
        return self.text.read(size).encode('utf-8')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.text.close()


def bounded_lines(f, limit=MAX_ROW_BYTES):
    """Yield (line, size) for each line of the binary file `f`: the bytes with their newline, or None
    for a line longer than `limit` (its size counted as it is skipped). A line is read in pieces of
    SKIP_CHUNK and dropped as soon as it passes `limit`: never more than `limit` bytes of it held."""
    while True:
        line = f.readline(SKIP_CHUNK)
        if not line:
            return
        if line.endswith(b'\n') or len(line) < SKIP_CHUNK:
            yield line, len(line)
            continue
        pieces = [line]
        size = len(line)
        while True:
            piece = f.readline(SKIP_CHUNK)
            if not piece:
                break
            size += len(piece)
            if pieces is not None:
                if size > limit:
                    pieces = None
                else:
                    pieces.append(piece)
            if piece.endswith(b'\n'):
                break
        yield (None if pieces is None else b''.join(pieces)), size


def deeper_than(value, limit=MAX_DEPTH):
    """Whether lists/objects nest more than `limit` levels in `value` (without recursion)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else ()
        if not children:
            continue
        if depth > limit:
            return True
        for c in children:
            if isinstance(c, (dict, list)):
                stack.append((c, depth + 1))
    return False


def may_be_deep(raw, limit=MAX_DEPTH):
    """A cheap pre-check on a row's bytes: fewer brackets than `limit` cannot nest deeper."""
    return raw.count(b'[') + raw.count(b'{') > limit


def jsonl_holding_one_array(f, limit=MAX_ROW_BYTES):
    """Whether a .jsonl that starts with '[' is one JSON array (pretty-printed, or on a single line)
    rather than JSON Lines whose first row happens to be a list."""
    first = f.readline(limit + 1)
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8):]
    if first.strip() == b'[':
        return True
    try:
        value = json.loads(first.decode('utf-8', 'replace'))
    except (ValueError, RecursionError):
        # The array's first object on line one and the rest below ('[{...},'), unless the next
        # line is a row of its own (then line one is a broken JSON Lines row, reported as such).
        return not _next_line_is_object(f, limit)
    if not isinstance(value, list):
        return False
    for line, _size in bounded_lines(f, limit):
        if line is None or line.strip():
            return False
    return True


def _next_line_is_object(f, limit):
    for line, _size in bounded_lines(f, limit):
        if line is None:
            return False
        if line.strip():
            try:
                return isinstance(json.loads(line.decode('utf-8', 'replace')), dict)
            except (ValueError, RecursionError):
                return False
    return False


def size_mb(size):
    return '%.0f MB' % (size / float(MB))
