/**
 * The side panel's webview app (browser, DOM only). Model output is always inserted as text.
 * This first version renders the title it is given; the results views come with the panel.
 */
import type { ExtensionToPanel, PanelToExtension } from './protocol';

interface VsCodeApi {
  postMessage(message: PanelToExtension): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscodeApi = acquireVsCodeApi();
window.addEventListener('message', (event: MessageEvent<ExtensionToPanel>) => {
  const message = event.data;
  if (message.type === 'state') {
    const heading = document.createElement('h2');
    heading.textContent = message.title;
    document.body.replaceChildren(heading);
  }
});
vscodeApi.postMessage({ type: 'ready' });
