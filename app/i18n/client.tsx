"use client";
import { createContext, useContext } from "react";
import type { Dictionary, Locale } from "./dictionaries";

const I18n = createContext<{ locale: Locale; t: Dictionary } | null>(null);

export function I18nProvider(props: { locale: Locale; t: Dictionary; children: React.ReactNode }) {
  return <I18n.Provider value={{ locale: props.locale, t: props.t }}>{props.children}</I18n.Provider>;
}

export function useI18n() {
  const v = useContext(I18n);
  if (!v) throw new Error("useI18n outside I18nProvider");
  return v;
}
