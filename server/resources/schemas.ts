/** Contracts for resource registration (确权登记): what a holder declares about its data. */
import { z } from "zod";

export const sharingClasses = ["UNCONDITIONAL", "CONDITIONAL", "NOT_SHARED"] as const;
export const updateCycles = ["REALTIME", "DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "YEARLY", "ONCE"] as const;
export const fieldTypes = ["string", "integer", "number", "date", "boolean"] as const;
/** PERSONAL fields identify or describe a person: usable only through consent envelopes or aggregates. */
export const sensitivities = ["PUBLIC", "INTERNAL", "SENSITIVE", "PERSONAL"] as const;

export const fieldSchema = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: "A field name starts with a letter or _ and has letters, digits and _ (at most 63)." }),
  type: z.enum(fieldTypes),
  unit: z.string().trim().max(30).optional(),
  sensitivity: z.enum(sensitivities),
  description: z.string().trim().max(500).optional(),
  /** what people read instead of the column identifier, in English and Chinese (e.g. 缴费基数) */
  label: z.string().trim().min(1).max(60).optional(),
  labelZh: z.string().trim().min(1).max(60).optional(),
});

export const resourceInput = z.object({
  name: z.string().trim().min(2, { error: "Name the resource (2 characters or more)." }).max(120),
  nameZh: z.string().trim().min(2).max(120).optional(),
  description: z.string().trim().max(4000).default(""),
  domain: z.string().trim().min(2).max(40),
  fields: z.array(fieldSchema).min(1, { error: "Declare at least one field." }).max(200)
    .refine((f) => new Set(f.map((x) => x.name)).size === f.length, { error: "Field names must be unique." }),
  updateCycle: z.enum(updateCycles),
  sharing: z.enum(sharingClasses),
  /** the computation node that serves it, and the dataset name on that node */
  nodeId: z.uuid().optional(),
  dataset: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
}).refine((r) => (r.nodeId === undefined) === (r.dataset === undefined), { error: "Give both the node and its dataset name, or neither." });
export type ResourceInput = z.input<typeof resourceInput>;

export const reclassifyInput = z.object({
  resourceId: z.uuid(),
  to: z.enum(sharingClasses),
  reason: z.string().trim().min(10, { error: "Explain the emergency (10 characters or more): the reason is kept." }).max(1000),
  endsAt: z.coerce.date(),
});
