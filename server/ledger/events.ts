/**
 * What goes on the ledger. Every state change of the market records one event, inside the
 * transaction of the change itself, so a change is on the ledger exactly when it happened.
 *
 * A leaf is the canonical JSON (RFC 8785 for our value domain) of
 *   { v: 1, id, type, at, actor, object?, refs?, data? }
 * with organisation ids as actors, object identifiers, states, ε and hashes only: never a
 * person's identity, never a name or free text (reasons are committed to by their SHA-256),
 * never a data value.
 */
import { createHash, randomUUID } from "node:crypto";
import { canonicalJson } from "@/core/canonical-json";
import type { Prisma } from "../db/generated/client";

export const eventTypes = [
  "resource.registered", "resource.changed", "resource.retired", "resource.reclassified",
  "product.submitted", "product.approved", "product.rejected", "product.paused", "product.resumed",
  "demand.posted", "demand.answered", "demand.closed",
  "order.placed", "order.approved", "order.refused", "order.activated", "order.cancelled",
  "query.accepted", "query.refused", "query.delivered", "query.failed", "buyer.key.registered", "buyer.key.retired",
  "consent.granted", "consent.refused", "consent.revoked", "consent.spent", "envelope.delivered", "subject.key.bound",
  "payment.received", "payment.refunded", "settlement.posted", "payout.sent",
  "supervision.suspended", "supervision.lifted",
  "commitment.registered", "audit.requested", "audit.completed",
] as const;
export type EventType = (typeof eventTypes)[number];

type Scalar = string | number | boolean | null;
export type LedgerEvent = {
  type: EventType;
  /** the organisation that acted; absent when the market itself did (a job, a deadline) */
  actorOrgId?: string | null;
  /** the main object: resource, product, demand, order, query, suspension… */
  objectId?: string;
  /** other identifiers the event concerns (productId, orderId, holderOrgId…) */
  refs?: Record<string, string>;
  /** small facts: states, ε, counts, SHA-256 of texts; never personal data or data values */
  data?: Record<string, Scalar>;
};

/** SHA-256 (hex) of a text: how reasons and notes are committed to without publishing them. */
export const textHash = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** The leaf input of an event. */
export function eventBody(e: LedgerEvent, id: string, at: Date): string {
  return canonicalJson({ v: 1, id, type: e.type, at: at.toISOString(), actor: e.actorOrgId ?? "market", object: e.objectId, refs: e.refs, data: e.data });
}

/** Queue events in the caller's transaction, in one statement; the integrator puts them in the tree. Returns their entry ids. */
export async function recordEvents(tx: Prisma.TransactionClient, events: LedgerEvent[], at = new Date()): Promise<string[]> {
  const rows = events.map((e) => {
    const entryId = randomUUID();
    return { entryId, type: e.type, actorOrgId: e.actorOrgId ?? null, objectId: e.objectId ?? null, body: eventBody(e, entryId, at), createdAt: at };
  });
  if (rows.length) await tx.ledgerQueue.createMany({ data: rows });
  return rows.map((r) => r.entryId);
}

export async function recordEvent(tx: Prisma.TransactionClient, e: LedgerEvent, at = new Date()): Promise<string> {
  return (await recordEvents(tx, [e], at))[0]!;
}
