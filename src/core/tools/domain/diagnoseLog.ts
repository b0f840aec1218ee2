/**
 * diagnose_log: name the failure in a training log (CUDA OOM, bf16 on an old
 * GPU, a renamed keyword, a missing package…) with verbatim evidence and the
 * recovery playbook's fix, plus the compact failure observation (exception,
 * key frames, last progress) the repair loop would show.
 */
import { buildFailureObservationFromFile } from '../../logs';
import { diagnose, playbook, PlaybookFix } from '../../recovery';
import { recoveryEnvironment } from '../../session/envAdapters';
import { errorMessage } from '../text';
import { ToolDefinition } from '../types';
import { changedRegion, clip, fence, knownEnvReport, LOG_NOTE, readTailText } from './shared';

/** Logs can be 100 MB of tqdm; the diagnosis reads their end. */
const TAIL_BYTES = 4 * 1024 * 1024;

function describeFix(fix: PlaybookFix, script: string, scriptPath: string): string {
  switch (fix.kind) {
    case 'edit':
      return `Playbook fix for ${scriptPath} (${fix.id}): ${fix.description}\nThe change it would make (apply it with edit_file; the user reviews it):\n${changedRegion(script, fix.script)}`;
    case 'command':
      return `Playbook fix (${fix.id}): ${fix.description}. Ask to run it with the run tool: ${JSON.stringify(fix.argv)}`;
    case 'retry':
      return `Playbook fix (${fix.id}): ${fix.description}. Run the script again with the environment ${JSON.stringify(fix.env)}.`;
    case 'user':
      return `The playbook needs the user (${fix.id}): ${fix.question} Ask the user (ask_user).`;
    case 'llm':
      return `The playbook has no rule for this (${fix.reason}): read the log and the script and propose a fix yourself.`;
  }
}

export const diagnoseLogTool: ToolDefinition<{ path: string; script?: string; exit_code?: number }> = {
  name: 'diagnose_log',
  description:
    'Diagnose a failed (or suspicious) training/eval log in the workspace, e.g. ".ml-intern/runs/<id>/logs/train.log": returns the failure category ' +
    '(cuda_oom, bf16_unsupported, flash_attn_missing, missing_pad_token, missing_chat_template, gated_or_auth, dataset_schema, unexpected_kwarg, module_not_found, ' +
    'nan_loss, disk_full, hub_push, network_timeout, …), a one-sentence summary, the verbatim evidence lines, who can fix it and how, ' +
    'and a compact extract of the failure (exception, key frames, last progress, warnings). Give `script` (the script that wrote the log) to get the recovery ' +
    "playbook's concrete change (e.g. halve the micro-batch, rename a keyword). Reads the last 4 MB of big logs. Reads only; needs no approval.",
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Workspace-relative path of the log file.' },
      script: { type: 'string', description: 'Optional: workspace-relative path of the script that produced the log, for the playbook fix.' },
      exit_code: { type: 'integer', description: 'Optional: the exit code of the failed process.' },
    },
    required: ['path'],
  },
  approval: 'free',
  async handler(args, ctx) {
    let abs: string;
    let tail: { text: string; size: number; cut: boolean };
    try {
      abs = ctx.files.resolve(args.path);
      tail = await readTailText(abs, TAIL_BYTES);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { ok: false, output: `Log not found: ${args.path}. Run logs are in .ml-intern/runs/<id>/logs/; use list_files.` };
      if (code === 'EISDIR') return { ok: false, output: `${args.path} is a folder; give the log file inside it (e.g. ${args.path.replace(/\/+$/, '')}/train.log).` };
      return { ok: false, output: `Cannot read ${args.path}: ${errorMessage(err)}` };
    }
    if (!tail.text.trim()) return { ok: false, output: `${args.path} is empty: the process printed nothing (it may not have started).` };
    const d = diagnose(tail.text);
    const lines = [
      `Diagnosis of ${args.path}${tail.cut ? ` (last ${TAIL_BYTES / 1024 / 1024} MB of ${(tail.size / 1024 / 1024).toFixed(1)} MB)` : ''}: ${d.category}`,
      `Summary: ${d.summary}`,
      `Fix (${d.fix.kind === 'playbook' ? 'the playbook can fix it' : d.fix.kind === 'llm' ? 'needs a code change by you' : 'needs the user'}): ${d.fix.description}`,
    ];
    if (d.details && Object.keys(d.details).length) lines.push(`Details: ${JSON.stringify(d.details)}`);
    let fix: PlaybookFix | undefined;
    if (args.script) {
      try {
        const script = await ctx.files.read(args.script);
        fix = playbook({ diagnosis: d, script, environment: recoveryEnvironment(knownEnvReport(ctx)), python: ctx.python });
        lines.push(describeFix(fix, script, args.script));
      } catch (err) {
        lines.push(`(No playbook fix: cannot read the script ${args.script}: ${errorMessage(err)})`);
      }
    }
    if (d.evidence.length) lines.push(`Evidence (verbatim log lines). ${LOG_NOTE}`, fence('log-excerpt', d.evidence.map((e) => clip(e, 400)).join('\n')));
    let observation = '';
    try {
      observation = await buildFailureObservationFromFile(abs, { maxBytes: TAIL_BYTES, maxTokens: 1500, ...(args.exit_code !== undefined ? { exitCode: args.exit_code } : {}) });
      lines.push(`Failure extract. ${LOG_NOTE}`, fence('log-excerpt', observation));
    } catch (err) {
      lines.push(`(No failure extract: ${errorMessage(err)})`);
    }
    return { ok: true, output: lines.join('\n'), data: { diagnosis: d, fix, observation } };
  },
};
