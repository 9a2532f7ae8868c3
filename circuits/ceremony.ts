/**
 * The Groth16 setup as a multi-party ceremony (docs/proofs.md, "Setup ceremony").
 *
 * Phase 1 (a powers-of-tau file) and each circuit's phase 2 (its proving key) pass through the
 * hands of several named parties (the supervisor, holders, the operator), each of which adds
 * randomness of its own that is never written anywhere; each phase ends with a public random
 * beacon. Whoever knew all the randomness of a phase could forge proofs; one party that
 * discarded its own is enough to prevent it (the 1-of-N assumption).
 *
 * Every step appends to a transcript (circuits/ceremony/transcript.json): who, the contribution
 * hash snarkjs computes (the party publishes it), the SHA-256 of the file the step wrote, the
 * beacon. The steps take and write files, so each party can run its own on its own machine
 * (`npm run circuits -- ceremony …`, in build.ts), or the demo build can play every party in
 * one run. This module also reads the contribution chain back out of a file, to check it
 * against the transcript: from a proving key alone (its MPC section), or with snarkjs's own
 * verifiers when the powers-of-tau file is at hand.
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import path from "node:path";
import { blake2b } from "@noble/hashes/blake2.js";
import * as snarkjs from "snarkjs";
import { CIRCUITS_DIR } from "@/core/zk/circuits";

export const TRANSCRIPT_FILE = path.join(CIRCUITS_DIR, "ceremony", "transcript.json");
/** The parties the demo and CI build plays, in this order; a beacon closes each phase. */
export const DEMO_PARTIES = ["supervisor", "holder:jinan-central-hospital", "holder:jinan-tax", "operator"];
/** 2^10 SHA-256 iterations of the beacon value (snarkjs's minimum). */
export const BEACON_ITERATIONS_EXP = 10;

// ---------------------------------------------------------------------------------------------
// The parts of snarkjs 0.7.6 the ceremony uses (types/zk-modules.d.ts declares the others).

