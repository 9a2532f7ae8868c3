/**
 * Consent tokens: a JWT signed by the marketplace (EdDSA, the same key that signs requests to
 * nodes) stating that one subject allows one buyer to receive named fields of one resource,
 * for one purpose, until an expiry, under a single-use nullifier (jti). The marketplace signs
 * them when the subject approves; a holder's node checks them before it reads a record.
 */
import type { KeyObject } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";

export const CONSENT_ISSUER = "quancheng-market";
const TYP = "qc-consent+jwt";

export type ConsentClaims = {
  /** the subject's opaque identifier shared with the holder */
  sub: string;
  /** the buyer organisation */
  aud: string;
  /** the single-use nullifier */
  jti: string;
  /** the request this consent answers, the resource (its dataset on the node) and what it covers */
  rid: string; res: string; dataset: string; fields: string[]; purpose: string;
  /** the buyer's envelope key (RFC 7638 thumbprint): the record may be sealed to it only */
  ekt: string;
};

export async function signConsent(c: ConsentClaims, expiresAt: Date, key: KeyObject): Promise<string> {
  const { sub, aud, jti, ...rest } = c;
  return new SignJWT(rest).setProtectedHeader({ alg: "EdDSA", typ: TYP }).setIssuer(CONSENT_ISSUER).setSubject(sub).setAudience(aud).setJti(jti)
    .setIssuedAt().setExpirationTime(Math.floor(expiresAt.getTime() / 1000)).sign(key);
}

export class ConsentRefusal extends Error {
  constructor(readonly code: "BAD_CONSENT" | "CONSENT_EXPIRED" | "WRONG_BUYER" | "WRONG_PURPOSE" | "FIELDS_NOT_COVERED", message: string) { super(message); this.name = "ConsentRefusal"; }
}

/** Verify a consent for a delivery: signature, issuer, expiry, buyer, purpose, and that it covers every field asked. */
export async function verifyConsent(token: string, key: KeyObject, expect: { buyerOrgId: string; purpose: string; fields: string[]; now?: Date }): Promise<ConsentClaims & { exp: number }> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ["EdDSA"], typ: TYP, issuer: CONSENT_ISSUER, currentDate: expect.now, clockTolerance: 0 }));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ERR_JWT_EXPIRED") throw new ConsentRefusal("CONSENT_EXPIRED", "The consent has expired.");
    throw new ConsentRefusal("BAD_CONSENT", `The consent token is not valid: ${(e as Error).message}`);
  }
  const c = payload as ConsentClaims & { exp: number };
  if (c.aud !== expect.buyerOrgId) throw new ConsentRefusal("WRONG_BUYER", "This consent was given to another buyer.");
  if (c.purpose !== expect.purpose) throw new ConsentRefusal("WRONG_PURPOSE", `This consent covers "${c.purpose}", not "${expect.purpose}".`);
  const missing = expect.fields.filter((f) => !c.fields.includes(f));
  if (missing.length) throw new ConsentRefusal("FIELDS_NOT_COVERED", `The consent does not cover: ${missing.join(", ")}.`);
  return c;
}
