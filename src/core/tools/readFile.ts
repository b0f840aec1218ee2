import { OBSERVATION_CAP } from './observationCap';
import { errorMessage } from './text';
import { ToolDefinition } from './types';

const DEFAULT_LIMIT = 400;
/** A page fits one observation (with its header and footer), so the loop never cuts its middle. */
const MAX_PAGE_CHARS = OBSERVATION_CAP - 600;

export const readFileTool: ToolDefinition<{ path: string; offset?: number; limit?: number }> = {
  name: 'read_file',
  description:
    'Read a text file in the workspace (including the run folder, e.g. saved observations). ' +
    `Returns numbered lines. Large files are paged (at most ~${MAX_PAGE_CHARS} characters a page): pass offset (1-based first line) and limit (number of lines, default 400); ` +
    'the answer says which lines were shown, how many there are, and the offset of the next page.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Workspace-relative path.' },
      offset: { type: 'integer', description: 'First line to show, 1-based (default 1).' },
      limit: { type: 'integer', description: 'Number of lines to show (default 400).' },
    },
    required: ['path'],
  },
  approval: 'free',
  async handler(args, ctx) {
    let text: string;
    try {
      text = await ctx.files.read(args.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { ok: false, output: `File not found: ${args.path}. Use list_files to see what exists.` };
      if (code === 'EISDIR') return { ok: false, output: `${args.path} is a folder; use list_files.` };
      return { ok: false, output: `Cannot read ${args.path}: ${errorMessage(err)}` };
    }
    const lines = text.split('\n');
    const total = lines.length;
    const start = Math.max(1, Math.floor(args.offset ?? 1));
    const limit = Math.max(1, Math.floor(args.limit ?? DEFAULT_LIMIT));
    if (start > total) return { ok: false, output: `${args.path} has ${total} lines; offset ${start} is past the end.` };
    const out: string[] = [];
    let chars = 0;
    let end = start - 1;
    for (let i = start - 1; i < Math.min(total, start - 1 + limit); i++) {
      let line = lines[i];
      if (line.length > 2000) line = `${line.slice(0, 2000)} [... line cut: ${line.length} characters]`;
      if (chars + line.length + 8 > MAX_PAGE_CHARS && out.length > 0) break;
      out.push(`${String(i + 1).padStart(6)}\t${line}`);
      chars += line.length + 8;
      end = i + 1;
    }
    const header =
      end < total || start > 1
        ? `${args.path}: lines ${start}-${end} of ${total}${end < total ? ` (next page: offset ${end + 1})` : ''}`
        : `${args.path}: ${total} lines`;
    // Said again at the end: the model reads the page to its last line and needs where to go on.
    const footer = end < total ? `\n[${total - end} more lines: call read_file with path "${args.path}" and offset ${end + 1}]` : '';
    return { ok: true, output: `${header}\n${out.join('\n')}${footer}`, data: { path: args.path, start, end, total } };
  },
};
