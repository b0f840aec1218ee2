// A code action in the real workbench (mlIntern.agent.actions = code): the model (a fake OpenAI-
// compatible server, through the real openai SDK) answers with one Python step that inspects the
// sample dataset and calls the workspace's own @tool in the same step. The step and the custom tool
// run inside bubblewrap with the network off, so under autoApprove "sandboxed" nothing asks. The
// panel shows the code, its output and the sandbox badge.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../workbench.mjs';
import { openChatWithFakeLlm, waitForRunState, writeWorkspaceSettings } from '../lib.mjs';

const TOOL = `from ml_intern_tool import tool


@tool
def count_rows(path: str) -> str:
    """
    Counts the non-empty lines of a JSON Lines file.

    Args:
        path: Workspace-relative path of the file.
    """
    with open(path, encoding="utf-8") as f:
        return f"{sum(1 for line in f if line.strip())} rows in {path}"
`;

const CODE = [
  'info = inspect_data(dataset="data/medical_qa.jsonl")',
  'print("inspected:", info.splitlines()[0][:120])',
  'counted = count_rows(path="data/medical_qa.jsonl")',
  'print("custom tool says:", counted)',
  'counted',
].join('\n');

const call = (id, name, args) => ({ id, name, arguments: JSON.stringify(args) });
const TURNS = [
  { text: 'One step: inspect the data and count its rows with your tool.', toolCalls: [call('c1', 'python', { reason: 'inspect the data and count its rows', code: CODE })] },
  { toolCalls: [call('c2', 'finish', { summary: 'Inspected data/medical_qa.jsonl and counted its rows with count_rows.' })] },
];

export const flow = {
  id: 'code-action',
  name: 'Code action: one sandboxed Python step inspects the data and calls a custom @tool (confined too, no dialog); the card shows code, output and the sandbox badge',
  async run(ctx) {
    const { llm, page, chat } = await openChatWithFakeLlm(ctx, TURNS);
    mkdirSync(join(ctx.workspace, '.ml-intern', 'tools'), { recursive: true });
    writeFileSync(join(ctx.workspace, '.ml-intern', 'tools', 'data_tools.py'), TOOL);
    // Read when a chat run starts: code actions, bubblewrap with the network off, and sandboxed steps without asking.
    writeWorkspaceSettings(ctx.workspace, {
      'mlIntern.provider': 'openai-compatible', 'mlIntern.baseUrl': `${llm.url}/v1`, 'mlIntern.model': 'fake-model',
      'mlIntern.agent.actions': 'code', 'mlIntern.sandbox': 'bubblewrap', 'mlIntern.sandboxNetwork': 'off', 'mlIntern.autoApprove': 'sandboxed',
    });
    await new Promise((r) => setTimeout(r, 1500)); // the workbench picks up the settings file
    await chat.locator('[data-testid="chat-input"]').fill('Look at data/medical_qa.jsonl and count its rows with my tool');
    await chat.locator('[data-testid="send-button"]').click();

    const output = async () => (await chat.locator('[data-testid="run-output"], [data-testid="tool-card"], .card').allTextContents()).join('\n');
    await waitFor('the step\'s output in the panel', async () => /custom tool says: \d+ rows in data\/medical_qa\.jsonl/.test(await output()), { timeoutMs: 90000 });
    const badge = chat.locator('[data-testid="run-card-sandbox"]').first();
    await badge.waitFor({ state: 'visible', timeout: 30000 });
    const label = (await badge.textContent()) ?? '';
    if (!/^sandboxed: bubblewrap, network off$/.test(label)) throw new Error(`the sandbox badge reads '${label}'`);
    const code = (await chat.locator('[data-testid="tool-code"]').allTextContents()).join('\n');
    if (!code.includes('counted = count_rows(path="data/medical_qa.jsonl")')) throw new Error(`the panel does not show the step's code as written: ${code.slice(0, 400)}`);
    // Open the step's card so the screenshot shows the code.
    await chat.locator('[data-testid="tool-code"]').first().evaluate((el) => { el.closest('details').open = true; el.scrollIntoView(); });
    await ctx.screenshot(page, '1-code-action-card');
    if ((await page.locator('.monaco-dialog-box').count()) > 0) throw new Error('a dialog asked, though the step and the tool ran confined under autoApprove "sandboxed"');
    await waitForRunState(ctx.workspace, 'succeeded', 60000);
    // The model got the step's observation: the tool's answer and the last expression's value.
    await waitFor('the recorded requests', async () => /custom tool says/.test(readFileSync(llm.record, 'utf8')), { timeoutMs: 10000 });
  },
};
