// The request path as etcd's Go HTTP server sees it: percent escapes decoded
// (a bad one is a 400), then Go's ServeMux cleaning, which answers an unclean path
// ("//v3/kv/range", "/v3/kv/../kv/range") or "/v3" with a 301 to the clean one.
// Paths are held as latin1 strings, one char per byte, as Go holds them in bytes.

export interface RequestTarget {
  /** The decoded path, one char per byte. */
  readonly path: string;
  /** Everything after the first '?', as sent; '' when there was none. */
  readonly rawQuery: string;
}

const HEX_RADIX = 16;
const PERCENT_ESCAPE_CHARS = 3;
const ASCII_MAX = 0x7f;

/** The scheme and authority of an absolute-form target ("http://host/path", as sent to proxies). */
const ABSOLUTE_FORM_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/;

/** Go's url.ParseRequestURI (the path and query only); null where Go answers 400 Bad Request. */
export function parseRequestTarget(target: string): RequestTarget | null {
  const rawUrl = target.replace(ABSOLUTE_FORM_PREFIX, '');
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
  let path = '';
  for (let i = 0; i < rawPath.length; i++) {
    const char = rawPath[i]!;
    if (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === ASCII_MAX) return null;
    if (char !== '%') {
      path += char;
      continue;
    }
    const hex = rawPath.slice(i + 1, i + PERCENT_ESCAPE_CHARS);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
    path += String.fromCharCode(parseInt(hex, HEX_RADIX));
    i += PERCENT_ESCAPE_CHARS - 1;
  }
  return { path, rawQuery };
}

/** Go's path.Clean: one slash between segments, no "." segments, ".." resolved (never above the root). */
function cleanSegments(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/** Go's ServeMux cleanPath: path.Clean that keeps a trailing slash. */
export function cleanPath(path: string): string {
  if (path === '') return '/';
  const rooted = path.startsWith('/') ? path : `/${path}`;
  const clean = cleanSegments(rooted);
  return rooted.endsWith('/') && clean !== '/' ? `${clean}/` : clean;
}

/** Bytes Go's url.URL.String() leaves as they are in a path. */
const PATH_SAFE = /^[A-Za-z0-9\-_.~$&+,/:;=@]$/;

function escapePath(path: string): string {
  let escaped = '';
  for (const char of path) {
    escaped += PATH_SAFE.test(char) ? char : `%${char.charCodeAt(0).toString(HEX_RADIX).toUpperCase().padStart(2, '0')}`;
  }
  return escaped;
}

/** Go's hexEscapeNonASCII on a Location header (lower-case hex). */
function escapeNonAscii(text: string): string {
  let escaped = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    escaped += code > ASCII_MAX ? `%${code.toString(HEX_RADIX)}` : char;
  }
  return escaped;
}

/** Where Go's ServeMux redirects to (a clean path and the request's query), and the Location header for it. */
export function redirectTarget(cleanedPath: string, rawQuery: string): { url: string; location: string } {
  const url = rawQuery === '' ? escapePath(cleanedPath) : `${escapePath(cleanedPath)}?${rawQuery}`;
  return { url, location: escapeNonAscii(url) };
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;' };

/** The body Go's http.Redirect writes for a GET, one char per byte. */
export function redirectBody(url: string, statusText: string): string {
  return `<a href="${url.replace(/[&'<>"]/g, (char) => HTML_ESCAPES[char] ?? char)}">${statusText}</a>.\n\n`;
}
