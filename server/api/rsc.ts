/** The API as server components call it: same procedures, same checks, no HTTP hop. */
import "server-only";
import { cache } from "react";
import { contextFromRequest } from "./http";
import { createCaller } from "./root";

export const getContext = cache(() => contextFromRequest());
export const api = cache(async () => createCaller(await getContext()));
