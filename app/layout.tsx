import type { Metadata } from "next";
import "./globals.css";
import { I18nProvider } from "./i18n/client";
import { getDictionary } from "./i18n/server";
import { Providers } from "./trpc";

export const metadata: Metadata = {
  title: "Quancheng Data Marketplace · 泉城数据要素市场",
  description: "Privacy-computing data-trading marketplace",
  icons: { icon: "/icon.svg" },
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const { locale, t } = await getDictionary();
  return (
    <html lang={locale === "zh" ? "zh-CN" : "en"}>
      <body>
        <I18nProvider locale={locale} t={t}>
          <Providers>{children}</Providers>
        </I18nProvider>
      </body>
    </html>
  );
}
