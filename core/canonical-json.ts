/**
 * Canonical JSON (RFC 8785, the JSON Canonicalization Scheme, for the values we sign): what
 * every signature, plan hash and ledger leaf in the marketplace is computed over. One copy,
 * shared by the browser, the marketplace, the nodes and the CLIs.
 *
 * Numbers are written as ECMAScript writes them (RFC 8785 §3.2.2.3 adopts exactly that),
 * strings as JSON.stringify escapes them, object members sorted by UTF-16 code units
 * (§3.2.3). A test checks it against the `canonicalize` reference on random values.
 */
/**
 * RFC 8785-style canonical JSON for null, booleans, finite numbers, strings, arrays and plain
 * objects: keys sorted by UTF-16 code units, no whitespace, strings and numbers as
 * JSON.stringify writes them, undefined object members dropped. Throws TypeError on anything
 * else (non-finite numbers, bigint, functions, symbols, undefined outside an object member,
 * non-plain objects such as Date or Map, cycles).
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, new Set());
}

function canonical(value: unknown, ancestors: Set<object>): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (typeof value !== "object") throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  if (ancestors.has(value)) throw new TypeError("canonicalJson: cyclic value");
  ancestors.add(value);
  const text = Array.isArray(value) ? canonicalArray(value, ancestors) : canonicalObject(value, ancestors);
  ancestors.delete(value);
  return text;
}

function canonicalArray(items: unknown[], ancestors: Set<object>): string {
  return `[${items.map((item) => canonical(item, ancestors)).join(",")}]`;
}

function canonicalObject(obj: object, ancestors: Set<object>): string {
  const proto = Object.getPrototypeOf(obj) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new TypeError("canonicalJson: only plain objects are supported");
  const members = Object.entries(obj)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, ancestors)}`);
  return `{${members.join(",")}}`;
}
