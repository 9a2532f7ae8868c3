/**
 * What a node must remember across restarts to keep its promises, whatever the marketplace's
 * database says: the queries it answered (at most once each; the ε each charged to which
 * buyer), the contribution and audit rounds it served (once each), the consents spent (its
 * own nullifiers), the people's keys bound to their subject references, and the holder's
 * signed policy changes.
 *
 * An append-only JSON-lines file in keysDir, fsynced per entry, replayed at start. A torn
 * last line (a crash mid-write) is ignored: the entry it held never took effect.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import type { SigningPublicJwk } from "@/core/statements";

export type JournalEntry =
  | { t: "answered"; q: string; planHash: string; dataset: string; buyer: string; eps: number; at: number; groups: number }
  | { t: "contributed"; q: string }
  /** the per-group counts of an answered query, kept for the contribution round (counts only; retained `countsRetentionMs`) */
  | { t: "counts"; q: string; counts: string[]; suppressed?: boolean[]; at: number }
  | { t: "audit-chain"; q: string }
  | { t: "audit-proved"; q: string }
  | { t: "consent-used"; nonce: string; at: number }
  | { t: "bound"; subject: string; thumbprint: string; jwk: SigningPublicJwk; at: number }
  | { t: "activation-used"; subject: string; code: string }
  | { t: "policy"; dataset: string; version: number; policy: unknown; by: string; at: number }
  | { t: "holder-key"; thumbprint: string; jwk: SigningPublicJwk; code: string; at: number };

export class NodeJournal {
  readonly answered = new Map<string, Extract<JournalEntry, { t: "answered" }>>();
  private readonly served = new Set<string>();
  private readonly consentUses = new Map<string, number>();
  readonly bindings = new Map<string, { thumbprint: string; jwk: SigningPublicJwk }[]>();
  private readonly activations = new Set<string>();
  readonly policies = new Map<string, { version: number; policy: unknown }>();
  /** browser keys the holder enrolled with an enrolment code (beside config holderKeys) */
  readonly holderKeys = new Map<string, SigningPublicJwk>();
  private readonly enrolmentCodes = new Set<string>();
  private readonly counts = new Map<string, { counts: bigint[]; suppressed?: boolean[]; at: number }>();

  /** `countsRetentionMs`: how long a query's counts stay usable for its contribution round (10 minutes by default). */
  constructor(private readonly file: string, private readonly countsRetentionMs = 10 * 60_000, private readonly now: () => number = Date.now) {
    if (!existsSync(file)) return;
    const text = readFileSync(file, "utf8");
    for (const line of text.split("\n")) {
      if (!line) continue;
      try { this.apply(JSON.parse(line) as JournalEntry); } catch { /* a torn final line */ }
    }
    // End a torn line, so the next entry starts on a line of its own.
    if (text.length > 0 && !text.endsWith("\n")) appendFileSync(file, "\n");
  }

  private apply(e: JournalEntry) {
    switch (e.t) {
      case "answered": this.answered.set(e.q, e); break;
      case "counts": {
        if (this.now() - e.at > this.countsRetentionMs) break;
        this.counts.set(e.q, { counts: e.counts.map((c) => BigInt(c)), suppressed: e.suppressed, at: e.at });
        break;
      }
      case "contributed": case "audit-chain": case "audit-proved": this.served.add(`${e.t}:${e.q}`); break;
      case "consent-used": this.consentUses.set(e.nonce, (this.consentUses.get(e.nonce) ?? 0) + 1); break;
      case "bound": this.bindings.set(e.subject, [...(this.bindings.get(e.subject) ?? []).filter((b) => b.thumbprint !== e.thumbprint), { thumbprint: e.thumbprint, jwk: e.jwk }]); break;
      case "activation-used": this.activations.add(`${e.subject}:${e.code}`); break;
      case "policy": this.policies.set(e.dataset, { version: e.version, policy: e.policy }); break;
      case "holder-key": this.holderKeys.set(e.thumbprint, e.jwk); this.enrolmentCodes.add(e.code); break;
    }
  }

  append(e: JournalEntry) {
    const fd = openSync(this.file, "a", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(e)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.apply(e);
  }

  /**
   * Spend a query's ε before computing it (its "answered" entry); false if this query id was
   * answered before. Synchronous: a budget check just before it cannot be raced.
   */
  spend(e: Extract<JournalEntry, { t: "answered" }>): boolean {
    if (this.answered.has(e.q)) return false;
    this.append(e);
    return true;
  }

  /** Record an answered query's per-group counts (durably: a node restarted between rounds still answers the contribution round). */
  rememberCounts(queryId: string, counts: bigint[], suppressed: boolean[] | undefined, at: number) {
    for (const [k, v] of this.counts) if (at - v.at > this.countsRetentionMs || this.counts.size > 1000) this.counts.delete(k);
    this.append({ t: "counts", q: queryId, counts: counts.map(String), ...(suppressed ? { suppressed } : {}), at });
  }

  /** A query's counts, if recorded within the retention window. */
  countsOf(queryId: string): { counts: bigint[]; suppressed?: boolean[] } | undefined {
    const c = this.counts.get(queryId);
    if (!c || this.now() - c.at > this.countsRetentionMs) return undefined;
    return c;
  }

  wasServed(kind: "contributed" | "audit-chain" | "audit-proved", queryId: string) { return this.served.has(`${kind}:${queryId}`); }
  /** Mark a round served for a query; false if it was served before. */
  serveOnce(kind: "contributed" | "audit-chain" | "audit-proved", queryId: string): boolean {
    if (this.served.has(`${kind}:${queryId}`)) return false;
    this.append({ t: kind, q: queryId });
    return true;
  }

  consentUsesOf(nonce: string) { return this.consentUses.get(nonce) ?? 0; }
  activationUsed(subject: string, code: string) { return this.activations.has(`${subject}:${code}`); }
  enrolmentUsed(code: string) { return this.enrolmentCodes.has(code); }

  /** ε charged on a dataset since `since` (ms), queries being computed included: by one buyer, and by all. */
  spent(dataset: string, buyer: string, since: number): { buyer: number; total: number } {
    let b = 0, t = 0;
    for (const a of this.answered.values()) {
      if (a.dataset !== dataset || a.at < since) continue;
      t += a.eps;
      if (a.buyer === buyer) b += a.eps;
    }
    return { buyer: b, total: t };
  }
}
