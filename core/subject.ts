/** The column every person-level dataset keys its records by (the subject's opaque identifier). */
export const SUBJECT_COLUMN = "subject_ref";
