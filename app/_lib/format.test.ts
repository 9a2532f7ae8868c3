import { describe, expect, it } from "vitest";
import { epsilon, integer, money, splitList } from "./format";

describe("format", () => {
  it("writes yuan with thousands separators and two decimals, exactly", () => {
    expect(money(2_000_000n, "en")).toBe("¥20,000.00");
    expect(money(2_000_000, "zh")).toBe("¥20,000.00");
    expect(money(-9750n, "en")).toBe("−¥97.50");
    expect(money(900719925474099312n, "en")).toBe("¥9,007,199,254,740,993.12");
  });
  it("never writes ε in exponent notation", () => {
    expect(epsilon(1e-9, "en")).toBe("0.000000001");
    expect(epsilon(0.1, "zh")).toBe("0.1");
    expect(epsilon(2, "en")).toBe("2");
    expect(epsilon(0.30000000000000004, "en")).toBe("0.3");
  });
  it("groups integers", () => expect(integer(1234567, "zh")).toBe("1,234,567"));
  it("splits lists on Chinese and Latin separators", () => {
    expect(splitList("保险定价，风险评估、 信贷审批; audit\nresearch,")).toEqual(["保险定价", "风险评估", "信贷审批", "audit", "research"]);
  });
});
