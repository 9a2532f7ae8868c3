/** Jinan's districts (the demo data's geography); no dependencies, so the UI may import it. */
export const DISTRICTS = ["历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区", "钢城区"];

/** Claims a demo patient has at one hospital: 1 to this many (the hospitals' per-patient bound matches it). */
export const MAX_CLAIMS_PER_PATIENT = 3;