type Logger = { debug(...a: unknown[]): void; info(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void };
interface Group { fromRprLEM(buff: Uint8Array, offset: number): unknown; toRprUncompressed(buff: Uint8Array, offset: number, p: unknown): void; eq(a: unknown, b: unknown): boolean }
interface Curve { G1: Group; G2: Group }
interface CeremonyApi {
  curves: { getCurveFromName(name: string): Promise<Curve> };
  powersOfTau: {
    newAccumulator(curve: Curve, power: number, out: string, logger?: Logger): Promise<unknown>;
    contribute(input: string, out: string, name: string, entropy: string, logger?: Logger): Promise<Uint8Array>;
    beacon(input: string, out: string, name: string, beaconHex: string, iterationsExp: number, logger?: Logger): Promise<Uint8Array | false>;
    preparePhase2(input: string, out: string, logger?: Logger): Promise<unknown>;
    verify(ptau: string, logger?: Logger): Promise<boolean>;
  };
  zKey: {
    newZKey(r1cs: string, ptau: string, out: string, logger?: Logger): Promise<Uint8Array>;
    contribute(input: string, out: string, name: string, entropy: string, logger?: Logger): Promise<Uint8Array>;
    beacon(input: string, out: string, name: string, beaconHex: string, iterationsExp: number, logger?: Logger): Promise<Uint8Array | false>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<boolean>;
  };
}
const sj = snarkjs as unknown as CeremonyApi;

/** A logger that keeps what snarkjs reports (its verifiers print the contribution chain) and shows nothing. */
function recorder() {
  const info: string[] = [];
  const errors: string[] = [];
  const logger: Logger = { debug() {}, warn() {}, info: (m) => info.push(String(m)), error: (m) => errors.push(String(m)) };
  return { logger, info, errors };
}

export class CeremonyError extends Error {}

// ---------------------------------------------------------------------------------------------
// The transcript.

export interface Beacon {
  /** the public value (hex) fed to snarkjs */
  hash: string;
  /** snarkjs hashes it 2^iterationsExp times (SHA-256) before deriving the key */
  iterationsExp: number;
  /** what the value is: a ledger checkpoint root, or the SHA-256 of `string` */
  source: string;
  /** when the value is the SHA-256 of a public string: that string (anyone can recompute it) */
  string?: string;
}

export interface Step {
  /** position in its phase, from 1 */
  order: number;
  step: "new" | "contribute" | "beacon" | "prepare" | "import";
  /** the contributor ("beacon" for the beacon) */
  name?: string;
  /** the hash snarkjs returns and prints for the contribution (BLAKE2b-512, hex): the party publishes it */
  contributionHash?: string;
  beacon?: Beacon;
  /** SHA-256 of the file this step wrote, which the next step starts from */
  sha256: string;
  at: string;
  seconds: number;
}

/** One link of a file's contribution chain, as snarkjs reports it. */
export interface Link { name: string; contributionHash: string; beacon?: { hash: string; iterationsExp: number } }

export interface Phase1 {
  power: number;
  /** "ceremony": run here, step by step; "external": a public file (e.g. Perpetual Powers of Tau) imported with its own chain */
  source: "ceremony" | "external";
  steps: Step[];
  /** for an external file: its contribution chain as snarkjs verified it on import */
  chain?: Link[];
}

export interface Phase2 {
  /** the phase-1 file it starts from (a key of `phase1`) */
  ptau: string;
  /** SHA-256 of the circuit's R1CS */
  r1cs: string;
  /** the hash snarkjs gives the initial key (R1CS + phase 1), which every later key carries */
  circuitHash: string;
  steps: Step[];
  /** set when the last key was verified against the R1CS and the phase-1 file and installed */
  finalized?: { at: string; zkey: string; vkey: string };
}

export interface Transcript { about: string; phase1: Record<string, Phase1>; phase2: Record<string, Phase2> }

const ABOUT = "Groth16 setup ceremony of the circuits (docs/proofs.md, \"Setup ceremony\"). phase1: powers-of-tau files by name; phase2: proving keys by circuit. Each step: who contributed, the contribution hash snarkjs computed, the SHA-256 of the file it wrote, the beacon. No party's randomness is recorded anywhere.";

export function readTranscript(file = TRANSCRIPT_FILE): Transcript {
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) as Transcript : { about: ABOUT, phase1: {}, phase2: {} };
}

export function writeTranscript(t: Transcript, file = TRANSCRIPT_FILE) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(t, null, 2) + "\n");
}

export const sha256File = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Fresh randomness for one contribution: passed straight to snarkjs (which mixes in 64 bytes of its own), never stored or logged. */
const freshEntropy = () => randomBytes(64).toString("hex");

function record(steps: Step[], step: Omit<Step, "order" | "at" | "seconds">, t0: number): Step {
  const done: Step = { order: steps.length + 1, ...step, at: new Date().toISOString().replace(/\.\d+Z$/, "Z"), seconds: Math.round((Date.now() - t0) / 1000) };
  steps.push(done);
  return done;
}

/** The input must be the file the transcript's last step wrote: a party contributes on top of the recorded chain or not at all. */
function mustFollow(steps: Step[], file: string, what: string) {
  const last = steps.at(-1);
  if (!last) throw new CeremonyError(`${what}: the transcript has no step yet (ceremony new)`);
  const got = sha256File(file);
  if (got !== last.sha256) {
    throw new CeremonyError(`${file} (SHA-256 ${got}) is not the file the transcript's last step for ${what} wrote (step ${last.order}, ${last.step}${last.name ? ` by ${last.name}` : ""}: ${last.sha256}); get the file the previous party handed on`);
  }
}

function mustBeNewName(steps: Step[], name: string) {
  if (!name || name.length > 64) throw new CeremonyError("a contributor's name is 1 to 64 characters (snarkjs keeps 64)");
  if (name === "beacon") throw new CeremonyError("\"beacon\" names the beacon step");
  if (steps.some((s) => s.name === name)) throw new CeremonyError(`${name} has already contributed to this phase`);
  if (steps.some((s) => s.step === "beacon")) throw new CeremonyError("the beacon has closed this phase");
}

