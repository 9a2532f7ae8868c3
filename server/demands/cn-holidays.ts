/**
 * Mainland China's official holiday schedule (放假调休安排), one entry per year, copied from the
 * State Council General Office's yearly notice 《国务院办公厅关于 YYYY 年部分节假日安排的通知》
 * (published on www.gov.cn):
 *
 *   2024 — 国办发明电〔2023〕7号, 2023-10-25
 *   2025 — 国办发明电〔2024〕12号, 2024-11-12
 *   2026 — 国办发明电〔2025〕7号, 2025-11-04
 *
 * Each entry lists the days off as written in the notice (inclusive ranges, weekends inside a
 * range included) and the make-up working days (调休上班日, always a Saturday or a Sunday).
 * Cross-checked against the `chinese-days` package's data (v1.5.7, dist/years/YYYY.json).
 *
 * The notice for the next year usually comes out between October and December. Until a year is
 * added here, working days in that year are plain Monday–Friday (see `isHolidayScheduleCovered`
 * in ./working-days). To add a year: copy the notice's seven lines below, name the notice, and
 * add its Spring Festival / National Day cases to working-days.test.ts.
 */

type Ymd = `${number}-${number}-${number}`;

interface YearSchedule {
  /** The notice this year's entry was taken from. */
  notice: string;
  /** Days off, inclusive ranges in China's calendar. */
  daysOff: ReadonlyArray<readonly [from: Ymd, to: Ymd]>;
  /** Weekend days that are working days (调休上班). */
  makeUpWorkdays: readonly Ymd[];
}

export const CN_HOLIDAY_SCHEDULES: Readonly<Record<number, YearSchedule>> = {
  2024: {
    notice: "国办发明电〔2023〕7号",
    daysOff: [
      ["2024-01-01", "2024-01-01"], // 元旦
      ["2024-02-10", "2024-02-17"], // 春节
      ["2024-04-04", "2024-04-06"], // 清明节
      ["2024-05-01", "2024-05-05"], // 劳动节
      ["2024-06-10", "2024-06-10"], // 端午节
      ["2024-09-15", "2024-09-17"], // 中秋节
      ["2024-10-01", "2024-10-07"], // 国庆节
    ],
    makeUpWorkdays: ["2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12"],
  },
  2025: {
    notice: "国办发明电〔2024〕12号",
    daysOff: [
      ["2025-01-01", "2025-01-01"], // 元旦
      ["2025-01-28", "2025-02-04"], // 春节
      ["2025-04-04", "2025-04-06"], // 清明节
      ["2025-05-01", "2025-05-05"], // 劳动节
      ["2025-05-31", "2025-06-02"], // 端午节
      ["2025-10-01", "2025-10-08"], // 国庆节、中秋节
    ],
    makeUpWorkdays: ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
  },
  2026: {
    notice: "国办发明电〔2025〕7号",
    daysOff: [
      ["2026-01-01", "2026-01-03"], // 元旦
      ["2026-02-15", "2026-02-23"], // 春节
      ["2026-04-04", "2026-04-06"], // 清明节
      ["2026-05-01", "2026-05-05"], // 劳动节
      ["2026-06-19", "2026-06-21"], // 端午节
      ["2026-09-25", "2026-09-27"], // 中秋节
      ["2026-10-01", "2026-10-07"], // 国庆节
    ],
    makeUpWorkdays: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
  },
};

function expand([from, to]: readonly [Ymd, Ymd]): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/** Every official day off, as "YYYY-MM-DD" in China's calendar. */
export const CN_DAYS_OFF: ReadonlySet<string> = new Set(Object.values(CN_HOLIDAY_SCHEDULES).flatMap((y) => y.daysOff.flatMap(expand)));

/** Every make-up working day, as "YYYY-MM-DD" in China's calendar. */
export const CN_MAKE_UP_WORKDAYS: ReadonlySet<string> = new Set(Object.values(CN_HOLIDAY_SCHEDULES).flatMap((y) => y.makeUpWorkdays));
