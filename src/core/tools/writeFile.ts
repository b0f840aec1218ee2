/**
 * write_file and edit_file: PROPOSE a change through the approval policy and
 * the Reviewer, and tell the model exactly what the user decided.
 */
import { ReviewDecision } from '../ports';
import { errorMessage } from './text';
import { ToolContext, ToolDefinition, ToolResult } from './types';

function describeDecision(path: string, decision: ReviewDecision & { savedAs: string[] }): ToolResult {
  if (decision.kind === 'rejected') {
    return {
      ok: false,
      output: `The user rejected the change to ${path}${decision.reason ? `: ${decision.reason}` : ' (no reason given)'}. The file is unchanged. Adjust the proposal to the reason, or ask the user.`,
      data: { decision: 'rejected', reason: decision.reason },
    };
  }
  const lines = decision.text.split('\n').length;
  const how = decision.auto ? 'Auto-approved by the mlIntern.autoApprove policy' : 'Accepted by the user';
  const saved = decision.savedAs.length ? ` Versions kept in ${decision.savedAs.join(', ')}.` : '';
  if (decision.userPatch) {
    return {
      ok: true,
      output:
        `${how} WITH THE USER'S OWN EDITS: ${path} now holds ${lines} lines that differ from your proposal by this patch ` +
        `(the file on disk is the source of truth; build on it):\n${decision.userPatch}${saved}`,
      data: { decision: 'accepted', edited: true, auto: decision.auto, savedAs: decision.savedAs },
    };
  }
  return {
    ok: true,
    output: `${how} as proposed: wrote ${path} (${lines} lines).${saved}`,
    data: { decision: 'accepted', edited: false, auto: decision.auto, savedAs: decision.savedAs },
  };
}

async function readCurrent(ctx: ToolContext, path: string): Promise<string | null> {
  return (await ctx.files.readIfExists(path)) ?? null;
}

export const writeFileTool: ToolDefinition<{ path: string; content: string; description: string }> = {
  name: 'write_file',
  description:
    'Propose the full content of a file (new or replaced) in the workspace. The user reviews it as a diff and may accept, ' +
    'edit, or reject it; the answer tells you which (with the patch of their edits, or their reason). Prefer edit_file for small changes to an existing file.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Workspace-relative path.' },
      content: { type: 'string', description: 'The complete new file content.' },
      description: { type: 'string', description: 'One line for the reviewer: why this change.' },
    },
    required: ['path', 'content', 'description'],
  },
  approval: 'write',
  async handler(args, ctx) {
    try {
      const original = await readCurrent(ctx, args.path);
      if (original !== null && original === args.content) return { ok: true, output: `${args.path} already has exactly this content; nothing to change.` };
      const decision = await ctx.proposeChange({ path: args.path, original, proposed: args.content, description: args.description, origin: 'agent' });
      return describeDecision(args.path, decision);
    } catch (err) {
      return { ok: false, output: `Could not propose ${args.path}: ${errorMessage(err)}` };
    }
  },
};

function occurrences(haystack: string, needle: string): number[] {
  const at: number[] = [];
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) at.push(i);
  return at;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** A hint for a search text that is not found exactly: the line that matches best when whitespace is ignored. */
function nearMiss(text: string, search: string): string {
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
  const first = squash(search.split('\n').find((l) => l.trim()) ?? '');
  if (!first) return '';
  const lines = text.split('\n');
  const i = lines.findIndex((l) => squash(l) === first || (first.length > 8 && squash(l).includes(first)));
  return i >= 0 ? ` A line matching the first search line ignoring whitespace is line ${i + 1}: ${JSON.stringify(lines[i])} — check indentation and exact characters.` : '';
}

export const editFileTool: ToolDefinition<{ path: string; search: string; replace: string; description: string }> = {
  name: 'edit_file',
  description:
    'Propose a search/replace edit to an existing file. `search` must match the current file text EXACTLY (whitespace included) and exactly once; ' +
    'include a few surrounding lines to make it unique. The user reviews the change; the answer says whether it was accepted, edited or rejected. ' +
    'Read the file first (read_file) if unsure of its exact text.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Workspace-relative path of an existing file.' },
      search: { type: 'string', description: 'Exact text to replace (must occur exactly once).' },
      replace: { type: 'string', description: 'Replacement text.' },
      description: { type: 'string', description: 'One line for the reviewer: why this change.' },
    },
    required: ['path', 'search', 'replace', 'description'],
  },
  approval: 'write',
  async handler(args, ctx) {
    let original: string | null;
    try {
      original = await readCurrent(ctx, args.path);
    } catch (err) {
      return { ok: false, output: `Cannot read ${args.path}: ${errorMessage(err)}` };
    }
    if (original === null) return { ok: false, output: `${args.path} does not exist. Use write_file to create it.` };
    if (args.search === '') return { ok: false, output: 'search is empty. Give the exact text to replace (use write_file to replace the whole file).' };
    if (args.search === args.replace) return { ok: false, output: 'search and replace are identical; nothing would change.' };
    const at = occurrences(original, args.search);
    if (at.length === 0) {
      return { ok: false, output: `The search text was not found in ${args.path}; nothing was changed.${nearMiss(original, args.search)}` };
    }
    if (at.length > 1) {
      return {
        ok: false,
        output: `The search text occurs ${at.length} times in ${args.path} (lines ${at.map((i) => lineOf(original as string, i)).join(', ')}); nothing was changed. Include more surrounding lines so it matches exactly once.`,
      };
    }
    const proposed = original.slice(0, at[0]) + args.replace + original.slice(at[0] + args.search.length);
    try {
      const decision = await ctx.proposeChange({ path: args.path, original, proposed, description: args.description, origin: 'agent' });
      return describeDecision(args.path, decision);
    } catch (err) {
      return { ok: false, output: `Could not propose the edit to ${args.path}: ${errorMessage(err)}` };
    }
  },
};
