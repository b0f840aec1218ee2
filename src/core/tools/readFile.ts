import { bigFilePage, bigFileSize } from './bigFilePage';
import { OBSERVATION_CAP } from './observationCap';
import { errorMessage } from './text';
import { ToolDefinition, ToolResult } from './types';

const DEFAULT_LIMIT = 400;
/** A longer line is cut (saying how long it was). */
const MAX_LINE_CHARS = 2000;
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
    const start = Math.max(1, Math.floor(args.offset ?? 1));
    const limit = Math.max(1, Math.floor(args.limit ?? DEFAULT_LIMIT));
    let text: string;
    try {
      // A file of hundreds of MB (a long training's log) is paged from disk, never read whole.
      const abs = ctx.files.resolve(args.path);
      if (await bigFileSize(abs)) {
        const page = await bigFilePage(abs, start, limit, MAX_LINE_CHARS, MAX_PAGE_CHARS);
        return pageAnswer(args.path, start, page.end, page.total, page.lines.map((l, i) => `${String(start + i).padStart(6)}\t${l}`));
      }
      text = await ctx.files.read(args.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { ok: false, output: `File not found: ${args.path}. Use list_files to see what exists.` };
      if (code === 'EISDIR') return { ok: false, output: `${args.path} is a folder; use list_files.` };
      return { ok: false, output: `Cannot read ${args.path}: ${errorMessage(err)}` };
    }
    const lines = text.split('\n');
    const total = lines.length;
    if (start > total) return { ok: false, output: `${args.path} has ${total} lines; offset ${start} is past the end.` };
    const out: string[] = [];
    let chars = 0;
    let end = start - 1;
    for (let i = start - 1; i < Math.min(total, start - 1 + limit); i++) {
      let line = lines[i];
      if (line.length > MAX_LINE_CHARS) line = `${line.slice(0, MAX_LINE_CHARS)} [... line cut: ${line.length} characters]`;
      if (chars + line.length + 8 > MAX_PAGE_CHARS && out.length > 0) break;
      out.push(`${String(i + 1).padStart(6)}\t${line}`);
      chars += line.length + 8;
      end = i + 1;
    }
    return pageAnswer(args.path, start, end, total, out);
  },
};

/** The page with where it sits in the file, and where the next one starts. */
function pageAnswer(path: string, start: number, end: number, total: number, numbered: string[]): ToolResult {
  if (start > total) return { ok: false, output: `${path} has ${total} lines; offset ${start} is past the end.` };
  const header =
    end < total || start > 1
      ? `${path}: lines ${start}-${end} of ${total}${end < total ? ` (next page: offset ${end + 1})` : ''}`
      : `${path}: ${total} lines`;
  // Said again at the end: the model reads the page to its last line and needs where to go on.
  const footer = end < total ? `\n[${total - end} more lines: call read_file with path "${path}" and offset ${end + 1}]` : '';
  return { ok: true, output: `${header}\n${numbered.join('\n')}${footer}`, data: { path, start, end, total } };
}
