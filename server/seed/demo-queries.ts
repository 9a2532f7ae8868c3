/**
 * The demo world's encrypted-query side: the demo holders' nodes registered, and the
 * insurer's product "claims by district and age band" over the three hospitals.
 */
import type { PrismaClient } from "../db/generated/client";
import { registerNode } from "../nodes/nodes";
import { registerResource } from "../resources/resources";
import type { ResourceInput } from "../resources/schemas";
import { createQueryProduct } from "../queries/products";
import { claimsPolicy } from "../queries/templates";

export { claimsPolicy };
import { listProduct, orderApproved } from "./flows";
import { approveProduct, holderKey } from "@/computation/demo/holder";


export type DemoNode = {
  holder: string; name: string; url: string; nodeId: string; agreementKey: string; dataset: string;
  /** the holder's signing key file in its own folder: the demo approves its products at the node as the holder would */
  holderKeyFile: string;
};

export async function seedDemoQueryWorld(db: PrismaClient, nodes: DemoNode[]) {
  const registered = [];
  for (const n of nodes) {
    const org = await db.organisation.findUniqueOrThrow({ where: { slug: n.holder } });
    registered.push({ ...n, id: (await registerNode(db, { organisationId: org.id, name: n.name, url: n.url, signingKey: n.nodeId, agreementKey: n.agreementKey })).id });
  }
  await seedDemoResources(db, registered);
  const developer = await db.organisation.findUniqueOrThrow({ where: { slug: "baotu-data-studio" } });
  const hospitals = registered.filter((n) => n.dataset === "claims");
  if (hospitals.length && !(await db.dataProduct.findUnique({ where: { slug: "hospital-claims-by-district-age" } }))) {
    const product = await createQueryProduct(db, {
      developerOrgId: developer.id, slug: "hospital-claims-by-district-age",
      name: "Hospital claims by district and age band", nameZh: "各区县分年龄段医疗费用统计",
      description: "Claim counts, totals, means, spread and distribution over the claim records of three Jinan hospitals, by district, age band, sex and diagnosis group. Groups under 10 claims are suppressed; results carry differential-privacy noise.",
      policy: claimsPolicy,
      sources: hospitals.map((h) => ({ nodeId: h.id, dataset: h.dataset })),
    });
    await listProduct(db, product.id);
    // The insurer has ordered it, and the three hospitals approved the order.
    const insurer = await db.organisation.findUniqueOrThrow({ where: { slug: "mingshui-insurance" } });
    await orderApproved(db, { productId: product.id, buyerOrgId: insurer.id });
  }
  // Each hospital approves the product at its own node, with the exact source set (idempotent).
  const product = await db.dataProduct.findUnique({ where: { slug: "hospital-claims-by-district-age" } });
  if (product) {
    for (const h of hospitals) {
      await approveProduct({ url: h.url, nodeId: h.nodeId, dataset: h.dataset, productId: product.id, sources: hospitals.map((x) => x.nodeId), key: await holderKey(h.holderKeyFile) });
    }
  }
  return registered;
}

/** Readable names of the demo's columns, in both languages (what approvals and consent pages show). */
const labels: Record<string, [string, string]> = {
  patient_ref: ["Patient reference", "患者编号"], district: ["District", "区县"], age: ["Age", "年龄"], sex: ["Sex", "性别"], diagnosis: ["Diagnosis group", "诊断分组"],
  claim_amount: ["Claim amount", "结算金额"], month: ["Month", "月份"], industry: ["Industry", "行业"], employees: ["Employees", "从业人数"], revenue: ["Revenue", "营业收入"],
  tax_paid: ["Tax paid", "已缴税额"], year: ["Year", "年度"], subject_ref: ["Person reference", "个人编号"], employer: ["Employer", "工作单位"],
  contribution_base: ["Contribution base", "缴费基数"], months_paid: ["Months paid", "累计缴费月数"], last_month: ["Last month paid", "最近缴费月份"],
  monthly_deposit: ["Monthly deposit", "月缴存额"], balance: ["Balance", "账户余额"],
};
const named = (name: string) => ({ name, label: labels[name]?.[0], labelZh: labels[name]?.[1] });
const num = (name: string, unit: string, sensitivity: "SENSITIVE" | "PERSONAL" = "SENSITIVE") => ({ ...named(name), type: "number" as const, unit, sensitivity });
const text = (name: string, sensitivity: "INTERNAL" | "PERSONAL" = "INTERNAL") => ({ ...named(name), type: "string" as const, sensitivity });
const claimsResource: ResourceInput = {
  name: "Claim records", nameZh: "医疗费用结算记录", domain: "health", updateCycle: "DAILY", sharing: "CONDITIONAL",
  description: "One row per settled medical claim: an opaque patient reference, the patient's district, age and sex, diagnosis group, amount, month. Usable only in aggregate, with a patient as the privacy unit.",
  fields: [text("patient_ref", "PERSONAL"), text("district"), { ...named("age"), type: "integer", unit: "years", sensitivity: "SENSITIVE" }, text("sex"), text("diagnosis"), num("claim_amount", "CNY"), text("month")],
};
const otherResources: Record<string, ResourceInput> = {
  "jinan-tax": { name: "Enterprise tax returns", nameZh: "企业纳税申报记录", domain: "tax", updateCycle: "MONTHLY", sharing: "CONDITIONAL",
    description: "Annual revenue, tax paid and headcount of registered enterprises by district and industry.",
    fields: [text("district"), text("industry"), { ...named("employees"), type: "integer", sensitivity: "INTERNAL" }, num("revenue", "CNY"), num("tax_paid", "CNY"), { ...named("year"), type: "integer", sensitivity: "PUBLIC" }] },
  "jinan-social-security": { name: "Pension and medical insurance contributions", nameZh: "社会保险缴费记录", domain: "social-security", updateCycle: "MONTHLY", sharing: "CONDITIONAL",
    description: "Contribution history per insured person; released to a named recipient only with the person's consent, sealed in a digital envelope.",
    fields: [text("subject_ref", "PERSONAL"), text("employer", "PERSONAL"), num("contribution_base", "CNY", "PERSONAL"), { ...named("months_paid"), type: "integer", sensitivity: "PERSONAL" }, text("last_month")] },
  "jinan-housing-fund": { name: "Housing provident fund deposits", nameZh: "住房公积金缴存记录", domain: "housing", updateCycle: "MONTHLY", sharing: "CONDITIONAL",
    description: "Monthly deposit and balance per account holder; released only with the account holder's consent, sealed in a digital envelope.",
    fields: [text("subject_ref", "PERSONAL"), num("monthly_deposit", "CNY", "PERSONAL"), num("balance", "CNY", "PERSONAL"), text("last_month")] },
};

/** The holders' registered resources (idempotent: registered once). */
async function seedDemoResources(db: PrismaClient, nodes: (DemoNode & { id: string })[]) {
  const ensure = async (holderSlug: string, r: ResourceInput) => {
    const org = await db.organisation.findUniqueOrThrow({ where: { slug: holderSlug } });
    if (await db.dataResource.findUnique({ where: { holderOrgId_name: { holderOrgId: org.id, name: r.name } } })) return;
    await registerResource(db, { holderOrgId: org.id, ...r });
  };
  for (const n of nodes) {
    if (n.dataset === "claims") await ensure(n.holder, { ...claimsResource, nodeId: n.id, dataset: n.dataset });
    if (otherResources[n.holder]) await ensure(n.holder, { ...otherResources[n.holder]!, nodeId: n.id, dataset: n.dataset });
  }
}
