/**
 * The fake LLM server as a process, for E2E tests:
 *
 *   node --import tsx test/support/fakeLlmServerMain.ts --script turns.json [--port 0] [--record requests.json]
 *
 * `turns.json` is either an array of FakeTurn or `{ "turns": [...], "whenEmpty": {...}, "models": [...] }`.
 * Prints the base URL (http://127.0.0.1:<port>) as the first stdout line once listening; OpenAI clients
 * use `<url>/v1`, Anthropic clients `<url>`. With --record, every request received is written to that file
 * (a JSON array, rewritten after each request). Stops on SIGTERM / SIGINT.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { FakeTurn, startFakeLlmServer } from './fakeLlmServer';

interface ScriptFile {
  turns?: FakeTurn[];
  whenEmpty?: FakeTurn;
  models?: string[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

async function main(): Promise<void> {
  const scriptPath = arg('script');
  const parsed: unknown = scriptPath ? JSON.parse(readFileSync(scriptPath, 'utf8')) : [];
  const script: ScriptFile = Array.isArray(parsed) ? { turns: parsed as FakeTurn[] } : (parsed as ScriptFile);
  const record = arg('record');
  const server = await startFakeLlmServer({
    port: Number(arg('port') ?? 0),
    whenEmpty: script.whenEmpty,
    models: script.models,
    onRequest: () => {
      if (record) writeFileSync(record, JSON.stringify(server.requests, null, 2));
    },
  });
  server.script(script.turns ?? []);
  process.stdout.write(`${server.url}\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`fake LLM server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
