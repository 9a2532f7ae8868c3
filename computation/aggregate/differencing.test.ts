/**
 * A differencing attack at the node's aggregate step, repeated many times so its success can
 * be measured: a buyer asks for a count that includes one patient (40 claims) or not, and
 * guesses which from the noisy answer. Pure ε-DP bounds any such guess: true-positive rate
 * minus false-positive rate ≤ (e^ε − 1)/(e^ε + 1) for the ε the released count gets. With the
 * patient as the privacy unit (c rows at most) the measured advantage stays under that bound;
 * counted as 40 rows under noise calibrated for c, the same attack wins nearly always.
 * (tests/integration/privacy.test.ts runs the attack through real nodes until the budget is spent.)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requiredNoise } from "@/core/policy";
import type { AggregatePlan } from "@/core/protocol";
import { CsvConnector } from "./connectors";
import { computeVector } from "./index";

const dir = mkdtempSync(path.join(tmpdir(), "differencing-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const C = 2;
const TRIALS = 1500;
const EPSILON = 1;

function dataset(name: string, withTarget: boolean) {
  const rows = Array.from({ length: 60 }, (_, i) => `P${i},A`);
  if (withTarget) for (let i = 0; i < 40; i++) rows.push("TARGET,A");
  const file = path.join(dir, `${name}.csv`);
  writeFileSync(file, `patient,district\n${rows.join("\n")}\n`);
  return new CsvConnector(file);
}

describe("a differencing attack on one patient", () => {
  const base: AggregatePlan = { dataset: "d", groupBy: [], filters: [{ column: "district", op: "eq", value: "A" }], stats: [], ranges: [], noise: null };
  const plan: AggregatePlan = { ...base, noise: requiredNoise(base, EPSILON, C) };
  // The count gets ε/m of the query's ε (m = 2: the selection count and the count); its noise
  // scale is c·m/ε, so a difference of at most c rows costs ε/m.
  const epsilonCount = EPSILON / 2;
  const bound = (Math.exp(epsilonCount) - 1) / (Math.exp(epsilonCount) + 1);

  async function advantage(perPerson: boolean) {
    const present = dataset("present", true), absent = dataset("absent", false);
    const options = perPerson ? { perPerson: { column: "patient", maxRows: C } } : {};
    // The attacker's best single threshold: halfway between the two exact counts it could expect.
    const threshold = 60 + (perPerson ? C : 40) / 2;
    let tp = 0, fp = 0;
    for (let i = 0; i < TRIALS; i++) {
      if (Number((await computeVector(present, plan, options)).vector[0]) > threshold) tp++;
      if (Number((await computeVector(absent, plan, options)).vector[0]) > threshold) fp++;
    }
    return (tp - fp) / TRIALS;
  }

  it("stays within what ε allows when a patient counts c rows", async () => {
    const measured = await advantage(true);
    // sd of the measured advantage ≤ sqrt(2·0.25/TRIALS) ≈ 0.018: 4 sd of slack.
    expect(measured).toBeLessThan(bound + 0.075);
  }, 120_000);

  it("wins nearly always when the patient's 40 claims all count (rows, not people)", async () => {
    expect(await advantage(false)).toBeGreaterThan(0.9);
  }, 120_000);
});
