"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { money } from "../../../_lib/format";
import { fill } from "../../../i18n/dictionaries";
import { useI18n } from "../../../i18n/client";
import { errorText, useTRPC } from "../../../trpc";

type P = { id: string; name: string; purposes: string[]; priceMinor: number; model: string };

export function OrderForm({ products, initialProductId }: { products: P[]; initialProductId?: string }) {
  const { t, locale } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [productId, setProductId] = useState(products.some((p) => p.id === initialProductId) ? initialProductId! : products[0]?.id ?? "");
  const product = products.find((p) => p.id === productId);
  const [done, setDone] = useState<string | null>(null);
  const [quantity, setQuantity] = useState(10);
  const [purpose, setPurpose] = useState(product?.purposes[0] ?? "");
  const place = useMutation(trpc.buyer.placeOrder.mutationOptions({
    onSuccess: (o) => { setDone(t.orders.status[o.status]); setQuantity(10); router.refresh(); },
  }));
  if (!product) return <p className="muted">{t.query.noProducts}</p>;
  return (
    <form className="stack" onSubmit={(e) => {
      e.preventDefault();
      setDone(null);
      place.mutate({ productId, purpose: purpose || product.purposes[0]!, quantity, idempotencyKey: crypto.randomUUID() });
    }}>
      <label>{t.query.product}<select aria-label={t.query.product} value={productId} onChange={(e) => { setProductId(e.target.value); setDone(null); setPurpose(products.find((p) => p.id === e.target.value)?.purposes[0] ?? ""); }}>{products.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}</select></label>
      <p className="muted">{fill(t.orders.price, { price: money(product.priceMinor, locale), model: t.orders.models[product.model as keyof typeof t.orders.models] ?? product.model })}</p>
      {product.model === "PER_QUERY" && (
        <label>{t.orders.quantity}<input name="quantity" type="number" min={1} max={10000} step={1} value={quantity} onChange={(e) => setQuantity(Number(e.target.value))} required /></label>
      )}
      <p className="muted">{fill(t.orders.total, { total: money(product.priceMinor * (product.model === "PER_QUERY" ? quantity : 1), locale) })}</p>
      <label>{t.orders.purpose}<select name="purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)}>{product.purposes.map((p) => <option key={p}>{p}</option>)}</select></label>
      {place.error && <p className="error" role="alert">{errorText(t, place.error)}</p>}
      {done && <p className="notice" role="status">{fill(t.orders.placed, { status: done })}</p>}
      <button className="primary" disabled={place.isPending}>{t.orders.place}</button>
    </form>
  );
}

/** A button that asks once more, in words, before it acts (money moves on the second click). */
function Confirmed(props: { label: string; question: string; className: string; pending: boolean; onConfirm: () => void }) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  if (!asking) return <button type="button" className={props.className} disabled={props.pending} onClick={() => setAsking(true)}>{props.label}</button>;
  return (
    <div role="group" aria-label={props.label} className="confirm">
      <p>{props.question}</p>
      <button type="button" className="primary" disabled={props.pending} onClick={() => { props.onConfirm(); setAsking(false); }}>{t.orders.confirm}</button>{" "}
      <button type="button" className="secondary" onClick={() => setAsking(false)}>{t.orders.back}</button>
    </div>
  );
}

export function CancelOrder({ orderId, product, paidMinor }: { orderId: string; product: string; paidMinor: bigint | null }) {
  const { t, locale } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  // The page shows the receipt (?cancelled=…), so it survives the refresh that removes this button.
  const cancel = useMutation(trpc.buyer.cancelOrder.mutationOptions({ onSuccess: () => { router.replace(`/buyer/orders?cancelled=${orderId}`); router.refresh(); } }));
  return (
    <>
      <Confirmed label={t.orders.cancel} className="secondary" pending={cancel.isPending} onConfirm={() => cancel.mutate({ orderId })}
        question={paidMinor ? fill(t.orders.confirmCancelRefund, { product, amount: money(paidMinor, locale) }) : fill(t.orders.confirmCancel, { product })} />
      {cancel.error && <p className="error" role="alert">{errorText(t, cancel.error)}</p>}
    </>
  );
}

/** Pay an approved order after confirming: the offline provider pays at once; Stripe opens its Checkout page. */
export function PayOrder({ orderId, product, amountMinor }: { orderId: string; product: string; amountMinor: bigint }) {
  const { t, locale } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const amount = money(amountMinor, locale);
  // Paid at once: the page shows the receipt (?paid=…, where Stripe's Checkout returns too).
  const pay = useMutation(trpc.buyer.payOrder.mutationOptions({
    onSuccess: (r) => { if (r.redirectUrl) window.location.assign(r.redirectUrl); else { router.replace(`/buyer/orders?paid=${orderId}`); router.refresh(); } },
  }));
  return (
    <>
      <Confirmed label={fill(t.orders.pay, { amount })} className="primary" pending={pay.isPending} onConfirm={() => pay.mutate({ orderId })}
        question={fill(t.orders.confirmPay, { amount, product })} />
      {pay.error && <p className="error" role="alert">{errorText(t, pay.error)}</p>}
    </>
  );
}