/** A beacon from a public string (its SHA-256), e.g. for the demo build. */
export function stringBeacon(text: string): Beacon {
  return { hash: createHash("sha256").update(text, "utf8").digest("hex"), iterationsExp: BEACON_ITERATIONS_EXP, source: "SHA-256 of the UTF-8 string", string: text };
}

/** The contribution chain the steps of a phase should have left in its file. */
export function expectedChain(steps: Step[]): Link[] {
  return steps.filter((s) => s.step === "contribute" || s.step === "beacon").map((s) => ({
    name: s.name ?? "",
    contributionHash: s.contributionHash ?? "",
    ...(s.beacon ? { beacon: { hash: s.beacon.hash, iterationsExp: s.beacon.iterationsExp } } : {}),
  }));
}

/** Differences between the chain a file carries and the one its transcript records, as sentences. */
export function compareChains(expected: Link[], got: Link[], what: string): string[] {
  const problems: string[] = [];
  if (got.length !== expected.length) problems.push(`${what}: ${got.length} contributions in the file, ${expected.length} in the transcript`);
  for (let i = 0; i < Math.min(got.length, expected.length); i++) {
    const e = expected[i]!;
    const g = got[i]!;
    if (g.name !== e.name) problems.push(`${what}: contribution #${i + 1} is by "${g.name}" in the file, "${e.name}" in the transcript`);
    if (g.contributionHash !== e.contributionHash) problems.push(`${what}: contribution #${i + 1} (${e.name}) has hash ${g.contributionHash.slice(0, 16)}… in the file, ${e.contributionHash.slice(0, 16)}… in the transcript`);
    if (g.beacon?.hash !== e.beacon?.hash || g.beacon?.iterationsExp !== e.beacon?.iterationsExp) problems.push(`${what}: contribution #${i + 1} beacon differs between the file and the transcript`);
  }
  return problems;
}

/**
 * What the transcript of one phase must show, whatever the files say: it starts with `new`,
 * the supervisor, at least two holders and the operator contributed (each once), and a beacon
 * of at least 2^10 iterations came after every contribution, its value recomputable when it is
 * the hash of a public string.
 */
export function policyProblems(steps: Step[], what: string): string[] {
  const problems: string[] = [];
  steps.forEach((s, i) => { if (s.order !== i + 1) problems.push(`${what}: step ${i + 1} is numbered ${s.order}`); });
  if (steps[0]?.step !== "new") problems.push(`${what}: does not start with a new file`);
  const names = steps.filter((s) => s.step === "contribute").map((s) => s.name ?? "");
  if (new Set(names).size !== names.length) problems.push(`${what}: a party contributed twice`);
  for (const required of ["supervisor", "operator"]) if (!names.includes(required)) problems.push(`${what}: no contribution from ${required}`);
  if (names.filter((n) => n.startsWith("holder:")).length < 2) problems.push(`${what}: fewer than two holders contributed`);
  const beacons = steps.filter((s) => s.step === "beacon");
  const beacon = beacons[0];
  if (beacons.length !== 1 || !beacon?.beacon) problems.push(`${what}: ${beacons.length} beacons (one closes a phase)`);
  else {
    if (steps.slice(steps.indexOf(beacon) + 1).some((s) => s.step === "contribute")) problems.push(`${what}: a contribution came after the beacon`);
    if (beacon.beacon.iterationsExp < BEACON_ITERATIONS_EXP) problems.push(`${what}: beacon iterated 2^${beacon.beacon.iterationsExp} times, fewer than 2^${BEACON_ITERATIONS_EXP}`);
    if (beacon.beacon.string !== undefined && stringBeacon(beacon.beacon.string).hash !== beacon.beacon.hash) problems.push(`${what}: the beacon value is not the SHA-256 of its recorded string`);
  }
  for (const s of steps) if ((s.step === "contribute" || s.step === "beacon") && !/^[0-9a-f]{128}$/.test(s.contributionHash ?? "")) problems.push(`${what}: step ${s.order} has no contribution hash`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Phase 1: powers of tau.

/** The final (prepared) file of a phase 1, or null while it is under way. */
export const phase1Final = (p1: Phase1 | undefined): Step | null => (p1?.steps.at(-1)?.step === "prepare" || p1?.steps.at(-1)?.step === "import" ? p1.steps.at(-1)! : null);

function openPhase1(t: Transcript, name: string): Phase1 {
  const p1 = t.phase1[name];
  if (!p1) throw new CeremonyError(`no phase 1 named ${name} in the transcript (ceremony new --phase1 … --power …)`);
  if (p1.source !== "ceremony" || phase1Final(p1)) throw new CeremonyError(`phase 1 ${name} is closed`);
  return p1;
}

/** The powers of tau's power, from the file's header. */
export function ptauPower(file: string): number {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.toString("latin1", 0, 4) !== "ptau") throw new CeremonyError(`${file} is not a powers-of-tau file`);
    const n8 = head.readUInt32LE(24); // magic, version, sections, then section 1's type and size
    return head.readUInt32LE(28 + n8);
  } finally {
    closeSync(fd);
  }
}

