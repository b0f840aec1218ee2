// Webview entry point (bundled to dist/webview.js). The chat panel replaces this.
export {};
