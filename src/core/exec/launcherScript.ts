/**
 * The detached launcher, written into each run folder and run with the user's
 * python3 (standard library only; Linux and macOS). It starts the command in
 * its own session, sends stdout+stderr straight into logs/train.log (no pipe:
 * if the launcher dies, the training goes on and keeps logging; tqdm's \r kept),
 * records logs/launcher.json and logs/pid, waits, and writes logs/exit_code
 * (128 + signal for a signal death; a second line names the signal). A killed
 * launcher writes nothing rather than a wrong code.
 */
export const LAUNCHER_MARK = 'ml-intern-detached-launcher';

export const LAUNCHER_PY = String.raw`# ML Intern detached launcher (generated; safe to delete once the run ended).
import json, os, signal, subprocess, sys, time, traceback

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

def main():
    logs = sys.argv[2]
    cmd = sys.argv[sys.argv.index('--', 3) + 1:]
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
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, start_new_session=True, close_fds=True)
    except OSError as e:
        os.write(fd, ('ML Intern: could not start %r: %s\n' % (cmd[0], e.strerror or e)).encode())
        write_atomic(os.path.join(logs, 'exit_code'), '127\n')
        return
    child.append(p.pid)
    os.close(fd)
    info = {'launcherPid': os.getpid(), 'launcherToken': start_token(os.getpid()), 'pid': p.pid,
            'pidToken': start_token(p.pid), 'argv': cmd, 'cwd': os.getcwd(), 'startedAt': time.time(),
            'name': os.environ.get('ML_INTERN_RUN_NAME', '')}
    write_atomic(os.path.join(logs, 'launcher.json'), json.dumps(info))
    write_atomic(os.path.join(logs, 'pid'), '%d\n' % p.pid)
    while True:
        try:
            _, status = os.waitpid(p.pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = 'SIG%d' % sig
        text = '%d\n%s\n' % (128 + sig, name)
    else:
        text = '%d\n' % os.WEXITSTATUS(status)
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