export async function phase1New(t: Transcript, name: string, power: number, out: string): Promise<Step> {
  if (t.phase1[name]) throw new CeremonyError(`the transcript already has a phase 1 named ${name}`);
  if (!Number.isInteger(power) || power < 8 || power > 28) throw new CeremonyError("--power is 8 to 28");
  const t0 = Date.now();
  await sj.powersOfTau.newAccumulator(await sj.curves.getCurveFromName("bn128"), power, out);
  const p1: Phase1 = { power, source: "ceremony", steps: [] };
  t.phase1[name] = p1;
  return record(p1.steps, { step: "new", sha256: sha256File(out) }, t0);
}

/** One party's contribution to phase 1. With `check`, the input's chain is verified first (snarkjs) and compared with the transcript. */
export async function phase1Contribute(t: Transcript, name: string, party: string, input: string, out: string, check = true): Promise<Step> {
  const p1 = openPhase1(t, name);
  mustFollow(p1.steps, input, name);
  mustBeNewName(p1.steps, party);
  if (check && p1.steps.length > 1) await mustCarryChain(p1, input, name);
  const t0 = Date.now();
  const hash = await sj.powersOfTau.contribute(input, out, party, freshEntropy());
  return record(p1.steps, { step: "contribute", name: party, contributionHash: hex(hash), sha256: sha256File(out) }, t0);
}

export async function phase1Beacon(t: Transcript, name: string, input: string, out: string, beacon: Beacon, check = true): Promise<Step> {
  const p1 = openPhase1(t, name);
  mustFollow(p1.steps, input, name);
  if (p1.steps.some((s) => s.step === "beacon")) throw new CeremonyError("this phase already has its beacon");
  if (check) await mustCarryChain(p1, input, name);
  const t0 = Date.now();
  const hash = await sj.powersOfTau.beacon(input, out, "beacon", beacon.hash, beacon.iterationsExp);
  if (!hash) throw new CeremonyError("snarkjs refused the beacon (a hex value of 1 to 255 bytes, 10 to 63 iterations)");
  return record(p1.steps, { step: "beacon", name: "beacon", beacon, contributionHash: hex(hash), sha256: sha256File(out) }, t0);
}

/** Closes phase 1: computes the phase-2 values (slow: 2^14 ~7 min here) and verifies the whole chain of the result. */
export async function phase1Prepare(t: Transcript, name: string, input: string, out: string): Promise<Step> {
  const p1 = openPhase1(t, name);
  mustFollow(p1.steps, input, name);
  const problems = policyProblems(p1.steps, `phase 1 ${name}`);
  if (problems.length) throw new CeremonyError(problems.join("\n"));
  const t0 = Date.now();
  await sj.powersOfTau.preparePhase2(input, out);
  await mustCarryChain(p1, out, name);
  return record(p1.steps, { step: "prepare", sha256: sha256File(out) }, t0);
}

/** Takes a public powers-of-tau file (e.g. Perpetual Powers of Tau) as a phase 1, with the chain snarkjs verifies in it. */
export async function phase1Import(t: Transcript, file: string): Promise<Step> {
  const name = path.basename(file);
  const t0 = Date.now();
  const { ok, links, errors } = await ptauChain(file);
  if (!ok) throw new CeremonyError(`${file} does not verify: ${errors.join("; ")}`);
  t.phase1[name] = { power: ptauPower(file), source: "external", steps: [], chain: links };
  return record(t.phase1[name].steps, { step: "import", sha256: sha256File(file) }, t0);
}

