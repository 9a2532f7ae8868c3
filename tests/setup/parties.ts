/**
 * The parties of the trust model as the tests play them, each with its own key, through the
 * same functions the app and the browser use: a buyer signing its queries, a person linking
 * their key at a holder's node with the holder's activation code and signing a consent, a
 * holder approving products at its node, and a node started in-process from a real config.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { approveProduct, claimsNodePolicy, holderKey, issueActivationCode, type HolderKey } from "@/computation/demo/holder";
import { loadNodeConfig } from "@/computation/node/config";
import { loadIdentity } from "@/computation/node/identity";
import { createNodeServer } from "@/computation/node/server";
import { consentDraft, decideConsent } from "@/server/consent/consents";
import { bindSubjectKey } from "@/server/consent/subject-keys";
import type { PrismaClient } from "@/server/db/generated/client";
import { ledgerSigningKey, marketSigningKey } from "@/server/keys";
import { registerBuyerSigningKey } from "@/server/queries/authorization";
import type { createCaller } from "@/server/api/root";
import { submitSignedQuery, type QuerySigner } from "@/core/signed-query";
import { bindingMac, generateSigningKey, publicJwkOf, signingKeyThumbprint, signStatement, type ConsentStatement } from "@/core/statements";

export type PartyKey = { privateKey: CryptoKey; publicJwk: Awaited<ReturnType<typeof publicJwkOf>>; thumbprint: string };

/** A fresh non-extractable signing key, as a browser makes one. */
export async function partyKey(): Promise<PartyKey> {
  const pair = await generateSigningKey(false);
  const publicJwk = await publicJwkOf(pair.publicKey);
  return { privateKey: pair.privateKey, publicJwk, thumbprint: await signingKeyThumbprint(publicJwk) };
}

/** A buyer's query signer, registered for its organisation (on the ledger). */
export async function buyerSigner(db: PrismaClient, buyerOrgId: string): Promise<QuerySigner> {
  const k = await partyKey();
  await registerBuyerSigningKey(db, { buyerOrgId, publicJwk: k.publicJwk });
  return { privateKey: k.privateKey, thumbprint: k.thumbprint };
}

type Caller = ReturnType<typeof createCaller>;
/** Submit through the API as the browser does: prepare, check, sign, submit. */
export function signedSubmit(caller: Caller, signer: QuerySigner, o: { productId: string; query: Parameters<Caller["buyer"]["submitQuery"]>[0]["query"]; publicKey: string }) {
  const api = { buyer: { prepareQuery: { query: (i: Parameters<Caller["buyer"]["prepareQuery"]>[0]) => caller.buyer.prepareQuery(i) }, submitQuery: { mutate: (i: Parameters<Caller["buyer"]["submitQuery"]>[0]) => caller.buyer.submitQuery(i) } } };
  return submitSignedQuery(api, { ...o, signer });
}

/** A person links a new key at a node with an activation code the holder issued (written into the node's keysDir). */
export async function linkPerson(db: PrismaClient, o: { userId: string; nodeId: string; nodeKey: string; keysDir: string; subjectRef: string }): Promise<PartyKey> {
  const key = await partyKey();
  const code = issueActivationCode(o.keysDir, o.subjectRef);
  const mac = await bindingMac(code, { nodeId: o.nodeKey, subjectRef: o.subjectRef, thumbprint: key.thumbprint });
  await bindSubjectKey(db, { userId: o.userId, nodeId: o.nodeId, publicJwk: key.publicJwk, mac });
  return key;
}

/** The person approves a request by signing the consent statement with their own key. */
export async function approveSigned(db: PrismaClient, o: { userId: string; requestId: string; key: PartyKey }) {
  const { draft } = await consentDraft(db, { userId: o.userId, requestId: o.requestId });
  const statement: ConsentStatement = { ...draft, nonce: randomBytes(32).toString("base64url") };
  return decideConsent(db, { userId: o.userId, requestId: o.requestId, decision: "approve", statement, signature: await signStatement(o.key.privateKey, statement) });
}

/** Write a node config (the holder's policy and key in it) and return its path and the holder's key. */
export async function writeNodeConfig(dir: string, o: { name: string; datasets: Record<string, unknown>; policies?: Record<string, unknown>; extra?: Record<string, unknown> }): Promise<{ config: string; holder: HolderKey; keysDir: string }> {
  mkdirSync(dir, { recursive: true });
  const holder = await holderKey(path.join(dir, `${o.name}-holder-key.json`));
  const config = path.join(dir, `${o.name}.json`);
  writeFileSync(config, JSON.stringify({
    name: o.name, listen: { host: "127.0.0.1", port: 0 }, keysDir: `keys-${o.name}`, marketplacePublicKey: marketSigningKey().publicKey, ledgerPublicKey: ledgerSigningKey().publicKey,
    datasets: o.datasets, policies: o.policies ?? {}, holderKeys: [holder.publicJwk], ...o.extra,
  }));
  return { config, holder, keysDir: path.join(dir, `keys-${o.name}`) };
}

/** A node served in this process from a real config (for suites that need a node but not its own process). */
export async function inProcessNode(config: string) {
  const c = loadNodeConfig(config);
  const identity = loadIdentity(c.keysDir);
  const server = createNodeServer({ config: c, identity, marketplacePublicKey: marketSigningKey().publicKey, ledgerPublicKey: ledgerSigningKey().publicKey });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, nodeId: identity.nodeId, agreementKey: identity.agreementPublic, keysDir: c.keysDir, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Approve a product at each of its source nodes, as each holder (its own key). */
export async function approveAtNodes(productId: string, nodes: { url: string; nodeId: string; holder: HolderKey; dataset?: string }[]) {
  for (const n of nodes) await approveProduct({ url: n.url, nodeId: n.nodeId, dataset: n.dataset ?? "claims", productId, sources: nodes.map((x) => x.nodeId), key: n.holder });
}

/** A hospital node served in-process with the claims columns and the holder's claims policy (for suites that make products). */
export async function claimsNode(dir: string, name = "claims") {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.csv`), "district,age,sex,diagnosis,claim_amount,month\n");
  const { config, holder } = await writeNodeConfig(dir, { name, datasets: { claims: { kind: "csv", path: `${name}.csv` } }, policies: { claims: claimsNodePolicy() } });
  return { ...(await inProcessNode(config)), holder };
}
