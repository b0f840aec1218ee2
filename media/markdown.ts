/**
 * Model output → safe DOM. Three layers, each enough on its own:
 *  1. marked renders Markdown with raw HTML blocks/inline HTML ESCAPED (the
 *     model never gets to write markup);
 *  2. DOMPurify with a strict allow-list (no event handlers, no javascript:);
 *  3. the result is parsed into an inert <template> and REBUILT node by node
 *     into a fresh fragment: only allow-listed tags and attributes are
 *     created, links only for http(s)/mailto, text through text nodes.
 * Code blocks are then highlighted with ./highlight.ts (text nodes in spans).
 */
import { Marked } from 'marked';
import createDOMPurify from 'dompurify';
import { highlight } from './highlight';

const TAGS = [
  'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 'del', 'code', 'pre', 'blockquote',
  'ul', 'ol', 'li', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span',
] as const;
const ALLOWED_TAGS = new Set<string>(TAGS);
const ALLOWED_ATTRS: Record<string, ReadonlySet<string>> = {
  a: new Set(['href', 'title']),
  code: new Set(['class']),
  ol: new Set(['start']),
  th: new Set(['align']),
  td: new Set(['align']),
};
/** Elements whose content is dropped with them (never shown as text either). */
const DROP_WITH_CONTENT = new Set(['script', 'style', 'iframe', 'object', 'embed', 'template', 'noscript', 'svg', 'math', 'textarea', 'select']);

export function isSafeHref(href: string): boolean {
  const h = href.trim();
  return /^(https?:\/\/|mailto:)/i.test(h) && !/[\s<>"]/.test(h);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // Raw HTML from the model is shown as text, never interpreted.
    html: ({ text }) => escapeHtml(text),
    // Images would load remote content (CSP blocks it anyway): show the alt text and the link instead.
    image: ({ href, text }) => `${escapeHtml(text || 'image')} (${escapeHtml(href ?? '')})`,
  },
});

export type Purifier = (html: string) => string;

export function domPurifier(win: Window): Purifier {
  const purify = createDOMPurify(win as unknown as Parameters<typeof createDOMPurify>[0]);
  if (!purify.isSupported) return (html) => html; // the rebuild below still applies the allow-list
  return (html) =>
    purify.sanitize(html, {
      ALLOWED_TAGS: [...TAGS],
      ALLOWED_ATTR: ['href', 'title', 'class', 'start', 'align'],
      ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
      ALLOW_DATA_ATTR: false,
      ALLOW_ARIA_ATTR: false,
      FORBID_TAGS: ['style', 'img', 'svg', 'math', 'form', 'input'],
      KEEP_CONTENT: true,
    }) as string;
}

/** Markdown to HTML text with raw HTML escaped (layer 1 only; exported for tests). */
export function markdownToHtml(text: string): string {
  return marked.parse(text) as string;
}

export class MarkdownRenderer {
  private readonly purify: Purifier;

  constructor(private readonly doc: Document, purify?: Purifier) {
    this.purify = purify ?? domPurifier(doc.defaultView as Window);
  }

  render(text: string): DocumentFragment {
    const html = this.purify(markdownToHtml(text));
    const tpl = this.doc.createElement('template');
    tpl.innerHTML = html;
    const out = this.doc.createDocumentFragment();
    for (const child of Array.from(tpl.content.childNodes)) this.copy(child, out);
    return out;
  }

  private copy(node: Node, parent: Node): void {
    if (node.nodeType === 3 /* text */) {
      parent.appendChild(this.doc.createTextNode(node.textContent ?? ''));
      return;
    }
    if (node.nodeType !== 1 /* element */) return;
    const el = node as Element;
    const tag = el.tagName.toLowerCase();
    if (DROP_WITH_CONTENT.has(tag)) return;
    if (!ALLOWED_TAGS.has(tag)) {
      // Unknown wrapper: keep its text content, drop the element.
      for (const c of Array.from(el.childNodes)) this.copy(c, parent);
      return;
    }
    if (tag === 'a') {
      const href = el.getAttribute('href') ?? '';
      if (!isSafeHref(href)) {
        for (const c of Array.from(el.childNodes)) this.copy(c, parent);
        return;
      }
    }
    const copy = this.doc.createElement(tag);
    const allowed = ALLOWED_ATTRS[tag];
    if (allowed) {
      for (const name of allowed) {
        const v = el.getAttribute(name);
        if (v === null) continue;
        if (name === 'class' && !/^language-[A-Za-z0-9_+-]{1,20}$/.test(v)) continue;
        if (name === 'start' && !/^\d{1,6}$/.test(v)) continue;
        if (name === 'align' && !/^(left|right|center)$/.test(v)) continue;
        copy.setAttribute(name, v);
      }
    }
    if (tag === 'a') {
      copy.setAttribute('rel', 'noopener noreferrer');
      copy.setAttribute('data-link', '1');
    }
    if (tag === 'pre') {
      copy.setAttribute('tabindex', '0');
    }
    if (tag === 'code' && el.parentElement?.tagName.toLowerCase() === 'pre') {
      const lang = (copy.getAttribute('class') ?? '').replace(/^language-/, '');
      this.highlightInto(copy, el.textContent ?? '', lang);
      parent.appendChild(copy);
      return;
    }
    for (const c of Array.from(el.childNodes)) this.copy(c, copy);
    parent.appendChild(copy);
  }

  private highlightInto(code: Element, text: string, lang: string): void {
    for (const t of highlight(text, lang)) {
      if (t.cls === 'plain') code.appendChild(this.doc.createTextNode(t.text));
      else {
        const span = this.doc.createElement('span');
        span.className = `tok-${t.cls}`;
        span.textContent = t.text;
        code.appendChild(span);
      }
    }
  }
}
