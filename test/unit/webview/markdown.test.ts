import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MarkdownRenderer, domPurifier, isSafeHref, markdownToHtml } from '../../../media/markdown';
import { highlight } from '../../../media/highlight';
import { dom, executableBits, identity } from './helpers';

const ATTACKS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '[click](javascript:alert(1))',
  '[click](JaVaScRiPt:alert(1))',
  '[click]( javascript:alert(1))',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '<a href="javascript:alert(1)">x</a>',
  '<iframe src="https://evil"></iframe>',
  '<svg onload=alert(1)><circle/></svg>',
  '<div onclick="alert(1)" style="position:fixed">x</div>',
  '![x](https://evil/pixel.png)',
  '<details open ontoggle=alert(1)>',
  '<style>body{display:none}</style>',
  '[cmd](command:workbench.action.terminal.new)',
  '<form action="javascript:alert(1)"><button>go</button></form>',
  '`<script>alert(1)</script>`',
  '```html\n<script>alert(1)</script>\n```',
  '<<script>script>alert(1)<</script>/script>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
];

function render(text: string, purify?: (h: string) => string) {
  const { document } = dom();
  const md = new MarkdownRenderer(document, purify);
  const div = document.createElement('div');
  div.appendChild(md.render(text));
  return div;
}

test('model output never produces an executable element or attribute (rebuild layer alone)', () => {
  for (const a of ATTACKS) {
    const div = render(`before ${a} after`, identity);
    assert.deepEqual(executableBits(div), [], a);
    assert.equal(div.querySelectorAll('[style]').length, 0, a);
  }
});

test('the same holds through DOMPurify (the bundle path)', () => {
  for (const a of ATTACKS) {
    const { window, document } = dom();
    const md = new MarkdownRenderer(document, domPurifier(window as unknown as Window));
    const div = document.createElement('div');
    div.appendChild(md.render(a));
    assert.deepEqual(executableBits(div), [], a);
  }
});

test('raw HTML is shown as text, not interpreted', () => {
  assert.match(markdownToHtml('<b onclick=x>y</b>'), /&lt;b onclick=x&gt;y&lt;\/b&gt;/);
  const div = render('hello <script>alert(1)</script>', identity);
  assert.match(div.textContent ?? '', /<script>alert\(1\)<\/script>/);
});

test('safe Markdown keeps its structure: emphasis, lists, tables, http(s) links', () => {
  const div = render('**bold** _it_\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n[hf](https://huggingface.co "Hub")', identity);
  assert.equal(div.querySelector('strong')?.textContent, 'bold');
  assert.equal(div.querySelectorAll('li').length, 2);
  assert.equal(div.querySelectorAll('td').length, 2);
  const a = div.querySelector('a');
  assert.equal(a?.getAttribute('href'), 'https://huggingface.co');
  assert.equal(a?.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(a?.getAttribute('title'), 'Hub');
});

test('unsafe links lose their href but keep their text', () => {
  const div = render('[click me](javascript:alert(1)) and [file](file:///etc/passwd)', identity);
  assert.equal(div.querySelectorAll('a').length, 0);
  assert.match(div.textContent ?? '', /click me/);
  assert.ok(isSafeHref('https://x.y/z'));
  assert.ok(!isSafeHref('javascript:alert(1)'));
  assert.ok(!isSafeHref('https://x y'));
});

test('code blocks are highlighted with spans whose text is the code', () => {
  const code = 'import torch\nfor i in range(3):\n    print("hi", i)  # comment';
  const div = render('```python\n' + code + '\n```', identity);
  const el = div.querySelector('pre > code');
  assert.ok(el);
  assert.equal(el.getAttribute('class'), 'language-python');
  assert.equal(el.textContent, code + '\n');
  assert.ok(el.querySelector('.tok-kw'));
  assert.ok(el.querySelector('.tok-str'));
  assert.ok(el.querySelector('.tok-com'));
});

test('the highlighter round-trips text for every language', () => {
  const samples: Record<string, string> = {
    python: 'def f(x=1.5e-3):\n    """doc"""\n    return {"a": x, \'b\': None}  # c',
    bash: 'export HF_TOKEN=$TOKEN\npython train.py --lr 2e-4 "${ARGS}" # run\necho \'single $x\'',
    yaml: 'model: Qwen/Qwen2.5\nlr: 0.0002\nuse_peft: true\n# comment\nlist:\n  - "a"',
    json: '{"model": "x", "lr": 2e-4, "ok": true, "n": null, "list": [1, 2]}',
    text: 'plain <b> text',
  };
  for (const [lang, code] of Object.entries(samples)) {
    const toks = highlight(code, lang);
    assert.equal(toks.map((t) => t.text).join(''), code, lang);
  }
  const json = highlight('{"model": "x", "n": 1}', 'json');
  assert.deepEqual(json.filter((t) => t.cls === 'key').map((t) => t.text), ['"model"', '"n"']);
  const yaml = highlight('lr: 0.1\nflag: true', 'yaml');
  assert.ok(yaml.some((t) => t.cls === 'key' && t.text === 'lr'));
  assert.ok(yaml.some((t) => t.cls === 'lit' && t.text === 'true'));
});