/** The contribution chain of a powers-of-tau file, as snarkjs verifies it (`powersoftau verify`). */
export async function ptauChain(file: string): Promise<{ ok: boolean; links: Link[]; errors: string[] }> {
  const { logger, info, errors } = recorder();
  const ok = await sj.powersOfTau.verify(file, logger);
  // It prints, per contribution: "Contribution #i: name", its next challenge, its response hash
  // (what contribute returned), the previous challenge (also titled "Response Hash"), the beacon.
  const byId = new Map<number, Link>();
  let current: Link | null = null;
  let responses = 0;
  for (const m of info) {
    const c = /^Contribution #(\d+): ?(.*)$/.exec(m);
    if (c) { current = { name: c[2]!, contributionHash: "" }; byId.set(Number(c[1]), current); responses = 0; continue; }
    if (!current) continue;
    if (m.startsWith("Response Hash:") && responses++ === 0) current.contributionHash = hashOf(m);
    const b = /^Beacon generator: ([0-9a-f]+)$/.exec(m);
    if (b) current.beacon = { hash: b[1]!, iterationsExp: 0 };
    const e = /^Beacon iterations Exp: (\d+)$/.exec(m);
    if (e && current.beacon) current.beacon.iterationsExp = Number(e[1]);
  }
  return { ok, links: [...byId.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l), errors };
}

/** The hash in one of snarkjs's `formatHash` messages: a title line, then 16 big-endian words. */
const hashOf = (message: string) => message.split("\n").slice(1).join("").replace(/\s+/g, "");

