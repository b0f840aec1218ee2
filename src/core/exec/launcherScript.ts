/**
 * The detached launcher, written into each run folder and run with the user's
 * python3 (standard library only; Linux and macOS). It starts the command in
 * its own session, pumps its stdout+stderr into logs/train.log with secrets
 * redacted (tqdm's \r kept), records logs/launcher.json and logs/pid, waits, and
 * writes logs/exit_code (128 + signal for a signal death; a second line names
 * the signal). A killed launcher writes nothing rather than a wrong code.
 *
 * Why the output goes through the launcher rather than straight into the file:
 * a script that prints its environment or a token (HF_TOKEN is in it) must not
 * leave the secret in the workspace. The values to hide come on the launcher's
 * stdin (never in the run's environment); the key shapes mirror
 * src/core/util/redact.ts (a test holds the two to the same answers). The cost:
 * SIGKILLing the launcher itself now ends the run too (its output has nowhere
 * to go), which is still reported `lost`, never with a made-up code.
 */
export const LAUNCHER_MARK = 'ml-intern-detached-launcher';

/**
 * Redaction of a process's output on its way to a file, in Python (standard library only): the
 * key shapes of src/core/util/redact.ts and the cut of src/core/util/streamRedact.ts (tests hold
 * the two to the same answers). What arrives is written at once up to the point no secret can
 * straddle; a tail that could be the start of one (a run of key characters, a label, the start of
 * a stored value) waits for the next piece or the end, however long the pause: a token printed in
 * two writes, or cut by a 64 KiB read, is hidden whole. Shared by the launcher and the Slurm pump.
 */
const REDACT_PY = String.raw`# The values of secret-named variables in the environment (HF_TOKEN, WANDB_API_KEY, ...).
SECRET_NAME = re.compile(r'(TOKEN|_KEY|SECRET|PASSWORD)$')

def env_secrets():
    values = set()
    for name, value in os.environ.items():
        if SECRET_NAME.search(name.upper()) and len(value) >= 8:
            values.add(value.encode('utf-8', 'surrogateescape'))
    return sorted(values, key=len, reverse=True)

SECRET_SHAPES = [
    re.compile(rb'sk-ant-[A-Za-z0-9_-]{8,}'),
    re.compile(rb'sk-(?:proj-)?[A-Za-z0-9_-]{16,}'),
    re.compile(rb'hf_[A-Za-z0-9]{16,}'),
]
# These two are matched on a lowered copy (positions are the same: bytes.lower() changes A-Z only):
# case-insensitive patterns made Python's re 10x slower, too slow for a chatty trainer's output.
BEARER = re.compile(rb'(bearer\s+)([a-z0-9._~+/=-]{8,})')
ASSIGNED = re.compile(rb'((?:api[_-]?key|token|authorization|x-api-key)["\']?\s*[:=]\s*["\']?)([a-z0-9_~+/=-]{16,})')
DIGIT = re.compile(rb'\d')
REDACTED = b'[REDACTED]'
# The cut of src/core/util/streamRedact.ts (its comment says why each rule is there).
KEY_CHARS = b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-'
LABEL_AT_END = re.compile(rb'(?:bearer|api[_-]?key|token|authorization|x-api-key)["\']?\s*[:=]?\s*["\']?\Z')
LABEL_WINDOW = 256
HOLD_MAX = 65536
SPAN_BACK = 4096

def redact_values(rx, data, keep=None):
    # Replace group 2 (the value) of each match of rx in the lowered copy of data.
    parts = []
    last = 0
    for m in rx.finditer(data.lower()):
        if keep is not None and not keep(m.group(2)):
            continue
        parts.append(data[last:m.start(2)])
        parts.append(REDACTED)
        last = m.end(2)
    if not parts:
        return data
    parts.append(data[last:])
    return b''.join(parts)

def make_redact(secrets):
    # The order of src/core/util/redact.ts: stored values, key = value, key shapes, Bearer.
    def redact(data):
        for s in secrets:
            if s in data:
                data = data.replace(s, REDACTED)
        data = redact_values(ASSIGNED, data, lambda value: DIGIT.search(value) is not None)
        for shape in SECRET_SHAPES:
            data = shape.sub(REDACTED, data)
        return redact_values(BEARER, data)
    return redact

def safe_cut(data, secrets):
    # Where data may be cut: what is before it can be redacted and written now.
    size = len(data)
    run = len(data.rstrip(KEY_CHARS))
    window = data[max(0, run - LABEL_WINDOW):run].lower()
    label = LABEL_AT_END.search(window)
    cut = run - (label.end() - label.start()) if label else run
    for s in secrets:
        k = min(len(s) - 1, size)
        while k > size - cut:
            if data.endswith(s[:k]):
                cut = size - k
                break
            k -= 1
    if size - cut > HOLD_MAX:
        cut = size - HOLD_MAX
    if cut == 0 or cut == size:
        return cut
    spans = []
    for s in secrets:
        at = data.find(s)
        while at >= 0:
            spans.append((at, at + len(s)))
            at = data.find(s, at + 1)
    for shape in SECRET_SHAPES:
        spans.extend(m.span() for m in shape.finditer(data))
    lowered = data.lower()
    for rx in (BEARER, ASSIGNED):
        spans.extend(m.span() for m in rx.finditer(lowered))
    moved = True
    while moved:
        moved = False
        for start, end in spans:
            if start < cut < end and cut - start <= SPAN_BACK:
                cut = start
                moved = True
    return cut

def write_all(fd, data):
    while data:
        try:
            n = os.write(fd, data)
        except InterruptedError:
            continue
        except OSError:
            # A full disk: the run keeps going; what could not be written is dropped, not the run.
            return
        data = data[n:]

def pump(r, fd, ended, redact, secrets):
    # What no secret can straddle is written at once (safe_cut); the held tail waits for more.
    # Once the run ended, something it started may still hold the pipe (a server it left behind):
    # its output is carried 2 s after it goes quiet and at most 10 s, so the end is still recorded.
    held = b''
    quiet_since = None
    ended_at = None
    while True:
        try:
            ready = select.select([r], [], [], 0.25)[0]
        except InterruptedError:
            continue
        if ready:
            try:
                data = os.read(r, 65536)
            except InterruptedError:
                continue
            except OSError:
                data = b''
            if not data:
                break
            quiet_since = None
            held += data
            cut = safe_cut(held, secrets)
            if cut:
                write_all(fd, redact(held[:cut]))
                held = held[cut:]
        else:
            # A quiet pipe does not release the held tail: the rest of a token may follow a pause.
            quiet_since = quiet_since or time.time()
        if ended_at is None and ended():
            ended_at = time.time()
        if ended_at is not None:
            now = time.time()
            if (quiet_since and now - quiet_since > 2) or now - ended_at > 10:
                break
    if held:
        write_all(fd, redact(held))
`;

