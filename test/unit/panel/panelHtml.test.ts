import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as PanelHtml from '../../../extension/panel/panelHtml';
import { loadSource } from './loadSource';

const { renderPanelHtml, contentSecurityPolicy } = loadSource<typeof PanelHtml>(
  'extension/panel/panelHtml.ts',
);

const params = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/media/panel.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.css',
  nonce: 'q9Xc0kZ2d1n3Vb8wLm4Tr7Ya',
};

function cspOf(html: string): string {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(match, 'the page has a CSP meta tag');
  return match[1];
}

test('the CSP allows nothing by default, only our styles, and only the nonce for scripts', () => {
  const csp = cspOf(renderPanelHtml(params));
  assert.equal(csp, contentSecurityPolicy(params.cspSource, params.nonce));
  assert.match(csp, /^default-src 'none'; /);
  assert.match(csp, new RegExp(`script-src 'nonce-${params.nonce}';`));
  assert.match(csp, /style-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net;/);
  assert.match(csp, /img-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net data:;/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
});

test('every script carries the nonce and loads from the webview URI; none is inline', () => {
  const html = renderPanelHtml(params);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, new RegExp(`nonce="${params.nonce}"`));
    assert.match(attrs, new RegExp(`src="${params.scriptUri.replace(/[.+]/g, '\\$&')}"`));
    assert.equal(body.trim(), '', 'no inline script body');
  }
  assert.doesNotMatch(html, /<style\b/, 'no inline style element');
  assert.doesNotMatch(html, /\sstyle=/, 'no style attributes');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
});

test('no remote URLs: every http(s) URL is the webview resource origin', () => {
  const html = renderPanelHtml(params);
  const urls = [...html.matchAll(/https?:\/\/[^\s"';]+/g)].map((m) => m[0]);
  assert.ok(urls.length > 0);
  for (const url of urls) assert.ok(url.startsWith(params.cspSource), `unexpected URL ${url}`);
  assert.doesNotMatch(html, /\/\/(cdn|unpkg|fonts)\./);
});

test('a fresh nonce gives a different page; a weak nonce is refused', () => {
  const other = renderPanelHtml({ ...params, nonce: 'Zr3Lq8Pw2Nc6Vx1Kt5Hj9Bm0' });
  assert.notEqual(cspOf(other), cspOf(renderPanelHtml(params)));
  assert.throws(() => renderPanelHtml({ ...params, nonce: 'abc' }));
  assert.throws(() => renderPanelHtml({ ...params, nonce: `${params.nonce}" onload="x` }));
});

test('the page says it is loading before its script runs (a webview is blank until then)', () => {
  const html = renderPanelHtml({ ...params, title: 'MCPO Report' });
  assert.match(html, /<body>[\s\S]*<p class="muted">Loading MCPO Report…<\/p>[\s\S]*<script /);
});

test('URIs are attribute-escaped', () => {
  const html = renderPanelHtml({ ...params, styleUri: `${params.cspSource}/a"b&c.css` });
  assert.match(html, /href="[^"]*a&quot;b&amp;c\.css"/);
});
