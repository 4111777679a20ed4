import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Dom from '../../../media/dom';
import { loadSource } from './loadSource';

const { h, table, textCell } = loadSource<typeof Dom>('media/dom.ts');

/**
 * A document that records what the builders do. It has no HTML parser at all, so the only
 * way markup could appear is if a builder produced elements from text, which is what we check.
 */
class FakeText {
  constructor(readonly data: string) {}
}
class FakeElement {
  readonly attributes = new Map<string, string>();
  readonly children: FakeNode[] = [];
  constructor(readonly tagName: string) {}
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }
  append(...nodes: FakeNode[]): void {
    this.children.push(...nodes);
  }
}
type FakeNode = FakeElement | FakeText;
const fakeDocument: Dom.DocumentLike<FakeElement, FakeNode> = {
  createElement: (tag: string) => new FakeElement(tag),
  createTextNode: (data: string) => new FakeText(data),
};

/** Serialises like a browser does: text is escaped, elements are tags. */
function serialize(node: FakeNode): string {
  if (node instanceof FakeText)
    return node.data.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const attrs = [...node.attributes]
    .map(([k, v]) => ` ${k}="${v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`)
    .join('');
  return `<${node.tagName}${attrs}>${node.children.map(serialize).join('')}</${node.tagName}>`;
}

function elements(node: FakeNode): FakeElement[] {
  return node instanceof FakeText ? [] : [node, ...node.children.flatMap(elements)];
}

const ATTACK = '<img src=x onerror=alert(1)>';

test('a text cell holds model output as one Text node, shown as those characters', () => {
  const td = textCell<FakeElement, FakeNode>(fakeDocument, ATTACK);
  assert.equal(td.tagName, 'td');
  assert.equal(td.children.length, 1);
  const [child] = td.children;
  assert.ok(child instanceof FakeText);
  assert.equal(child.data, ATTACK);
  assert.equal(serialize(td), '<td>&lt;img src=x onerror=alert(1)&gt;</td>');
  assert.deepEqual(
    elements(td).map((e) => e.tagName),
    ['td'],
  );
});

test('a table of hostile rows has header cells and no element but the table structure', () => {
  const row = h<FakeElement, FakeNode>(
    fakeDocument,
    'tr',
    {},
    textCell(fakeDocument, ATTACK),
    textCell(fakeDocument, '</td><script>x()</script>'),
  );
  const t = table<FakeElement, FakeNode>(
    fakeDocument,
    { 'data-testid': 'questions' },
    ATTACK,
    ['#', 'Task'],
    [row],
  );
  const tags = new Set(elements(t).map((e) => e.tagName));
  assert.deepEqual([...tags].sort(), ['caption', 'table', 'tbody', 'td', 'th', 'thead', 'tr']);
  const html = serialize(t);
  assert.doesNotMatch(html, /<img|<script/);
  assert.match(html, /<th scope="col">#<\/th>/);
  assert.match(html, /&lt;\/td&gt;&lt;script&gt;x\(\)&lt;\/script&gt;/);
});

test('attributes: event handlers and inline styles are refused, absent values skipped', () => {
  assert.throws(() => h(fakeDocument, 'div', { onclick: 'alert(1)' }));
  assert.throws(() => h(fakeDocument, 'div', { OnError: 'alert(1)' }));
  assert.throws(() => h(fakeDocument, 'div', { style: 'color:red' }));
  const b = h<FakeElement, FakeNode>(
    fakeDocument,
    'button',
    { disabled: true, title: null, hidden: false, 'data-index': 3 },
    'Go',
    null,
    7,
  );
  assert.deepEqual(
    [...b.attributes],
    [
      ['disabled', ''],
      ['data-index', '3'],
    ],
  );
  assert.deepEqual(
    b.children.map((c) => (c instanceof FakeText ? c.data : c.tagName)),
    ['Go', '7'],
  );
});
