/**
 * The one way the panel builds elements. Text (model output, labels, file names) only ever
 * becomes Text nodes, so a response like `<img src=x onerror=alert(1)>` shows as those
 * characters. Nothing in the panel assigns innerHTML/outerHTML or calls insertAdjacentHTML.
 *
 * Written against a small slice of the DOM rather than the DOM lib types, so unit tests run it
 * in Node with a fake document; the real `document` satisfies the same shape.
 */

/** The element operations the builders use. */
export interface ElementLike<N> {
  setAttribute(name: string, value: string): void;
  append(...nodes: N[]): void;
}

/** The document operations the builders use. */
export interface DocumentLike<E extends ElementLike<N> & N, N> {
  createElement(tagName: string): E;
  createTextNode(data: string): N;
}

/** A child: an element, a node, plain text (becomes a Text node), or nothing (skipped). */
export type Child<N> = N | string | number | null | undefined | false;

/** Attribute values; `false`/null/undefined leave the attribute out, `true` sets it empty. */
export type Attributes = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * Event handler attributes and inline styles are refused: the CSP would block them anyway,
 * and an attribute name must never come from data.
 */
const FORBIDDEN_ATTRIBUTE = /^(on|style$|srcdoc$)/i;

/** Builds `<tag attrs>children</tag>`; text children become Text nodes, never markup. */
export function h<E extends ElementLike<N> & N, N>(
  doc: DocumentLike<E, N>,
  tag: string,
  attrs: Attributes = {},
  ...children: Child<N>[]
): E {
  const element = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (FORBIDDEN_ATTRIBUTE.test(name))
      throw new Error(`attribute ${name} is not allowed in the panel`);
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(
      typeof child === 'string' || typeof child === 'number'
        ? doc.createTextNode(String(child))
        : child,
    );
  }
  return element;
}

/** A table cell holding `text` as a single Text node (what the question table is made of). */
export function textCell<E extends ElementLike<N> & N, N>(
  doc: DocumentLike<E, N>,
  text: string,
  header = false,
  attrs: Attributes = {},
): E {
  return h(doc, header ? 'th' : 'td', header ? { scope: 'col', ...attrs } : attrs, text);
}

/** A table with a header row (`<th scope=col>`) and body rows; accessible by construction. */
export function table<E extends ElementLike<N> & N, N>(
  doc: DocumentLike<E, N>,
  attrs: Attributes,
  caption: string,
  headers: readonly string[],
  rows: readonly E[],
): E {
  const head = h(
    doc,
    'thead',
    {},
    h(doc, 'tr', {}, ...headers.map((text) => textCell(doc, text, true))),
  );
  return h(doc, 'table', attrs, h(doc, 'caption', {}, caption), head, h(doc, 'tbody', {}, ...rows));
}
