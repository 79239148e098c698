// node-fetch 2 falls back to whatwg-url's URL only where Node has none; on Node it uses Node's own.
// This stands in for whatwg-url in the bundle (saves 280 KB of Unicode tables), exporting the same URL.
exports.URL = URL;
