"use client";
import { useEffect } from "react";

/**
 * node-seal's bindings need eval, which only this page's Content-Security-Policy allows
 * (server/http/security-headers.ts). A client-side navigation keeps the policy of the page the
 * browser loaded first, so if eval is refused here, load this page afresh (once) to get its own.
 */
export function EvalGuard() {
  useEffect(() => {
    try {
      new Function("return 1")();
      sessionStorage.removeItem("qc-eval-reload");
    } catch {
      if (sessionStorage.getItem("qc-eval-reload") === location.pathname) return; // reloaded already: the console will say what failed
      sessionStorage.setItem("qc-eval-reload", location.pathname);
      location.reload();
    }
  }, []);
  return null;
}
