/** Product terms: pricing in whole minor units, revenue shares that add up, licence and purposes. */
import { z } from "zod";

const minor = z.number({ error: "Prices are whole numbers of minor units (fen for CNY)." })
  .int({ error: "Prices are whole numbers of minor units (fen for CNY), never fractions." })
  .positive().max(1_000_000_000_00);

export const pricingSchema = z.discriminatedUnion("model", [
  z.object({ model: z.literal("PER_QUERY"), currency: z.literal("CNY").default("CNY"), priceMinor: minor }),
  z.object({ model: z.literal("SUBSCRIPTION"), currency: z.literal("CNY").default("CNY"), priceMinor: minor,
    quota: z.number().int().positive().max(1_000_000), periodDays: z.number().int().min(1).max(366) }),
  z.object({ model: z.literal("ONE_OFF"), currency: z.literal("CNY").default("CNY"), priceMinor: minor }),
]);

/** Basis points (1/100 of a percent): exact, no floats. */
export const sharesSchema = z.object({
  developerBps: z.number().int().min(0).max(10_000),
  operatorBps: z.number().int().min(0).max(10_000),
  holdersBps: z.number().int().min(0).max(10_000),
}).refine((s) => s.developerBps + s.operatorBps + s.holdersBps === 10_000, { error: "Revenue shares must add up to exactly 100% (10,000 basis points)." });

export const termsSchema = z.object({
  pricing: pricingSchema,
  shares: sharesSchema,
  licence: z.string().trim().min(10, { error: "State the licence terms (10 characters or more)." }).max(8000),
  purposes: z.array(z.string().trim().min(2).max(80)).min(1, { error: "Name at least one allowed purpose." }).max(20),
});