export const LAUNCHER_PY = String.raw`# ML Intern detached launcher (generated; safe to delete once the run ended).
import json, os, re, select, signal, subprocess, sys, time, traceback

def start_token(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
        return 'linux:' + s[s.rindex(')') + 2:].split()[19]
    except (OSError, IndexError, ValueError):
        pass
    try:
        out = subprocess.run(['ps', '-o', 'lstart=', '-p', str(pid)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, universal_newlines=True, timeout=10).stdout.strip()
        return 'ps:' + out if out else ''
    except Exception:
        return ''

def write_atomic(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)

def read_secrets():
    # One JSON line on stdin: the stored values to hide (never put in the run's environment).
    try:
        line = sys.stdin.readline()
        values = json.loads(line) if line.strip() else []
    except (OSError, ValueError):
        values = []
    out = []
    for v in values if isinstance(values, list) else []:
        if isinstance(v, str) and len(v) >= 6:
            out.append(v.encode('utf-8'))
    return sorted(set(out), key=len, reverse=True)

${REDACT_PY}

def main():
    logs = sys.argv[2]
    cmd = sys.argv[sys.argv.index('--', 3) + 1:]
    secrets = sorted(set(read_secrets() + env_secrets()), key=len, reverse=True)
    redact = make_redact(secrets)
    fd = os.open(os.path.join(logs, 'train.log'), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o644)
    child = []
    def forward(sig, frame):
        # A signal for the launcher itself goes to the run; the launcher stays to record the end.
        if child:
            try:
                os.killpg(child[0], sig)
            except OSError:
                pass
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, forward)
    signal.signal(signal.SIGHUP, lambda s, f: None)
    r, w = os.pipe()
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=w, stderr=w, start_new_session=True, close_fds=True)
    except OSError as e:
        os.write(fd, ('ML Intern: could not start %r: %s\n' % (cmd[0], e.strerror or e)).encode())
        write_atomic(os.path.join(logs, 'exit_code'), '127\n')
        return
    os.close(w)
    child.append(p.pid)
    info = {'launcherPid': os.getpid(), 'launcherToken': start_token(os.getpid()), 'pid': p.pid,
            'pidToken': start_token(p.pid), 'argv': cmd, 'cwd': os.getcwd(), 'startedAt': time.time(),
            'name': os.environ.get('ML_INTERN_RUN_NAME', '')}
    write_atomic(os.path.join(logs, 'launcher.json'), json.dumps(info))
    write_atomic(os.path.join(logs, 'pid'), '%d\n' % p.pid)
    pump(r, fd, lambda: p.poll() is not None, redact, secrets)
    os.close(r)
    os.close(fd)
    # Popen.wait (not os.waitpid): pump may already have reaped the run through poll().
    while True:
        try:
            code = p.wait()
            break
        except InterruptedError:
            continue
    if code < 0:
        sig = -code
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = 'SIG%d' % sig
        text = '%d\n%s\n' % (128 + sig, name)
    else:
        text = '%d\n' % code
    write_atomic(os.path.join(logs, 'exit_code'), text)

if __name__ == '__main__':
    try:
        main()
    except Exception:
        try:
            with open(os.path.join(sys.argv[2], 'launcher_error.txt'), 'w') as f:
                f.write(traceback.format_exc())
        except Exception:
            pass
        sys.exit(1)
`;

/** File name of the Slurm pump in a run's logs/ folder. */
export const PUMP_NAME = 'redact_output.py';

/**
 * The Slurm pump: a batch script pipes its command's output through it (`cmd 2>&1 | python3 -u
 * redact_output.py`) since Slurm itself writes the --output file. Stored values cannot be handed
 * to a job without writing them somewhere, so it hides the values of the job's own secret-named
 * environment variables (HF_TOKEN, …_API_KEY, …) besides the key shapes, as the launcher does too.
 */
export const PUMP_PY = String.raw`# ML Intern output redaction for a Slurm job (generated; safe to delete once the job ended).
import os, re, select, sys, time

${REDACT_PY}

if __name__ == '__main__':
    secrets = env_secrets()
    pump(sys.stdin.fileno(), sys.stdout.fileno(), lambda: False, make_redact(secrets), secrets)
`;
