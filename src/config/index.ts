import * as v from "valibot";
import { misconfigured } from "../domain/refusal";
import { type Config, type ConfigVars, configSchema } from "./schema";

export type { Config, ConfigVars } from "./schema";

/** Parses the vars; the first bad one is a misconfiguration the operator has to fix. */
export function loadConfig(vars: ConfigVars): Config {
	const result = v.safeParse(configSchema, vars, { abortEarly: true });
	if (result.success) return result.output;
	const [issue] = result.issues;
	throw misconfigured(`${issue.path?.[0]?.key} ${issue.message}`);
}
