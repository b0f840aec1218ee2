/**
 * The chat panel's message protocol: one table of what the host sends the
 * webview and what the webview sends the host.
 *
 * The webview is a browser page that renders model output and dataset
 * samples, so everything it sends is treated as untrusted input: the host
 * runs every message through {@link parseWebviewMessage} before acting.
 */
import { AgentEvent, RunState } from './events';

/** One run in the panel's run list (from the run folders and live events). */
export interface RunSummary {
  runId: string;
  title: string;
  state: RunState | 'unknown';
  /** Epoch ms of the last change, when known. */
  updatedAt?: number;
}

/** What the panel needs to know about the setup. */
export interface PanelConfig {
  provider: string;
  model: string;
  trusted: boolean;
  /** True when no LLM provider is configured: the recipe engine does the work. */
  recipeMode: boolean;
  /** False with no folder open. */
  hasWorkspace: boolean;
}

/** Host → webview. */
export type HostMessage =
  | { type: 'event'; event: AgentEvent }
  /** Replace the panel's content with this run's events (restore after hide/reload). */
  | { type: 'state'; runId: string | null; events: AgentEvent[] }
  | { type: 'runs'; runs: RunSummary[] }
  | { type: 'config'; config: PanelConfig }
  /** Put the keyboard focus in the input box. */
  | { type: 'focusInput' };

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'acceptChange'; changeId: string }
  | { type: 'rejectChange'; changeId: string; reason?: string }
  | { type: 'reviewChange'; changeId: string }
  | { type: 'openRun'; runId: string }
  | { type: 'openLink'; href: string }
  | { type: 'fineTune' }
  | { type: 'showRuns' }
  | { type: 'setApiKey' }
  /** A next step on a trained model's card: the host runs its command on that folder (checked there). */
  | { type: 'modelAction'; action: 'tryIt' | 'evaluate' | 'export'; folder: string }
  /** A webview-side failure worth logging (never shown as-is to the user). */
  | { type: 'error'; message: string };

export type WebviewMessageType = WebviewMessage['type'];

/** Longest chat message the host accepts (characters). */
export const MAX_TEXT = 20_000;
/** Longest id (change, run) the host accepts. */
export const MAX_ID = 200;
/** Longest link the host opens. */
export const MAX_HREF = 2_000;

type FieldSpec = { max: number; optional?: boolean; pattern?: RegExp };

const ID = /^[A-Za-z0-9._:@-]+$/;

/** The single table: every webview message type and its string fields. */
const WEBVIEW_MESSAGES: { readonly [K in WebviewMessageType]: Readonly<Record<string, FieldSpec>> } = {
  ready: {},
  send: { text: { max: MAX_TEXT } },
  stop: {},
  acceptChange: { changeId: { max: MAX_ID, pattern: ID } },
  rejectChange: { changeId: { max: MAX_ID, pattern: ID }, reason: { max: 2_000, optional: true } },
  reviewChange: { changeId: { max: MAX_ID, pattern: ID } },
  openRun: { runId: { max: MAX_ID, pattern: ID } },
  openLink: { href: { max: MAX_HREF } },
  fineTune: {},
  showRuns: {},
  setApiKey: {},
  modelAction: { action: { max: 20, pattern: /^(?:tryIt|evaluate|export)$/ }, folder: { max: 1_000 } },
  error: { message: { max: 4_000 } },
};

export const WEBVIEW_MESSAGE_TYPES = Object.keys(WEBVIEW_MESSAGES) as WebviewMessageType[];

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type ParseResult = WebviewMessage | { error: string };

export function isParseError(r: ParseResult): r is { error: string } {
  return 'error' in r && !('type' in r);
}

/**
 * Strict validation of a message from the webview: a plain object, a known
 * type, exactly the fields the table names, strings of bounded length, no
 * prototype-pollution keys. Returns a fresh object (never the input).
 */
export function parseWebviewMessage(raw: unknown): ParseResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { error: 'not an object' };
  const proto = Object.getPrototypeOf(raw);
  if (proto !== Object.prototype && proto !== null) return { error: 'not a plain object' };
  const keys = Reflect.ownKeys(raw);
  for (const k of keys) {
    if (typeof k !== 'string') return { error: 'symbol key' };
    if (FORBIDDEN_KEYS.has(k)) return { error: `forbidden key '${k}'` };
  }
  const obj = raw as Record<string, unknown>;
  const type = obj.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(WEBVIEW_MESSAGES, type)) {
    return { error: `unknown message type ${JSON.stringify(String(type)).slice(0, 60)}` };
  }
  const spec = WEBVIEW_MESSAGES[type as WebviewMessageType];
  const out: Record<string, unknown> = Object.create(null);
  out.type = type;
  for (const k of keys as string[]) {
    if (k === 'type') continue;
    if (!Object.prototype.hasOwnProperty.call(spec, k)) return { error: `unexpected field '${k.slice(0, 40)}' in '${type}'` };
    const desc = Object.getOwnPropertyDescriptor(raw, k);
    if (!desc || !('value' in desc)) return { error: `field '${k}' is an accessor` };
  }
  for (const [name, field] of Object.entries(spec)) {
    const has = Object.prototype.hasOwnProperty.call(obj, name);
    const value = has ? obj[name] : undefined;
    if (value === undefined) {
      if (field.optional) continue;
      return { error: `'${type}' needs '${name}'` };
    }
    if (typeof value !== 'string') return { error: `'${type}.${name}' must be a string` };
    if (value.length > field.max) return { error: `'${type}.${name}' is too long (${value.length} > ${field.max})` };
    if (field.pattern && !field.pattern.test(value)) return { error: `'${type}.${name}' has invalid characters` };
    out[name] = value;
  }
  // A plain object again, so callers can spread/serialise it normally.
  return { ...out } as WebviewMessage;
}

/** Only http(s) links leave VS Code; everything else is refused. */
export function isExternalLink(href: string): boolean {
  try {
    const u = new URL(href);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const HOST_TYPES = new Set<HostMessage['type']>(['event', 'state', 'runs', 'config', 'focusInput']);

/** Light check on the webview side (the host is trusted; this guards against other frames' messages). */
export function isHostMessage(raw: unknown): raw is HostMessage {
  return typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string' && HOST_TYPES.has((raw as { type: HostMessage['type'] }).type);
}