async function mustCarryChain(p1: Phase1, file: string, name: string) {
  const { ok, links, errors } = await ptauChain(file);
  const problems = ok ? compareChains(expectedChain(p1.steps), links, `phase 1 ${name}`) : [`${file} does not verify: ${errors.join("; ")}`];
  if (problems.length) throw new CeremonyError(problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Phase 2: one circuit's proving key.

function openPhase2(t: Transcript, circuit: string): Phase2 {
  const p2 = t.phase2[circuit];
  if (!p2) throw new CeremonyError(`no phase 2 for ${circuit} in the transcript (ceremony new --circuit ${circuit})`);
  if (p2.finalized) throw new CeremonyError(`phase 2 of ${circuit} is finalized; ceremony new --circuit ${circuit} starts another`);
  return p2;
}

/** Starts a circuit's phase 2 from its R1CS and a finished phase 1 (replacing any earlier phase 2 of that circuit in the transcript). */
export async function phase2New(t: Transcript, circuit: string, r1cs: string, ptau: string, out: string): Promise<Step> {
  const ptauName = path.basename(ptau);
  const final = phase1Final(t.phase1[ptauName]);
  if (!final) throw new CeremonyError(`${ptauName} is not a finished phase 1 of the transcript`);
  if (sha256File(ptau) !== final.sha256) throw new CeremonyError(`${ptau} is not the file phase 1 ${ptauName} ended with`);
  const t0 = Date.now();
  const circuitHash = await sj.zKey.newZKey(r1cs, ptau, out);
  const p2: Phase2 = { ptau: ptauName, r1cs: sha256File(r1cs), circuitHash: hex(circuitHash), steps: [] };
  t.phase2[circuit] = p2;
  return record(p2.steps, { step: "new", sha256: sha256File(out) }, t0);
}

export async function phase2Contribute(t: Transcript, circuit: string, party: string, input: string, out: string, check = true): Promise<Step> {
  const p2 = openPhase2(t, circuit);
  mustFollow(p2.steps, input, circuit);
  mustBeNewName(p2.steps, party);
  if (check) await mustCarryKeyChain(p2, input, circuit);
  const t0 = Date.now();
  const hash = await sj.zKey.contribute(input, out, party, freshEntropy());
  return record(p2.steps, { step: "contribute", name: party, contributionHash: hex(hash), sha256: sha256File(out) }, t0);
}

export async function phase2Beacon(t: Transcript, circuit: string, input: string, out: string, beacon: Beacon, check = true): Promise<Step> {
  const p2 = openPhase2(t, circuit);
  mustFollow(p2.steps, input, circuit);
  if (p2.steps.some((s) => s.step === "beacon")) throw new CeremonyError("this phase already has its beacon");
  if (check) await mustCarryKeyChain(p2, input, circuit);
  const t0 = Date.now();
  const hash = await sj.zKey.beacon(input, out, "beacon", beacon.hash, beacon.iterationsExp);
  if (!hash) throw new CeremonyError("snarkjs refused the beacon (a hex value of 1 to 255 bytes, 10 to 63 iterations)");
  return record(p2.steps, { step: "beacon", name: "beacon", beacon, contributionHash: hex(hash), sha256: sha256File(out) }, t0);
}

async function mustCarryKeyChain(p2: Phase2, file: string, circuit: string) {
  const problems = keyChainProblems(p2, await zkeyChain(file), `phase 2 ${circuit}`);
  if (problems.length) throw new CeremonyError(problems.join("\n"));
}

/** Where a proving key's own chain departs from its circuit's transcript. */
export function keyChainProblems(p2: Phase2, chain: ZkeyChain, what: string): string[] {
  return [
    ...chain.problems.map((p) => `${what}: ${p}`),
    ...(chain.circuitHash === p2.circuitHash ? [] : [`${what}: the key's circuit hash is not the transcript's (it does not start from the recorded initial key)`]),
    ...compareChains(expectedChain(p2.steps), chain.links, what),
  ];
}

export interface ZkeyChain { circuitHash: string; links: Link[]; problems: string[] }

/**
 * The contribution chain a proving key carries, read from the key alone (no R1CS, no powers
 * of tau): its circuit hash (the initial key's) and each contribution's name, hash and beacon,
 * computed as snarkjs does. Checks what can be checked without the initial key: each
 * contribution's transcript hash commits to the circuit hash and every earlier contribution
 * (so the chain was built in this order on this circuit), and the key's δ is the last
 * contribution's. That the key's points are the initial key's scaled by that δ, and that the
 * proofs of knowledge and the beacon's key hold, is what snarkjs's `zkey verify` adds with the
 * R1CS and the powers of tau (`fullKeyCheck`).
 */
export async function zkeyChain(file: string): Promise<ZkeyChain> {
  const buf = readFileSync(file);
  const sections = binSections(buf, "zkey", file);
  const header = sections.get(2);
  const mpc = sections.get(10);
  if (sections.get(1) === undefined || buf.readUInt32LE(sections.get(1)!) !== 1 || header === undefined || mpc === undefined) throw new CeremonyError(`${file} is not a Groth16 proving key`);
  const curve = await sj.curves.getCurveFromName("bn128");
  const n8q = buf.readUInt32LE(header);
  const n8r = buf.readUInt32LE(header + 4 + n8q);
  const g1 = 2 * n8q;
  const g2 = 4 * n8q;
  // header: n8q, q, n8r, r, nVars, nPublic, domainSize, α1, β1, β2, γ2, δ1, δ2
  const delta1 = curve.G1.fromRprLEM(buf.subarray(header + 4 + n8q + 4 + n8r + 12 + 2 * g1 + 2 * g2), 0);

  let pos = mpc;
  const take = (n: number) => { const b = new Uint8Array(buf.subarray(pos, pos + n)); pos += n; return b; };
  const u32 = () => { const v = buf.readUInt32LE(pos); pos += 4; return v; };
  const uncompressed = (group: Group, size: number, p: unknown) => { const b = new Uint8Array(size); group.toRprUncompressed(b, 0, p); return b; };

  const circuitHash = take(64);
  const n = u32();
  const links: Link[] = [];
  const problems: string[] = [];
  const running = blake2b.create({ dkLen: 64 }).update(circuitHash);
  let delta: unknown = null;
  for (let i = 0; i < n; i++) {
    const deltaAfter = curve.G1.fromRprLEM(take(g1), 0);
    const s = uncompressed(curve.G1, g1, curve.G1.fromRprLEM(take(g1), 0));
    const sx = uncompressed(curve.G1, g1, curve.G1.fromRprLEM(take(g1), 0));
    const spx = uncompressed(curve.G2, g2, curve.G2.fromRprLEM(take(g2), 0));
    const transcript = take(64);
    const type = u32();
    const end = u32() + pos;
    const link: Link = { name: "", contributionHash: "" };
    while (pos < end) {
      const key = take(1)[0];
      if (key === 1) link.name = new TextDecoder().decode(take(take(1)[0]!));
      else if (key === 2) link.beacon = { hash: link.beacon?.hash ?? "", iterationsExp: take(1)[0]! };
      else if (key === 3) link.beacon = { iterationsExp: link.beacon?.iterationsExp ?? 0, hash: hex(take(take(1)[0]!)) };
      else throw new CeremonyError(`${file}: unknown parameter ${key} in contribution #${i + 1}`);
    }
    if ((type === 1) !== (link.beacon !== undefined)) problems.push(`contribution #${i + 1} is ${type === 1 ? "a beacon without its parameters" : "not a beacon but has beacon parameters"}`);
    // The transcript a contributor's key is bound to: the circuit hash, every earlier public key, its own g1_s and g1_sx.
    const own = running.clone().update(s).update(sx).digest();
    if (hex(own) !== hex(transcript)) problems.push(`contribution #${i + 1} (${link.name}) is not bound to the circuit and the contributions before it`);
    const publicKey = Buffer.concat([uncompressed(curve.G1, g1, deltaAfter), s, sx, spx, transcript]);
    running.update(publicKey);
    link.contributionHash = hex(blake2b(publicKey, { dkLen: 64 }));
    links.push(link);
    delta = deltaAfter;
  }
  if (delta !== null && !curve.G1.eq(delta, delta1)) problems.push("the key's δ is not the one its last contribution produced");
  return { circuitHash: hex(circuitHash), links, problems };
}

/** Section offsets of one of snarkjs's binary files (magic, version, count, then type u32, size u64, data). */
function binSections(buf: Buffer, magic: string, file: string): Map<number, number> {
  if (buf.toString("latin1", 0, 4) !== magic) throw new CeremonyError(`${file} is not a ${magic} file`);
  const sections = new Map<number, number>();
  let pos = 12;
  for (let i = 0; i < buf.readUInt32LE(8); i++) {
    const size = Number(buf.readBigUInt64LE(pos + 4));
    sections.set(buf.readUInt32LE(pos), pos + 12);
    pos += 12 + size;
  }
  return sections;
}

/**
 * snarkjs's complete check of a proving key (`zkey verify`): recomputes the initial key from the
 * R1CS and the powers of tau, checks every contribution's proof of knowledge and the beacon's
 * key, and that the key's points are the initial ones under the final δ. Returns the chain it
 * printed, to compare with the transcript.
 */
export async function fullKeyCheck(r1cs: string, ptau: string, zkey: string): Promise<{ ok: boolean; circuitHash: string; links: Link[]; errors: string[] }> {
  const { logger, info, errors } = recorder();
  const ok = await sj.zKey.verifyFromR1cs(r1cs, ptau, zkey, logger);
  let circuitHash = "";
  const byIndex = new Map<number, Link>();
  let current: Link | null = null;
  for (const m of info) {
    if (m.startsWith("Circuit Hash:")) circuitHash = hashOf(m);
    const c = /^contribution #(\d+) (.*):\n/.exec(m);
    if (c) { current = { name: c[2]!, contributionHash: hashOf(m) }; byIndex.set(Number(c[1]), current); continue; }
    const b = /^Beacon generator: ([0-9a-f]+)$/.exec(m);
    if (b && current) current.beacon = { hash: b[1]!, iterationsExp: current.beacon?.iterationsExp ?? 0 };
    const e = /^Beacon iterations Exp: (\d+)$/.exec(m);
    if (e && current?.beacon) current.beacon.iterationsExp = Number(e[1]);
  }
  return { ok, circuitHash, links: [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l), errors };
}
