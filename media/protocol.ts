/**
 * Messages between the side panel webview (media/) and the extension. A discriminated union;
 * the webview sends `ready` first, the extension answers with the state to render.
 */

/** Webview → extension. */
export type PanelToExtension = { type: 'ready' };

/** Extension → webview. */
export type ExtensionToPanel = { type: 'state'; title: string };
