// The kinds of value a flag holds and how command-line or environment text becomes one,
// with the error text Go's flag package gives for each kind.
import { type EtcdUrl, parseEtcdUrlList } from './etcd-urls.js';
import { type GoIntegerType, type GoParsed, parseGoBool, parseGoDuration, parseGoInteger } from './go-values.js';

export type FlagType =
  | { readonly kind: 'string' }
  /** A string restricted to a few values; anything else is rejected when set. */
  | { readonly kind: 'choice'; readonly choices: readonly string[] }
  | { readonly kind: 'bool' }
  | { readonly kind: 'integer'; readonly goType: GoIntegerType }
  | { readonly kind: 'duration' }
  /** A comma-separated URL list (kept sorted, as etcd keeps it). */
  | { readonly kind: 'urls' }
  /** A comma-separated set of strings (kept sorted and unique, as etcd keeps it). */
  | { readonly kind: 'string-set' };

export type FlagValue =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'integer'; readonly value: bigint }
  | { readonly kind: 'duration'; readonly nanoseconds: bigint }
  | { readonly kind: 'urls'; readonly urls: readonly EtcdUrl[] }
  | { readonly kind: 'list'; readonly items: readonly string[] };

function uniqueSorted(items: readonly string[]): string[] {
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** flag.Value.Set: the value, or the reason Go's flag package would give. */
export function parseFlagText(type: FlagType, text: string): GoParsed<FlagValue> {
  switch (type.kind) {
    case 'string':
      return { ok: true, value: { kind: 'text', text } };
    case 'choice':
      return type.choices.includes(text)
        ? { ok: true, value: { kind: 'text', text } }
        : { ok: false, error: 'invalid value' };
    case 'bool': {
      const value = parseGoBool(text);
      return value === undefined ? { ok: false, error: 'parse error' } : { ok: true, value: { kind: 'bool', value } };
    }
    case 'integer': {
      const parsed = parseGoInteger(text, type.goType);
      return parsed.ok ? { ok: true, value: { kind: 'integer', value: parsed.value } } : parsed;
    }
    case 'duration': {
      // The flag package hides time's message behind its generic one.
      const parsed = parseGoDuration(text);
      return parsed.ok ? { ok: true, value: { kind: 'duration', nanoseconds: parsed.value } } : { ok: false, error: 'parse error' };
    }
    case 'urls': {
      // An empty list is a valid value (e.g. --listen-metrics-urls, off by default).
      if (text === '') return { ok: true, value: { kind: 'urls', urls: [] } };
      const urls = parseEtcdUrlList(text);
      return 'error' in urls ? { ok: false, error: urls.error } : { ok: true, value: { kind: 'urls', urls } };
    }
    case 'string-set':
      return { ok: true, value: { kind: 'list', items: uniqueSorted(text.split(',')) } };
  }
}

export function textOf(value: FlagValue | undefined): string {
  return value?.kind === 'text' ? value.text : '';
}

export function boolOf(value: FlagValue | undefined): boolean {
  return value?.kind === 'bool' ? value.value : false;
}

export function integerOf(value: FlagValue | undefined): bigint {
  return value?.kind === 'integer' ? value.value : 0n;
}

export function nanosecondsOf(value: FlagValue | undefined): bigint {
  return value?.kind === 'duration' ? value.nanoseconds : 0n;
}

export function urlsOf(value: FlagValue | undefined): readonly EtcdUrl[] {
  return value?.kind === 'urls' ? value.urls : [];
}

export function itemsOf(value: FlagValue | undefined): readonly string[] {
  return value?.kind === 'list' ? value.items : [];
}
