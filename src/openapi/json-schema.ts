import { type ConversionConfig, type JsonSchema, toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";

/** `[a-f]` → `[a-fA-F]`: JSON Schema patterns have no flags, so a case-insensitive regex says both. */
function caseInsensitive(source: string): string {
	return source.replace(/([a-z])-([a-z])/g, (range, from: string, to: string) => {
		return `${range}${from.toUpperCase()}-${to.toUpperCase()}`;
	});
}

/**
 * OpenAPI 3.1 schemas are JSON Schema 2020-12. Requests are described as clients send them
 * (the input side of each pipe, before transforms); `check()` actions hold rules as code, which
 * the descriptions next to them state in words; `trim()` does not change what may be sent.
 */
const CONVERSION: ConversionConfig = {
	target: "draft-2020-12",
	typeMode: "input",
	ignoreActions: ["check", "trim"],
	overrideAction({ valibotAction, jsonSchema }) {
		if (valibotAction.type !== "regex" || !("requirement" in valibotAction)) return undefined;
		const pattern = valibotAction.requirement;
		if (!(pattern instanceof RegExp) || !pattern.flags.includes("i")) return undefined;
		return { ...jsonSchema, pattern: caseInsensitive(pattern.source) };
	},
};

/** A valibot schema as a JSON Schema to embed in the OpenAPI document (no `$schema` key). */
export function jsonSchemaOf(schema: v.GenericSchema): JsonSchema {
	const { $schema: _dialect, ...rest } = toJsonSchema(schema, CONVERSION);
	return rest;
}
