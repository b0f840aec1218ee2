/**
 * In-memory ports for tests: a file store over a Map, a reviewer scripted by
 * the test, an event sink that records, and a manual clock.
 */
import * as path from 'node:path';
import { AgentEvent } from '../events';
import {
  Clock,
  EventSink,
  FileStore,
  OutsideWorkspaceError,
  ProposedChange,
  ReviewDecision,
  Reviewer,
  SecretName,
  Secrets,
} from '../ports';

export class MemoryFileStore implements FileStore {
  readonly files = new Map<string, string>();
  /** Folders made with createDir (the others exist because files are in them). */
  readonly dirs = new Set<string>();
  constructor(readonly root = '/workspace', initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) this.files.set(this.key(k), v);
  }
  private key(p: string): string {
    const abs = path.posix.resolve(this.root, p);
    const rel = path.posix.relative(this.root, abs);
    if (rel.startsWith('..') || path.posix.isAbsolute(rel)) throw new OutsideWorkspaceError(p, this.root);
    return rel;
  }
  resolve(p: string): string {
    return path.posix.join(this.root, this.key(p));
  }
  async read(p: string): Promise<string> {
    const v = this.files.get(this.key(p));
    if (v === undefined) throw Object.assign(new Error(`ENOENT: no such file '${p}'`), { code: 'ENOENT' });
    return v;
  }
  async readIfExists(p: string): Promise<string | undefined> {
    return this.files.get(this.key(p));
  }
  async write(p: string, text: string): Promise<void> {
    this.files.set(this.key(p), text);
  }
  async append(p: string, text: string): Promise<void> {
    const k = this.key(p);
    this.files.set(k, (this.files.get(k) ?? '') + text);
  }
  async createDir(p: string): Promise<boolean> {
    // Checked and set with no await in between: concurrent calls see each other.
    const k = this.key(p);
    if (this.has(k)) return false;
    this.dirs.add(k);
    return true;
  }
  async exists(p: string): Promise<boolean> {
    return this.has(this.key(p));
  }
  private has(k: string): boolean {
    const inside = (f: string) => f === k || f.startsWith(`${k}/`);
    return [...this.files.keys(), ...this.dirs].some(inside);
  }
  async list(dir: string, options: { recursive?: boolean; limit?: number } = {}): Promise<string[]> {
    const k = this.key(dir);
    const prefix = k === '' ? '' : `${k}/`;
    const out = new Set<string>();
    for (const f of [...this.files.keys()].sort()) {
      if (!f.startsWith(prefix)) continue;
      const rest = f.slice(prefix.length);
      if (options.recursive) out.add(f);
      else {
        const first = rest.split('/')[0];
        out.add(rest.includes('/') ? `${prefix}${first}/` : `${prefix}${first}`);
      }
    }
    // Empty folders made with createDir are listed like NodeFileStore lists them.
    for (const d of [...this.dirs].sort()) {
      if (!d.startsWith(prefix) || d === k) continue;
      out.add(options.recursive ? `${d}/` : `${prefix}${d.slice(prefix.length).split('/')[0]}/`);
    }
    return [...out].slice(0, options.limit ?? 2000);
  }
}

export type ScriptedDecision = ReviewDecision | ((change: ProposedChange) => ReviewDecision | Promise<ReviewDecision>);

/** A reviewer that answers from a queue; with an empty queue it accepts as proposed. */
export class ScriptedReviewer implements Reviewer {
  readonly seen: ProposedChange[] = [];
  constructor(private readonly queue: ScriptedDecision[] = []) {}
  push(...d: ScriptedDecision[]): void {
    this.queue.push(...d);
  }
  async propose(change: ProposedChange): Promise<ReviewDecision> {
    this.seen.push(change);
    const next = this.queue.shift();
    if (!next) return { kind: 'accepted', text: change.proposed, userPatch: '', auto: false };
    return typeof next === 'function' ? next(change) : next;
  }
}

export class RecordingEventSink implements EventSink {
  readonly events: AgentEvent[] = [];
  emit(event: AgentEvent): void {
    this.events.push(event);
  }
  ofType<T extends AgentEvent['type']>(type: T): Extract<AgentEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<AgentEvent, { type: T }>[];
  }
}

export class MemorySecrets implements Secrets {
  readonly values = new Map<SecretName, string>();
  async get(name: SecretName) {
    return this.values.get(name);
  }
  async set(name: SecretName, value: string) {
    this.values.set(name, value);
  }
  async delete(name: SecretName) {
    this.values.delete(name);
  }
}

/** A clock whose sleeps return at once and advance `now`. */
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
    this.sleeps.push(ms);
    this.t += ms;
  }
}
