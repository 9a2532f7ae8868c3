/**
 * Deadlines in working days (seed 001: confirm a demand within 5 working days, publish the
 * service within 10; orders: approve within 10). Working days are read in China Standard Time
 * (UTC+8) and follow the State Council's holiday schedule (./cn-holidays): official days off are
 * not working days, make-up working days (调休) on a Saturday or Sunday are.
 *
 * Only the years in ./cn-holidays are covered (2024–2026 now). In any other year a working day
 * is simply Monday to Friday, holidays unknown; `isHolidayScheduleCovered` says which case a
 * date falls in (documented in docs/trading.md).
 */
import { CN_DAYS_OFF, CN_HOLIDAY_SCHEDULES, CN_MAKE_UP_WORKDAYS } from "./cn-holidays";

const CST_MS = 8 * 3_600_000;

/** `cst` is shifted by +8 h, so its UTC fields are China's calendar date. */
function isWorkingDayCst(cst: Date): boolean {
  const weekday = cst.getUTCDay() !== 0 && cst.getUTCDay() !== 6;
  if (!(cst.getUTCFullYear() in CN_HOLIDAY_SCHEDULES)) return weekday; // no official schedule: Monday–Friday
  const ymd = cst.toISOString().slice(0, 10);
  if (CN_MAKE_UP_WORKDAYS.has(ymd)) return true;
  return weekday && !CN_DAYS_OFF.has(ymd);
}

/**
 * Whether the official holiday schedule of `date`'s year (in China Standard Time) is known.
 * When it is not, working days in that year are counted as plain Monday–Friday.
 */
export function isHolidayScheduleCovered(date: Date): boolean {
  return new Date(date.getTime() + CST_MS).getUTCFullYear() in CN_HOLIDAY_SCHEDULES;
}

/** Whether `date` falls on a working day in China (see the module comment for uncovered years). */
export function isWorkingDay(date: Date): boolean {
  return isWorkingDayCst(new Date(date.getTime() + CST_MS));
}

export function addWorkingDays(start: Date, days: number): Date {
  const d = new Date(start.getTime() + CST_MS); // read dates in China's time zone
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (isWorkingDayCst(d)) left--;
  }
  return new Date(d.getTime() - CST_MS);
}

export const CONFIRM_WORKING_DAYS = 5;
export const PUBLISH_WORKING_DAYS = 10;

export function demandDeadlines(createdAt: Date) {
  return { confirmBy: addWorkingDays(createdAt, CONFIRM_WORKING_DAYS), publishBy: addWorkingDays(createdAt, PUBLISH_WORKING_DAYS) };
}
