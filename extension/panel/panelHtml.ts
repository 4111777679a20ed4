/**
 * The panel's HTML, as a pure template so its security properties are unit-tested without
 * VS Code: a CSP with `default-src 'none'`, only our stylesheet and our nonce'd script, and no
 * inline script or style. The app itself is built by media/panel.ts with DOM APIs.
 */

export interface PanelHtmlParams {
  /** `webview.cspSource`: the origin webview resources are served from. */
  cspSource: string;
  /** `webview.asWebviewUri` of dist/media/panel.js. */
  scriptUri: string;
  /** `webview.asWebviewUri` of media/panel.css. */
  styleUri: string;
  /** Fresh per render (see `createNonce`), so an old page's nonce never validates a new script. */
  nonce: string;
  /** The page's title (the sidebar's compact list or the full report). */
  title?: string;
}

/** Escapes a value placed inside a double-quoted attribute (URIs and the CSP source are ours, but paths may hold `&` or `"`). */
function attr(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return (
    [
      "default-src 'none'",
      `style-src ${cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${cspSource} data:`,
    ].join('; ') + ';'
  );
}

export function renderPanelHtml(params: PanelHtmlParams): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(params.nonce))
    throw new Error('renderPanelHtml: the nonce must be at least 16 base64 characters');
  const csp = contentSecurityPolicy(params.cspSource, params.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${attr(params.styleUri)}">
  <title>${attr(params.title ?? 'MCPO Results')}</title>
</head>
<body>
  <noscript>The MCPO Results panel needs scripts enabled.</noscript>
  <p class="muted">Loading ${attr(params.title ?? 'MCPO Results')}…</p>
  <script nonce="${attr(params.nonce)}" src="${attr(params.scriptUri)}"></script>
</body>
</html>
`;
}
