/**
 * Deadlines in working days (seed 001: confirm a demand within 5 working days, publish the
 * service within 10). Working days are Monday to Friday in China Standard Time (UTC+8);
 * public holidays and make-up working days are not modelled (documented in docs/trading.md).
 */
const CST_MS = 8 * 3_600_000;

export function addWorkingDays(start: Date, days: number): Date {
  const d = new Date(start.getTime() + CST_MS); // read weekdays in China's time zone
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) left--;
  }
  return new Date(d.getTime() - CST_MS);
}

export const CONFIRM_WORKING_DAYS = 5;
export const PUBLISH_WORKING_DAYS = 10;

export function demandDeadlines(createdAt: Date) {
  return { confirmBy: addWorkingDays(createdAt, CONFIRM_WORKING_DAYS), publishBy: addWorkingDays(createdAt, PUBLISH_WORKING_DAYS) };
}
