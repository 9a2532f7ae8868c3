/**
 * @quancheng/market-sdk: what a buyer's own systems use. Sign in and run an encrypted query
 * (signed with the buyer's key, decrypted here), decode and check results against the plan the
 * buyer signed, and verify the marketplace's transparency ledger. The CLIs `market-query` and
 * `market-ledger` are built on these. packages/sdk/README.md.
 */
export { MarketplaceClient, type QueryOutcome, type SigningKeyFile } from "./client";
export { checkSignedPlan, decodeResult, groupLabels, PlanMismatchError, type Output, type PlannedQuery, type ResultRow } from "./decode";
export { checkCheckpoint, exportLedger, proveEntry, verifyFile, verifyUrl, witness, main as ledgerMain } from "./ledger-cli";
export { decryptVector, generateKeys } from "../core/he";
export { exportKeyPair, generateSigningKey } from "../core/statements";
