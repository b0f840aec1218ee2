import { errorMessage } from './text';
import { ToolDefinition } from './types';

export const listFilesTool: ToolDefinition<{ path?: string; recursive?: boolean; limit?: number }> = {
  name: 'list_files',
  description:
    'List files and folders under a workspace folder (folders end with /). recursive=true walks below it ' +
    '(skipping .git, node_modules, virtualenvs). Default: the workspace root, not recursive, at most 500 entries.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Workspace-relative folder (default: the root).' },
      recursive: { type: 'boolean' },
      limit: { type: 'integer', description: 'Most entries to return (default 500).' },
    },
  },
  approval: 'free',
  async handler(args, ctx) {
    const dir = args.path && args.path !== '.' ? args.path.replace(/\/+$/, '') : '';
    const limit = Math.max(1, Math.min(5000, args.limit ?? 500));
    try {
      if (dir && !(await ctx.files.exists(dir))) return { ok: false, output: `Folder not found: ${dir}` };
      const entries = await ctx.files.list(dir, { recursive: args.recursive ?? false, limit: limit + 1 });
      const shown = entries.slice(0, limit);
      const more = entries.length > limit ? `\n[... more entries; narrow the folder or raise limit]` : '';
      return { ok: true, output: shown.length ? shown.join('\n') + more : `(empty folder: ${dir || '.'})`, data: { count: shown.length } };
    } catch (err) {
      return { ok: false, output: `Cannot list ${dir || '.'}: ${errorMessage(err)}` };
    }
  },
};
