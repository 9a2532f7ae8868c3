"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { fill } from "../../../i18n/dictionaries";
import { useI18n } from "../../../i18n/client";
import { errorText, useTRPC } from "../../../trpc";

type P = { id: string; name: string; purposes: string[]; priceMinor: number; model: string };

export function OrderForm({ products }: { products: P[] }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const [productId, setProductId] = useState(products[0]?.id ?? "");
  const product = products.find((p) => p.id === productId);
  const [done, setDone] = useState<string | null>(null);
  const [quantity, setQuantity] = useState(10);
  const place = useMutation(trpc.buyer.placeOrder.mutationOptions({
    onSuccess: (o) => { setDone(t.orders.status[o.status]); router.refresh(); },
  }));
  if (!product) return <p className="muted">{t.query.noProducts}</p>;
  return (
    <form className="stack" onSubmit={(e) => {
      e.preventDefault();
      setDone(null);
      const f = new FormData(e.currentTarget);
      place.mutate({ productId, purpose: String(f.get("purpose")), quantity: Number(f.get("quantity") ?? 1), idempotencyKey: crypto.randomUUID() });
    }}>
      <label>{t.query.product}<select aria-label={t.query.product} value={productId} onChange={(e) => setProductId(e.target.value)}>{products.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}</select></label>
      <p className="muted">{fill(t.orders.price, { price: (product.priceMinor / 100).toFixed(2), model: t.orders.models[product.model as keyof typeof t.orders.models] ?? product.model })}</p>
      {product.model === "PER_QUERY" && (
        <label>{t.orders.quantity}<input name="quantity" type="number" min={1} max={10000} step={1} value={quantity} onChange={(e) => setQuantity(Number(e.target.value))} required /></label>
      )}
      <p className="muted">{fill(t.orders.total, { total: ((product.priceMinor * (product.model === "PER_QUERY" ? quantity : 1)) / 100).toFixed(2) })}</p>
      <label>{t.orders.purpose}<select name="purpose">{product.purposes.map((p) => <option key={p}>{p}</option>)}</select></label>
      {place.error && <p className="error" role="alert">{errorText(t, place.error)}</p>}
      {done && <p className="notice" role="status">{fill(t.orders.placed, { status: done })}</p>}
      <button className="primary" disabled={place.isPending}>{t.orders.place}</button>
    </form>
  );
}

export function CancelOrder({ orderId }: { orderId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const cancel = useMutation(trpc.buyer.cancelOrder.mutationOptions({ onSuccess: () => router.refresh() }));
  return <button type="button" className="secondary" disabled={cancel.isPending} onClick={() => cancel.mutate({ orderId })}>{t.orders.cancel}</button>;
}

/** Pay an approved order: the offline provider pays at once; Stripe opens its Checkout page. */
export function PayOrder({ orderId, amount }: { orderId: string; amount: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const router = useRouter();
  const pay = useMutation(trpc.buyer.payOrder.mutationOptions({
    onSuccess: (r) => { if (r.redirectUrl) window.location.assign(r.redirectUrl); else router.refresh(); },
  }));
  return (
    <>
      <button type="button" className="primary" disabled={pay.isPending} onClick={() => pay.mutate({ orderId })}>{fill(t.orders.pay, { amount })}</button>
      {pay.error && <p className="error" role="alert">{errorText(t, pay.error)}</p>}
    </>
  );
}
