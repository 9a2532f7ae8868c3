/** Input contracts for accounts and organisations: used by the API, the forms and the seed. */
import { z } from "zod";
import { marketRoles, memberRoles, requestableRoles } from "./roles";

export const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email({ error: "Enter a valid email address." }));
export const passwordSchema = z.string()
  .min(10, { error: "Use at least 10 characters for the password." })
  .max(200, { error: "Use at most 200 characters for the password." });
export const personNameSchema = z.string().trim().min(1, { error: "Enter your name." }).max(100);
export const orgNameSchema = z.string().trim().min(2, { error: "Enter the organisation's name (2 characters or more)." }).max(120);
export const marketRoleSchema = z.enum(marketRoles);
export const memberRoleSchema = z.enum(memberRoles);
export const idSchema = z.uuid({ error: "Expected an id (UUID)." });

export const signUpInput = z.object({
  name: personNameSchema,
  email: emailSchema,
  password: passwordSchema,
  /** Empty: a personal account (a data subject). Otherwise a new organisation. */
  organisationName: orgNameSchema.optional(),
  /** Roles the new organisation asks for; a market admin grants them. */
  requestedRoles: z.array(z.enum(requestableRoles)).max(requestableRoles.length).default([]),
});
export type SignUpInput = z.input<typeof signUpInput>;

export const createOrganisationInput = z.object({
  name: orgNameSchema,
  nameZh: orgNameSchema.optional(),
  requestedRoles: z.array(z.enum(requestableRoles)).max(requestableRoles.length).default([]),
});

export const inviteInput = z.object({ email: emailSchema, role: memberRoleSchema.default("MEMBER") });
export const setMemberRoleInput = z.object({ userId: idSchema, role: memberRoleSchema });
export const setOrganisationRolesInput = z.object({
  organisationId: idSchema,
  roles: z.array(marketRoleSchema).max(marketRoles.length).transform((r) => [...new Set(r)].sort()),
  reason: z.string().trim().min(3, { error: "Give a reason for the change (it is kept)." }).max(500),
});
