import { describe, expect, it } from "vitest";
import { CN_DAYS_OFF, CN_HOLIDAY_SCHEDULES, CN_MAKE_UP_WORKDAYS } from "./cn-holidays";
import { addWorkingDays, demandDeadlines, isHolidayScheduleCovered, isWorkingDay } from "./working-days";

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

// Expected dates below follow 《国务院办公厅关于2026年部分节假日安排的通知》(国办发明电〔2025〕7号),
// the table in ./cn-holidays, and were cross-checked with chinese-days 1.5.7 (findWorkday).
describe("official holidays and make-up working days (2026 notice, 国办发明电〔2025〕7号)", () => {
  it("Spring Festival 2026: Feb 15–23 off, Saturdays Feb 14 and Feb 28 worked", () => {
    const fri = new Date("2026-02-13T02:00:00Z"); // Friday 2026-02-13 10:00 CST
    expect(addWorkingDays(fri, 1).toISOString()).toBe("2026-02-14T02:00:00.000Z"); // Sat Feb 14, make-up day
    expect(addWorkingDays(fri, 2).toISOString()).toBe("2026-02-24T02:00:00.000Z"); // Tue Feb 24, first day after the holiday
    expect(addWorkingDays(fri, 5).toISOString()).toBe("2026-02-27T02:00:00.000Z"); // Fri Feb 27
    expect(addWorkingDays(fri, 6).toISOString()).toBe("2026-02-28T02:00:00.000Z"); // Sat Feb 28, make-up day
    expect(addWorkingDays(fri, 7).toISOString()).toBe("2026-03-02T02:00:00.000Z"); // Mon Mar 2
    expect(isWorkingDay(new Date("2026-02-16T02:00:00Z"))).toBe(false); // Monday inside the holiday
    expect(isWorkingDay(new Date("2026-02-23T02:00:00Z"))).toBe(false); // Monday Feb 23, last day off
  });
  it("demand deadlines across Spring Festival 2026", () => {
    // Thursday 2026-02-12 10:00 CST. Monday–Friday alone would give Feb 19 and Feb 26.
    const { confirmBy, publishBy } = demandDeadlines(new Date("2026-02-12T02:00:00Z"));
    expect(confirmBy.toISOString()).toBe("2026-02-26T02:00:00.000Z"); // Feb 13, 14 (Sat), 24, 25, 26
    expect(publishBy.toISOString()).toBe("2026-03-04T02:00:00.000Z"); // + Feb 27, 28 (Sat), Mar 2, 3, 4
  });
  it("National Day 2026: Oct 1–7 off, Saturday Oct 10 worked (10-day order approval)", () => {
    const wed = new Date("2026-09-30T02:00:00Z"); // Wednesday 2026-09-30 10:00 CST
    expect(addWorkingDays(wed, 1).toISOString()).toBe("2026-10-08T02:00:00.000Z"); // Thu Oct 8
    expect(addWorkingDays(wed, 3).toISOString()).toBe("2026-10-10T02:00:00.000Z"); // Sat Oct 10, make-up day
    // Oct 8, 9, 10 (Sat), 12, 13, 14, 15, 16, 19, 20. Monday–Friday alone would give Oct 14.
    expect(addWorkingDays(wed, 10).toISOString()).toBe("2026-10-20T02:00:00.000Z");
  });
  it("counts a make-up Sunday (Sep 20, for National Day) and skips Mid-Autumn (Sep 25–27)", () => {
    const fri = new Date("2026-09-18T02:00:00Z"); // Friday 2026-09-18 10:00 CST
    expect(isWorkingDay(new Date("2026-09-20T02:00:00Z"))).toBe(true); // Sunday
    expect(addWorkingDays(fri, 1).toISOString()).toBe("2026-09-20T02:00:00.000Z"); // Sun Sep 20
    expect(addWorkingDays(fri, 2).toISOString()).toBe("2026-09-21T02:00:00.000Z"); // Mon Sep 21
    expect(addWorkingDays(fri, 5).toISOString()).toBe("2026-09-24T02:00:00.000Z"); // Thu Sep 24
    expect(addWorkingDays(fri, 6).toISOString()).toBe("2026-09-28T02:00:00.000Z"); // Mon Sep 28 (Fri Sep 25 is off)
  });
  it("crosses New Year 2026 onto the make-up Sunday Jan 4, in China's time zone", () => {
    // Wednesday 2025-12-31 10:00 CST; 20:00Z is already Thursday 2026-01-01 04:00 CST. Jan 1–3 off.
    expect(addWorkingDays(new Date("2025-12-31T02:00:00Z"), 1).toISOString()).toBe("2026-01-04T02:00:00.000Z");
    expect(addWorkingDays(new Date("2025-12-31T20:00:00Z"), 1).toISOString()).toBe("2026-01-03T20:00:00.000Z"); // Jan 4 04:00 CST
  });
});

describe("years without an official schedule fall back to Monday–Friday", () => {
  it("says which years are covered, by China's calendar year", () => {
    expect(Object.keys(CN_HOLIDAY_SCHEDULES)).toEqual(["2024", "2025", "2026"]);
    expect(isHolidayScheduleCovered(new Date("2023-12-31T15:30:00Z"))).toBe(false); // 23:30 CST, 2023
    expect(isHolidayScheduleCovered(new Date("2023-12-31T16:30:00Z"))).toBe(true); // 00:30 CST, 2024
    expect(isHolidayScheduleCovered(new Date("2026-12-31T15:30:00Z"))).toBe(true);
    expect(isHolidayScheduleCovered(new Date("2030-06-03T02:00:00Z"))).toBe(false);
  });
  it("counts weekdays only in an uncovered year", () => {
    // 2023 is not in the table: its official National Day break (Sep 29–Oct 6) is not known here.
    const thu = new Date("2023-09-28T02:00:00Z");
    expect(isWorkingDay(new Date("2023-09-29T02:00:00Z"))).toBe(true);
    expect(addWorkingDays(thu, 1).toISOString()).toBe("2023-09-29T02:00:00.000Z"); // Fri
    expect(addWorkingDays(thu, 2).toISOString()).toBe("2023-10-02T02:00:00.000Z"); // Mon
  });
  it("keeps the table consistent: make-up days are weekends and never days off", () => {
    for (const d of CN_MAKE_UP_WORKDAYS) {
      expect([0, 6]).toContain(new Date(`${d}T00:00:00Z`).getUTCDay());
      expect(CN_DAYS_OFF.has(d)).toBe(false);
    }
    // Days off per notice: 2024 28, 2025 28, 2026 33 (weekends inside the breaks included).
    const count = (y: string) => [...CN_DAYS_OFF].filter((d) => d.startsWith(y)).length;
    expect([count("2024"), count("2025"), count("2026")]).toEqual([28, 28, 33]);
  });
});
