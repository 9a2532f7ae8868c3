import { describe, expect, it } from "vitest";
import { claimsNodePolicy } from "@/computation/demo/holder";
import { nodeDatasetPolicy } from "@/core/policy";
import { claimsPolicy } from "../queries/templates";
import { productFitsNode } from "./node-fit";

const node = nodeDatasetPolicy.parse(claimsNodePolicy());
const dp = { ...claimsPolicy, privacy: { mode: "dp" as const, epsilonPerBuyer: 10, maxEpsilonPerQuery: 2 } };

describe("a product may only narrow its source's node policy", () => {
  it("fits when it asks no more than the holder allows", () => {
    expect(productFitsNode(dp, node)).toEqual([]);
  });
  it("names each thing the holder does not allow", () => {
    expect(productFitsNode({ ...dp, privacy: { mode: "none" } }, node)).toEqual(["the holder requires differential privacy"]);
    expect(productFitsNode({ ...dp, minCohort: 2 }, node)).toEqual(["minimum cohort 2 is below the holder's 10"]);
    const finer = { ...dp, dimensions: dp.dimensions.map((d) => (d.column === "age" ? { ...d, spec: { name: "age", kind: "bucket" as const, edges: [0, 1, 2, 120] } } : d)) };
    expect(productFitsNode(finer, node)).toEqual(["age: buckets finer than the holder's"]);
    const wider = { ...dp, measures: dp.measures.map((m) => ({ ...m, max: 1e9 })) };
    expect(productFitsNode(wider, node)[0]).toMatch(/claim_amount: bounds/);
    expect(productFitsNode(dp, { ...node, never: ["district"], dimensions: { ...node.dimensions } })[0]).toBe("district is not a dimension the holder allows");
  });
});
