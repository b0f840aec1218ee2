/**
 * Prevention: before the first run, the fixes the playbook would make after a
 * failure that the environment report already predicts — bf16 on a GPU without
 * it → fp16; flash-attn asked for but not installed → sdpa; a keyword the
 * installed trl/transformers lacks → its rename. Same edits as the playbook.
 */
import { acceptsKeyword, Library, RENAMES, resolveTargets } from '../recipes/libraryVersions';
import { attnToSdpa, bf16ToFp16, requestsFlashAttention } from './fixes';
import { findKwargs, renameKwarg } from './scriptEdits';
import { ARGS_CLASSES } from './scriptParams';
import { RecoveryEnvironment, bf16Supported, installedVersion } from './types';

export interface PreflightFix {
  id: string;
  description: string;
}

export interface PreflightResult {
  /** The script with every fix applied (the input when there is nothing to fix). */
  script: string;
  fixes: PreflightFix[];
}

export function preflight(script: string, environment: RecoveryEnvironment | undefined): PreflightResult {
  let s = script;
  const fixes: PreflightFix[] = [];
  if (bf16Supported(environment) === false) {
    const e = bf16ToFp16(s);
    if (e) {
      s = e.script;
      const gpu = environment?.gpus?.[0]?.name;
      fixes.push({ id: 'bf16:fp16', description: `${gpu ?? 'This GPU'} has no bf16: ${e.changes.join(', ')}` });
    }
  }
  if (environment?.packages && Object.keys(environment.packages).length && !installedVersion(environment, 'flash_attn') && requestsFlashAttention(s)) {
    const e = attnToSdpa(s);
    if (e) {
      s = e.script;
      fixes.push({ id: 'attn:sdpa', description: 'flash-attn is not installed: attention implementation → "sdpa"' });
    }
  }
  for (const f of keywordRenames(s, environment)) {
    const next = renameKwarg(s, f.from, f.to, f.callees);
    if (next !== s) {
      s = next;
      fixes.push({ id: `kwarg:${f.from}->${f.to}`, description: `${f.symbol}: '${f.from}' → '${f.to}' for the installed ${f.library} ${f.version}` });
    }
  }
  return { script: s, fixes };
}

interface KeywordFix {
  from: string;
  to: string;
  symbol: string;
  callees: string[];
  library: Library;
  version: string;
}

/** Keywords in the script that the installed versions reject but whose rename they accept (either direction). */
function keywordRenames(script: string, env: RecoveryEnvironment | undefined): KeywordFix[] {
  const installed = {
    trl: installedVersion(env, 'trl'),
    transformers: installedVersion(env, 'transformers'),
    peft: installedVersion(env, 'peft'),
  };
  if (!installed.trl && !installed.transformers && !installed.peft) return [];
  const targets = resolveTargets(installed);
  const out: KeywordFix[] = [];
  for (const r of RENAMES) {
    if (!r.new || !/^\w+$/.test(r.new) || r.symbol === 'import' || !installed[r.library]) continue;
    // TrainingArguments keywords are inherited by every trl Config class; Trainer's by the trl trainers.
    const callees = r.symbol === 'TrainingArguments' ? ARGS_CLASSES : r.symbol === 'Trainer' ? ['Trainer', 'Seq2SeqTrainer'] : [r.symbol];
    const symbolFor = (callee: string): [Library, string] => (ARGS_CLASSES.includes(callee) && callee !== 'TrainingArguments' && r.symbol === 'TrainingArguments' ? ['trl', callee] : [r.library, r.symbol]);
    for (const [from, to] of [[r.old, r.new], [r.new, r.old]] as const) {
      for (const site of findKwargs(script, from, callees)) {
        const [lib, sym] = symbolFor(site.call.name);
        const t = { trl: targets.trl, transformers: targets.transformers, peft: targets.peft };
        if (lib === 'trl' && !installed.trl && r.library !== 'trl') continue;
        if (!acceptsKeyword(lib, sym, from, t) && acceptsKeyword(lib, sym, to, t)) {
          out.push({ from, to, symbol: site.call.name, callees: [site.call.name], library: r.library, version: installed[r.library]! });
        }
      }
    }
  }
  const seen = new Set<string>();
  return out.filter((f) => {
    const k = `${f.from}>${f.to}>${f.symbol}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
