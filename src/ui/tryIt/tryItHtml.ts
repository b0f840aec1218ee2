/**
 * The Try-it view's HTML shell: the chat panel's strict CSP (a per-load nonce for the one script
 * and the one stylesheet, nothing remote), the editor's theme colours. Free of 'vscode' so it is
 * tested directly.
 */
import { attr, contentSecurityPolicy } from '../chat/webviewHtml';

const STYLE = `
body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);background:var(--vscode-editor-background);padding:0 1em 2em}
h1{font-size:1.3em}h2{font-size:1em;margin:1.2em 0 .4em;white-space:pre-wrap}h3{font-size:.9em;margin:0 0 .4em;opacity:.8}
.sub{opacity:.8}
fieldset{border:1px solid var(--vscode-widget-border,var(--vscode-editorWidget-border));margin:.5em 0;padding:.5em}
textarea,input,select{font-family:inherit;color:var(--vscode-input-foreground);background:var(--vscode-input-background);border:1px solid var(--vscode-input-border,transparent);padding:3px}
textarea.prompt{display:block;width:100%;box-sizing:border-box;margin:.2em 0;resize:vertical}
.field{display:block;margin:.4em 0}.field textarea,.field input[type=text]{display:block;width:100%;box-sizing:border-box}
.sampling{display:flex;gap:1em;flex-wrap:wrap}.sampling input{width:7em;display:block}
button{font-family:inherit;color:var(--vscode-button-foreground);background:var(--vscode-button-background);border:none;padding:4px 12px;margin:.3em .5em .3em 0;cursor:pointer}
button:hover{background:var(--vscode-button-hoverBackground)}button:disabled{opacity:.5;cursor:default}
button[data-testid=tryit-stop],button[data-testid=tryit-add-prompt],button[data-testid=tryit-serve-stop]{color:var(--vscode-button-secondaryForeground);background:var(--vscode-button-secondaryBackground)}
:focus-visible{outline:1px solid var(--vscode-focusBorder);outline-offset:1px}
.status[data-state=failed]{color:var(--vscode-errorForeground)}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.col{border:1px solid var(--vscode-widget-border,var(--vscode-editorWidget-border));padding:.5em;min-width:0}
.col.trained{border-color:var(--vscode-focusBorder)}
.answer{white-space:pre-wrap;word-break:break-word;font-family:var(--vscode-editor-font-family);min-height:1.5em}
.answer[data-state=streaming]::after{content:'▍';opacity:.6}
.meta{opacity:.7;font-size:.85em;margin-top:.4em}
.log{white-space:pre-wrap;max-height:15em;overflow:auto;font-family:var(--vscode-editor-font-family);font-size:.85em}
`;

export function tryItCsp(cspSource: string, nonce: string): string {
  return contentSecurityPolicy(cspSource, nonce);
}

export function tryItHtml(p: { cspSource: string; scriptUri: string; nonce: string; title: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(tryItCsp(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${attr(p.nonce)}">${STYLE}</style>
<title>${attr(p.title)}</title>
</head>
<body>
<main id="app" data-testid="tryit-root"></main>
<script nonce="${attr(p.nonce)}" src="${attr(p.scriptUri)}"></script>
</body>
</html>`;
}
