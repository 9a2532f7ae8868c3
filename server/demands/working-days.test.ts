import { describe, expect, it } from "vitest";
import { addWorkingDays, demandDeadlines } from "./working-days";

describe("working days (China Standard Time, Monday to Friday)", () => {
  it("skips weekends", () => {
    // Friday 2026-11-20 10:00 CST = 02:00Z
    const fri = new Date("2026-11-20T02:00:00Z");
    expect(addWorkingDays(fri, 1).toISOString()).toBe("2026-11-23T02:00:00.000Z"); // Monday
    expect(addWorkingDays(fri, 5).toISOString()).toBe("2026-11-27T02:00:00.000Z"); // next Friday
  });
  it("counts a Saturday demand from the next Monday", () => {
    const sat = new Date("2026-11-21T04:00:00Z");
    expect(demandDeadlines(sat).confirmBy.toISOString()).toBe("2026-11-27T04:00:00.000Z");
    expect(demandDeadlines(sat).publishBy.toISOString()).toBe("2026-12-04T04:00:00.000Z");
  });
  it("uses China's date, not UTC's, near midnight", () => {
    // Friday 23:30Z is already Saturday 07:30 in Jinan: one working day later is Monday.
    expect(addWorkingDays(new Date("2026-11-20T23:30:00Z"), 1).toISOString()).toBe("2026-11-22T23:30:00.000Z");
  });
});
