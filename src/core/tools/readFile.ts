import { errorMessage } from './text';
import { ToolDefinition } from './types';

const DEFAULT_LIMIT = 400;
const MAX_PAGE_CHARS = 20_000;

export const readFileTool: ToolDefinition<{ path: string; offset?: number; limit?: number }> = {
  name: 'read_file',
  description:
    'Read a text file in the workspace (including the run folder, e.g. saved observations). ' +
    'Returns numbered lines. Large files are paged: pass offset (1-based first line) and limit (number of lines, default 400); ' +
    'the answer says which lines were shown and how many there are.',
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
      if (chars + line.length > MAX_PAGE_CHARS && out.length > 0) break;
      out.push(`${String(i + 1).padStart(6)}\t${line}`);
      chars += line.length + 8;
      end = i + 1;
    }
    const header =
      end < total || start > 1
        ? `${args.path}: lines ${start}-${end} of ${total}${end < total ? ` (next page: offset ${end + 1})` : ''}`
        : `${args.path}: ${total} lines`;
    return { ok: true, output: `${header}\n${out.join('\n')}`, data: { path: args.path, start, end, total } };
  },
};
