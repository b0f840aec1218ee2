/**
 * What a line of training output is — the one definition the chart pipeline, the failure
 * observation and the diagnosis share: ANSI escape sequences removed, and the per-rank prefix
 * that launchers put in front of each line split off.
 *
 * Rank prefixes (any of them, nested up to three deep, e.g. srun --label around torchrun --tee):
 *   `[rank0]:` / `[default0]:`  torchrun (--tee / --log-dir redirects)
 *   `[1,0]<stdout>:`            mpirun --tag-output (`[jobid,rank]<stream>:`)
 *   `0: `                       srun --label, deepspeed's pdsh launcher
 *   `rank0: `                   accelerate / torch.distributed.elastic's log prefix
 */

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST; an unterminated one runs to the end of the line),
// and two-byte escapes. Sequences never contain \r or \n, so stripping after the line splitter
// makes the result independent of where chunks were split.
const ANSI_RE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;

export function stripAnsi(text: string): string {
  // The cheap check keeps the regex off the hot path for plain lines.
  return text.indexOf('\x1b') === -1 ? text : text.replace(ANSI_RE, '');
}

export interface RankSplit {
  /** The outermost prefix's rank (srun's task, mpirun's rank, or torchrun's when it is alone). */
  rank?: number;
  /**
   * One number per distinct stream: equal to `rank` for one prefix; for nested prefixes it folds
   * them all (`0: [rank1]:` ≠ `0: [rank0]:`), so two local ranks of one task are not taken for one.
   */
  stream?: number;
  text: string;
}

const BRACKET_RE = /^(?:\[(?:rank|default)(\d+)\]|\[\d+,(\d+)\]<std(?:out|err)>):\s?/;
const NUM_PREFIX_RE = /^(\d{1,4}): /;
const WORD_RE = /^rank(\d+): /;

function splitOne(seg: string): RankSplit | undefined {
  const c = seg.charCodeAt(0);
  let m: RegExpExecArray | null = null;
  if (c === 91 /* [ */) m = BRACKET_RE.exec(seg);
  else if (c >= 48 && c <= 57) m = NUM_PREFIX_RE.exec(seg);
  else if (c === 114 /* r */ && seg.startsWith('rank')) m = WORD_RE.exec(seg);
  if (!m) return undefined;
  const rank = Number(m[1] ?? m[2]);
  return { rank, stream: rank, text: seg.slice(m[0].length) };
}

/** The rank a line names (the innermost prefix's launcher wraps the others; the first one wins) and the text after every prefix. */
export function splitRank(seg: string): RankSplit {
  let out: RankSplit = { text: seg };
  for (let i = 0; i < 3; i++) {
    const next = splitOne(out.text);
    if (!next) break;
    out = out.rank === undefined ? next : { rank: out.rank, stream: (out.stream ?? 0) * 65536 + (next.rank ?? 0) + 1, text: next.text };
  }
  return out;
}
