/** The shape of one `ml-intern` subcommand. Each lives in its own file under ./commands. */

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ParsedArgs {
  /** Positional arguments after the subcommand name. */
  positional: string[];
  /** `--flag value`, `--flag=value` and bare `--flag` (true). */
  flags: Record<string, string | boolean>;
  /** Value flags given more than once (their values are kept, one per line; see flagList). */
  repeated?: Set<string>;
}

export interface CliCommand {
  name: string;
  /** One line for `ml-intern --help`. */
  summary: string;
  /** Full usage text for `ml-intern <name> --help`. */
  usage: string;
  /** Flags that never take a value (so `--json file` keeps `file` positional). */
  booleanFlags?: string[];
  /** Exit code: 0 ok, 1 the operation failed, 2 usage error. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export class UsageError extends Error {}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function parseArgs(argv: string[], booleanFlags: string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  const repeated = new Set<string>();
  const bools = new Set(['json', 'help', ...booleanFlags]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      // A value flag given twice keeps both, one per line: flagList splits them, flagString refuses them.
      const put = (name: string, value: string) => {
        const before = flags[name];
        if (typeof before === 'string') repeated.add(name);
        flags[name] = typeof before === 'string' ? `${before}\n${value}` : value;
      };
      const eq = a.indexOf('=');
      if (eq > 0) put(a.slice(2, eq), a.slice(eq + 1));
      else {
        const name = a.slice(2);
        const next = argv[i + 1];
        if (!bools.has(name) && next !== undefined && !next.startsWith('--')) {
          put(name, next);
          i++;
        } else flags[name] = true;
      }
    } else if (a === '-h') flags.help = true;
    else positional.push(a);
  }
  return { positional, flags, repeated };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  if (v === undefined || v === false) return undefined;
  if (v === true) throw new UsageError(`--${name} needs a value`);
  if (args.repeated?.has(name)) throw new UsageError(`--${name} is given more than once`);
  return v;
}

/** Every value of a flag that may be given several times (--set A=1 --set B=2). */
export function flagList(args: ParsedArgs, name: string): string[] {
  const v = args.flags[name];
  if (v === undefined || v === false) return [];
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v.split('\n');
}

export function flagNumber(args: ParsedArgs, name: string): number | undefined {
  const v = flagString(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${v}'`);
  return n;
}

/** Print a value as JSON (with --json) or with the given human formatter. */
export function printResult(io: CliIo, args: ParsedArgs, value: unknown, human: (v: never) => string): void {
  if (args.flags.json) io.out(JSON.stringify(value, null, 2) + '\n');
  else io.out(human(value as never) + '\n');
}
