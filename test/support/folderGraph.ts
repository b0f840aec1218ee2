/**
 * The folder graph of src/core read from its imports, and the cycles in it: the layering test
 * (test/unit/layering.test.ts) fails on any cycle and names it with the imports that make it.
 * A folder is a direct child of src/core; the files directly in src/core (ports.ts, events.ts,
 * settings.ts, …) form the folder ROOT_FILES, the lowest layer.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const ROOT_FILES = '(src/core/*.ts)';

/** One import that crosses folders: `site` is "<file under src/core> imports <specifier>". */
export interface FolderEdge {
  from: string;
  to: string;
  site: string;
}

/** Every .ts file under `dir`, recursively. */
export function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

// Static imports and re-exports (type-only ones too: a type is a dependency of the layer), dynamic import(), require().
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]*)['"]/g;

/** Every import between two different folders of `root` (src/core by default). */
export function coreFolderEdges(root = resolve(__dirname, '../../src/core')): FolderEdge[] {
  const folderOf = (file: string): string => {
    const parts = relative(root, file).split(sep);
    return parts.length === 1 ? ROOT_FILES : parts[0];
  };
  const edges: FolderEdge[] = [];
  for (const file of tsFiles(root).sort()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolve(dirname(file), m[1]);
      if (target !== root && !target.startsWith(root + sep)) continue; // outside the core: not a layer of it
      const from = folderOf(file);
      // `../tools` (a folder's index.ts) belongs to that folder, not to the root files.
      const to = existsSync(target) && statSync(target).isDirectory() ? folderOf(join(target, 'index.ts')) : folderOf(target);
      if (from !== to) edges.push({ from, to, site: `${relative(root, file).split(sep).join('/')} imports ${m[1]}` });
    }
  }
  return edges;
}

/**
 * The cycles of the graph: for each strongly connected component of more than one folder, the
 * shortest cycle through each of its folders (duplicates dropped), as a closed path (first folder
 * repeated at the end) with the imports that make each hop.
 */
export function folderCycles(edges: readonly FolderEdge[]): { path: string[]; sites: string[] }[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    const targets = next.get(e.from) ?? new Set<string>();
    targets.add(e.to);
    next.set(e.from, targets);
  }
  const cycles: { path: string[]; sites: string[] }[] = [];
  const seen = new Set<string>();
  for (const component of stronglyConnected(next)) {
    if (component.length < 2) continue;
    const inside = new Set(component);
    for (const start of component.sort()) {
      const path = shortestCycle(start, next, inside);
      const key = [...path.slice(1)].sort().join('|');
      if (seen.has(key)) continue;
      seen.add(key);
      const sites: string[] = [];
      for (let i = 0; i + 1 < path.length; i++) {
        const hop = edges.filter((e) => e.from === path[i] && e.to === path[i + 1]).map((e) => e.site);
        // A few imports per hop name it; the rest are counted so the message stays readable.
        sites.push(...hop.slice(0, 4));
        if (hop.length > 4) sites.push(`${hop.length - 4} more from ${path[i]} to ${path[i + 1]}`);
      }
      cycles.push({ path, sites });
    }
  }
  return cycles;
}

/** A cycle as a sentence: "agent → session → agent (agent/x.ts imports ../session/y; …)". */
export function describeCycle(cycle: { path: string[]; sites: string[] }): string {
  return `${cycle.path.join(' → ')} (${cycle.sites.join('; ')})`;
}

/** Tarjan's algorithm (recursive: the depth is at most the number of folders). */
function stronglyConnected(next: Map<string, Set<string>>): string[][] {
  const nodes = new Set<string>([...next.keys(), ...[...next.values()].flatMap((s) => [...s])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      out.push(component);
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** The shortest path start → … → start inside one component (breadth first). */
function shortestCycle(start: string, next: Map<string, Set<string>>, inside: Set<string>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i];
    for (const w of [...(next.get(v) ?? [])].sort()) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x: string | undefined = v; x !== undefined && x !== start; x = parent.get(x)) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
