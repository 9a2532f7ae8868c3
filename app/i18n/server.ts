/** The reader's language on the server: the `lang` cookie, else the browser's preference, else Chinese. */
import { cookies, headers } from "next/headers";
import { dictionaries, locales, type Locale } from "./dictionaries";

export const LANG_COOKIE = "lang";

export async function getLocale(): Promise<Locale> {
  const jar = await cookies();
  const chosen = jar.get(LANG_COOKIE)?.value;
  if (chosen && (locales as readonly string[]).includes(chosen)) return chosen as Locale;
  const accept = (await headers()).get("accept-language") ?? "";
  return /^en\b/i.test(accept.trim()) ? "en" : "zh";
}

export async function getDictionary() {
  const locale = await getLocale();
  return { locale, t: dictionaries[locale] };
}
